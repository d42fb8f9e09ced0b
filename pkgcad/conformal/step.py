"""The conformal STEP: every solid of a :class:`~pkgcad.conformal.model.ConformalModel` in ONE non-manifold shape
representation, so a face two solids touch on is written once and read back shared. Written by pkgcad's one STEP
writer (:func:`pkgcad.export.step.write_shared_solids`, which says how and why); each solid is named by its
instance (``wire_003``) and coloured by its material.

gmsh reads product names only, never the names of items inside one representation, and FreeCAD's STEP import
neither shares the faces nor names the solids: so beside the STEP go ``<name>.geo`` (:mod:`.geo`: gmsh's physical
groups by part and by material) and ``<name>.FCMacro`` (:mod:`.freecad`: FreeCAD's named solids), and
manifest.json records the solids by gmsh volume tag (``conformal.groups``: part -> tags, :mod:`.mesh`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from OCP.TopAbs import TopAbs_SHELL
from OCP.TopoDS import TopoDS_Iterator

from .. import __version__
from ..export.step import SharedSolid, write_shared_solids
from ..package import Package
from .freecad import macro_text
from .geo import geo_text
from .model import ConformalError, ConformalModel


def write_conformal_step(pkg: Package, path: Path, model: ConformalModel | None = None
                         ) -> ConformalModel:
    """Write ``model`` (default: ``conformal(pkg)``) to ``path`` as a conformal STEP AP214 in millimetres with
    pkgcad's header; returns the model (its ``timings`` gain ``step_s``)."""
    if model is None:
        from .fuse import conformal

        model = conformal(pkg)
    t0 = time.perf_counter()
    solids = []
    for s in model.solids:
        found = []
        it = TopoDS_Iterator(s.shape.wrapped)
        while it.More():
            found.append(it.Value())
            it.Next()
        if len(found) != 1 or found[0].ShapeType() != TopAbs_SHELL:
            raise ConformalError(f"{s.name}: only a solid of one shell can be written conformally")
        solids.append(SharedSolid(found[0], s.name, s.material))
    write_shared_solids(model.compound, solids, path, model.name, f"{pkg.name}; {pkg.spec.meta.title}")
    model.timings["step_s"] = time.perf_counter() - t0
    return model


def write_step(pkg: Package, path: Path) -> dict[str, Any]:
    """``pkgcad build --step-mode conformal``'s STEP writer (:class:`pkgcad.export.writer.StepWriter`): the
    conformal model of ``pkg`` at ``path`` and, beside it, ``<name>.geo`` (gmsh: physical volumes by part and by
    material, mesh settings) and ``<name>.FCMacro`` (FreeCAD: named solids sharing their faces); returns
    manifest.json's ``conformal`` record."""
    model = write_conformal_step(pkg, path)
    header = f"pkgcad {__version__}: {pkg.name}; {pkg.spec.meta.title}"
    path.with_suffix(".geo").write_text(geo_text(path.name, model.solids, header), encoding="utf-8")
    path.with_suffix(".FCMacro").write_text(macro_text(path.name, pkg.name, model.solids, header),
                                            encoding="utf-8")
    return model.manifest()
