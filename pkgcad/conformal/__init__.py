"""FEM-ready geometry (issue 16): the package as solids that share their contact faces (a conformal model), its
STEP, a gmsh mesh check, and the model straight into gmsh for in-process solvers. All lengths in millimetres.

    model = conformal(layout_or_package)            # OCCT compound + one record per solid
    write_conformal_step(package, path)             # STEP whose touching solids share faces, solids named
    write_step(package, path)                       # the same for pkgcad build (+ manifest record)
    report = check_folder(output_folder)            # gmsh: import, physical groups, tet mesh, checks
    with session() as gmsh:                         # pkgcad thermal: into gmsh, one physical group per part
        parts = to_gmsh(layout_or_package, gmsh)

Modules: ``fuse`` (the one General Fuse), ``model`` (what it returns), ``step`` (non-manifold STEP, through
pkgcad's one STEP writer), ``geo`` and ``freecad`` (the gmsh script and the FreeCAD macro written beside it, which
open it with every part named), ``mesh`` (gmsh import, groups, sizes), ``check`` (the mesh check), ``live``
(to_gmsh), ``options`` (CLI defaults, no kernel), ``adapter`` (the only door to the rest of pkgcad). Names load
on first use, so ``pkgcad.conformal.options`` stays cheap for the command line.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .check import check_folder, mesh_check
    from .fuse import TILE_MIN, conformal
    from .live import GmshParts, to_gmsh
    from .mesh import MeshCheckError, MeshReport, load, session, sizes
    from .model import ConformalError, ConformalModel, Extra, Solid
    from .step import write_conformal_step, write_step

_HOMES = {
    "check_folder": "check", "mesh_check": "check",
    "TILE_MIN": "fuse", "conformal": "fuse",
    "GmshParts": "live", "to_gmsh": "live",
    "MeshCheckError": "mesh", "MeshReport": "mesh", "load": "mesh", "session": "mesh", "sizes": "mesh",
    "ConformalError": "model", "ConformalModel": "model", "Extra": "model", "Solid": "model",
    "write_conformal_step": "step", "write_step": "step",
}

__all__ = ["TILE_MIN", "ConformalError", "ConformalModel", "Extra", "GmshParts", "MeshCheckError", "MeshReport",
           "Solid", "check_folder", "conformal", "load", "mesh_check", "session", "sizes", "to_gmsh",
           "write_conformal_step", "write_step"]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'pkgcad.conformal' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
