"""The conformal STEP: every solid of a :class:`~pkgcad.conformal.model.ConformalModel` in ONE non-manifold shape
representation, so a face two solids touch on is written once and read back shared.

How OCCT is made to write that (measured on qfn: 455 distinct faces, 376 of them shared):

* an assembly (one product per part) cannot share a face between products, and a manifold representation
  writes each solid's faces again: gmsh then imports 831 unshared surfaces;
* ``write.step.nonmanifold`` with assembly mode off writes a NON_MANIFOLD_SURFACE_SHAPE_REPRESENTATION: one
  SHELL_BASED_SURFACE_MODEL per solid whose CLOSED_SHELL reuses the neighbour's face bounds, and readers that
  honour non-manifold STEP (OCCT, hence gmsh, FreeCAD, SALOME) rebuild the shared faces;
* each SHELL_BASED_SURFACE_MODEL is named by its instance (``wire_003``) through XCAF sub-shape names; the
  colour of its material is a STYLED_ITEM on it (OCCT's own colour writer finds no context for a non-manifold
  representation, so the styles are made here with its STEPConstruct_Styles).

gmsh reads product names only, never the names of items inside one representation, so the physical groups
come from manifest.json (``conformal.groups``: part -> gmsh volume tags), see :mod:`pkgcad.conformal.mesh`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from OCP.IFSelect import IFSelect_RetDone
from OCP.Interface import Interface_Static
from OCP.Quantity import Quantity_Color, Quantity_TOC_sRGB
from OCP.STEPCAFControl import STEPCAFControl_Writer
from OCP.STEPConstruct import STEPConstruct, STEPConstruct_Styles
from OCP.STEPControl import STEPControl_AsIs
from OCP.StepRepr import StepRepr_HArray1OfRepresentationItem
from OCP.StepVisual import StepVisual_MechanicalDesignGeometricPresentationRepresentation
from OCP.TCollection import TCollection_ExtendedString, TCollection_HAsciiString
from OCP.TDataStd import TDataStd_Name
from OCP.TDocStd import TDocStd_Document
from OCP.TopAbs import TopAbs_SHELL
from OCP.TopoDS import TopoDS_Iterator
from OCP.XCAFDoc import XCAFDoc_DocumentTool

from . import adapter
from .model import ConformalError, ConformalModel

SETTINGS = {"write.step.nonmanifold": 1, "write.step.assembly": 0, "write.stepcaf.subshapes.name": 1,
            "write.surfacecurve.mode": 0}
"""OCCT writer switches for the conformal STEP (set for the write only, then restored: they are global)."""


@contextmanager
def _settings() -> Iterator[None]:
    """:data:`SETTINGS` and millimetres for one write; the previous values come back afterwards."""
    keys = {**{k: str(v) for k, v in SETTINGS.items()}, "write.step.unit": "MM"}
    old = {k: Interface_Static.CVal_s(k) for k in keys}
    try:
        for k, v in keys.items():
            if not Interface_Static.SetCVal_s(k, v):
                raise ConformalError(f"OCCT refused the STEP writer setting {k} = {v}")
        yield
    finally:
        for k, v in old.items():
            Interface_Static.SetCVal_s(k, v)


def write_conformal_step(pkg: adapter.Package, path: Path, model: ConformalModel | None = None
                         ) -> ConformalModel:
    """Write ``model`` (default: ``conformal(pkg)``) to ``path`` as a conformal STEP AP214 in millimetres with
    pkgcad's header; returns the model (its ``timings`` gain ``step_s``)."""
    if model is None:
        from .fuse import conformal

        model = conformal(pkg)
    t0 = time.perf_counter()
    doc = TDocStd_Document(TCollection_ExtendedString("XmlOcaf"))
    shapes = XCAFDoc_DocumentTool.ShapeTool_s(doc.Main())
    top = shapes.AddShape(model.compound.wrapped, False, False)
    TDataStd_Name.Set_s(top, TCollection_ExtendedString(model.name))
    shells = []
    for s in model.solids:
        found = [c.Value() for c in _children(s.shape.wrapped)]
        if len(found) != 1 or found[0].ShapeType() != TopAbs_SHELL:
            raise ConformalError(f"{s.name}: only a solid of one shell can be written conformally")
        shells.append(found[0])
        TDataStd_Name.Set_s(shapes.AddSubShape(top, shells[-1]), TCollection_ExtendedString(s.name))
    writer = STEPCAFControl_Writer()  # registers OCCT's STEP settings: set them after this
    with _settings():
        if not writer.Transfer(doc, STEPControl_AsIs):
            raise ConformalError("OCCT could not translate the conformal model to STEP")
        _colour(writer, model, shells)
        if writer.Write(str(path)) != IFSelect_RetDone:
            raise ConformalError(f"OCCT could not write {path}")
    text = path.read_text(encoding="latin-1")
    if "NON_MANIFOLD_SURFACE_SHAPE_REPRESENTATION" not in text:
        raise ConformalError(f"{path.name}: OCCT wrote a manifold representation; the faces are not shared")
    path.write_text(adapter.stamp_header(text, pkg), encoding="latin-1")
    model.timings["step_s"] = time.perf_counter() - t0
    return model


def _children(shape: Any) -> Iterator[TopoDS_Iterator]:
    it = TopoDS_Iterator(shape)
    while it.More():
        yield it
        it.Next()


def _colour(writer: STEPCAFControl_Writer, model: ConformalModel, shells: list[Any]) -> None:
    """A STYLED_ITEM in its material's colour on each solid's SHELL_BASED_SURFACE_MODEL, gathered in one
    MECHANICAL_DESIGN_GEOMETRIC_PRESENTATION_REPRESENTATION (what OCCT writes for colours elsewhere)."""
    ws = writer.ChangeWriter().WS()
    finder = ws.TransferWriter().FinderProcess()
    styles = STEPConstruct_Styles(ws)
    colours = {}
    for s, shell in zip(model.solids, shells, strict=True):
        item = STEPConstruct.FindEntity_s(finder, shell)
        if item is None:
            raise ConformalError(f"{s.name}: no STEP item was written for it")
        if s.material not in colours:
            r, g, b = adapter.material(s.material).color
            colours[s.material] = STEPConstruct_Styles.EncodeColor_s(Quantity_Color(r, g, b, Quantity_TOC_sRGB))
        c = colours[s.material]
        styles.AddStyle(item, styles.MakeColorPSA(item, c, c, c, 0.0, False), None)
    context = _representation_context(ws.Model())
    items = StepRepr_HArray1OfRepresentationItem(1, styles.NbStyles())
    for i in range(1, styles.NbStyles() + 1):
        items.SetValue(i, styles.Style(i))
    mdgpr = StepVisual_MechanicalDesignGeometricPresentationRepresentation()
    mdgpr.Init(TCollection_HAsciiString(""), items, context)
    ws.Model().AddWithRefs(mdgpr)


def _representation_context(step_model: Any) -> Any:
    """The geometric context of the (only) shape representation in ``step_model``."""
    for i in range(1, step_model.NbEntities() + 1):
        e = step_model.Value(i)
        if e.DynamicType().Name() in ("StepShape_NonManifoldSurfaceShapeRepresentation",
                                      "StepShape_ShapeRepresentation"):
            return e.ContextOfItems()
    raise ConformalError("the STEP model has no shape representation to colour")
