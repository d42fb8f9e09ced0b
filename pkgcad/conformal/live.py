"""The conformal model straight into a running gmsh, for in-process users (``pkgcad thermal``): no STEP file,
no fragment. Lengths in millimetres."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from . import adapter
from .fuse import conformal
from .model import ConformalModel, Extra


@dataclass(frozen=True)
class GmshParts:
    """What :func:`to_gmsh` put into gmsh. ``volumes``: part name -> gmsh volume tags (what
    ``pkgcad.thermal.board.add_board_block`` takes); ``groups``: part name -> physical group tag (dim 3, named
    after the part; empty when ``groups=False``); ``materials``: part name -> material name."""

    model: ConformalModel
    volumes: dict[str, list[int]]
    groups: dict[str, int]
    materials: dict[str, str]


def to_gmsh(source: adapter.Layout | adapter.Package | ConformalModel, gmsh: Any = None, *, groups: bool = True,
            exclude_roles: Iterable[str] = (), extra: Sequence[Extra] = ()) -> GmshParts:
    """Put the package into a NEW model of the running ``gmsh`` (default: the ``gmsh`` module, which the caller
    has initialised, e.g. ``with pkgcad.conformal.session() as gmsh``), through the OCC kernel, without fragmenting:
    touching solids already share their faces. Volume tag i is solid i of the model, each volume is named by its
    instance (``wire_003``), and with ``groups`` each part is one physical volume group named after the part
    (leave ``groups`` off to fragment first, e.g. with a board block, and group afterwards).

    ``source``: a Layout (built here, the encapsulant made by the model itself), a Package, or a
    :class:`ConformalModel` already made. ``exclude_roles``/``extra`` as :func:`pkgcad.conformal.conformal`.
    Nothing is meshed: set sizes and call ``gmsh.model.mesh.generate(3)`` afterwards."""
    if gmsh is None:
        import gmsh as module

        gmsh = module
    if isinstance(source, ConformalModel):
        if exclude_roles or extra:
            raise ValueError("exclude_roles and extra apply when the model is made: pass a Layout or Package")
        model = source
    else:
        model = conformal(source, exclude_roles=exclude_roles, extra=extra)
    made = model.to_gmsh(gmsh, groups=groups)
    volumes: dict[str, list[int]] = {}
    for s in model.solids:
        volumes.setdefault(s.part, []).append(s.index)
    return GmshParts(model, volumes, made, model.materials())
