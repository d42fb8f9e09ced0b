"""The ONE FEM geometry pipeline: the package as solids that share their contact faces (a conformal model), its
STEP and the gmsh mesh check, and the solver model and mesh every solver uses. All lengths in millimetres.

    model = conformal(layout_or_package)            # OCCT compound + one record per solid
    write_conformal_step(package, path)             # STEP whose touching solids share faces, solids named
    write_step(package, path)                       # the same for pkgcad build (+ manifest record)
    report = check_folder(output_folder)            # gmsh: import, physical groups, tet mesh, checks
    fem = fem_model(layout, FemOptions())           # solvers: arrays as blocks, thin layers as boxes, named faces
    mesh, seconds = mesh_model(fem, "normal")       # linear tets, one group per part, thin layers structured

Modules: ``fuse`` (the one General Fuse), ``model`` (what it returns), ``step`` (non-manifold STEP, through
pkgcad's one STEP writer), ``geo`` and ``freecad`` (the gmsh script and the FreeCAD macro written beside it, which
open it with every part named), ``mesh``
(the gmsh session, import, groups, the check's sizes), ``check`` (the mesh check), ``fem`` (the solver model),
``meshing`` (the solver mesh: presets, refinement, structured thin layers), ``femmesh`` (the mesh solvers read),
``faces`` (faces by part and side on it), ``options`` (presets and CLI defaults, no kernel). Each imports what it
needs of the rest of pkgcad from its home module (the README map says which layers). Names load on first use, so
``pkgcad.conformal.options`` stays cheap for the command line.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .check import check_folder, mesh_check
    from .faces import Face
    from .fem import FemModel, FemOptions, fem_model
    from .femmesh import FemMesh
    from .fuse import TILE_MIN, conformal
    from .mesh import MeshCheckError, MeshReport, load, session, sizes
    from .meshing import mesh_model
    from .model import ConformalError, ConformalModel, Extra, Solid
    from .step import write_conformal_step, write_step

_HOMES = {
    "check_folder": "check", "mesh_check": "check",
    "TILE_MIN": "fuse", "conformal": "fuse",
    "Face": "faces", "FemModel": "fem", "FemOptions": "fem", "fem_model": "fem", "FemMesh": "femmesh",
    "mesh_model": "meshing",
    "MeshCheckError": "mesh", "MeshReport": "mesh", "load": "mesh", "session": "mesh", "sizes": "mesh",
    "ConformalError": "model", "ConformalModel": "model", "Extra": "model", "Solid": "model",
    "write_conformal_step": "step", "write_step": "step",
}

__all__ = ["TILE_MIN", "ConformalError", "ConformalModel", "Extra", "Face", "FemMesh", "FemModel", "FemOptions",
           "MeshCheckError", "MeshReport", "Solid", "check_folder", "conformal", "fem_model", "load", "mesh_check",
           "mesh_model", "session", "sizes", "write_conformal_step", "write_step"]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'pkgcad.conformal' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
