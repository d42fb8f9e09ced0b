"""The encapsulant: the mold envelope minus everything it holds, cut tile by tile (see :mod:`.tiles`)."""

from __future__ import annotations

import cadquery as cq

from ..layout import Layout
from ..package import Part
from ..roles import OUTSIDE_MOLD, Role
from .heat_sink import first_surface_features
from .shapes import box, fuse_all
from .tiles import tiled_cut


def encapsulant(lay: Layout, inside: list[Part]) -> Part:
    """Everything between the carrier (QFN: the package bottom) and the heat sink's first surface (with the
    first surface's recesses) that is not one of the ``inside`` parts nor what the heat sink adds below it.
    The envelope is the layout's footprint, so its sides are coplanar with the heat-sink sides after the saw
    cut."""
    envelope, tools = mold(lay, inside)
    cut = tiled_cut(envelope, tools, "encapsulant")
    return Part("encapsulant", Role.ENCAPSULANT, lay.spec.encapsulant.material, cut.compound(),
                tiling=cut if cut.tiles > 1 else None)


def held_parts(lay: Layout, parts: list[Part]) -> list[Part]:
    """The parts the mold holds: everything between carrier and heat sink (QFN: the lead frame too). The heat
    sink's features below its first surface are cut by :func:`encapsulant` itself."""
    return [p for p in parts if p.role not in OUTSIDE_MOLD and (lay.qfn or p.name != "carrier")]


def envelope(lay: Layout) -> cq.Shape:
    """The space the mold fills before it meets what it holds: the footprint from the mold bottom to the first
    surface, with the first surface's recesses."""
    return _envelope(lay, first_surface_features(lay)[1])


def _envelope(lay: Layout, recesses: list[tuple[cq.Shape, cq.Shape]]) -> cq.Shape:
    env: cq.Shape = box(lay.footprint, lay.mold_bottom, lay.stack.first_surface)
    if recesses:
        env = fuse_all(env, [fill for _tool, fill in recesses]).clean()
    return env


def mold(lay: Layout, inside: list[Part]) -> tuple[cq.Shape, list[cq.Shape]]:
    """The :func:`envelope` and every placed shape the mold must leave out: each instance of the ``inside``
    parts and what the heat sink adds below its first surface."""
    below, recesses = first_surface_features(lay)
    tools: list[cq.Shape] = list(below)
    for p in inside:
        tools.extend(p.placed())
    return _envelope(lay, recesses), tools
