"""STEP AP214 (millimetres) of a strip stage, instanced at two levels: each distinct part shape is ONE product
(named, coloured), the unit is ONE assembly of references to them, and the strip references the unit once per
unit position; a tiled part (the mold body) is one assembly of its distinct tiles, referenced per tile. A strip
of 585 QFN units is then ~600 unit references, not 40,000 part copies.

Written through OCCT's XCAF document directly: CadQuery's assembly export defines a sub-assembly anew at every
place it is used, so a unit added 585 times would be written 585 times.

One OCCT setting matters for speed: with ``write.precision.mode`` 0 (CadQuery's) the writer averages the
tolerance of every sub-shape of every instance, which costs the shape's size at every reference (measured:
500 references of a 1,500-face solid, 30 s; a 585-unit QFN strip 7 s). The file states the uncertainty anyway,
so we give it: mode 2 with OCCT's confusion tolerance 1e-7 mm, the value the average comes to for our shapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cadquery as cq
from OCP.IFSelect import IFSelect_ReturnStatus
from OCP.Interface import Interface_Static
from OCP.STEPCAFControl import STEPCAFControl_Writer
from OCP.STEPControl import STEPControl_StepModelType
from OCP.TCollection import TCollection_ExtendedString
from OCP.TDataStd import TDataStd_Name
from OCP.TDF import TDF_Label
from OCP.TDocStd import TDocStd_Document
from OCP.XCAFApp import XCAFApp_Application
from OCP.XCAFDoc import XCAFDoc_ColorType, XCAFDoc_DocumentTool
from OCP.XSControl import XSControl_WorkSession

from ..errors import GeometryError
from ..export.step import stamp_header
from ..materials import material
from ..package import Part
from .layout import Unit

UNCERTAINTY = 1e-7
"""The length uncertainty [mm] the file states (OCCT's confusion tolerance)."""


class _Doc:
    """An XCAF document being filled: one label per distinct shape, named and coloured once."""

    def __init__(self) -> None:
        app = XCAFApp_Application.GetApplication_s()
        self.doc = TDocStd_Document(TCollection_ExtendedString("XmlXCAF"))
        app.InitDocument(self.doc)
        self.shapes = XCAFDoc_DocumentTool.ShapeTool_s(self.doc.Main())
        self.shapes.SetAutoNaming_s(False)
        self.colors = XCAFDoc_DocumentTool.ColorTool_s(self.doc.Main())
        self._defs: dict[int, tuple[cq.Shape, TDF_Label]] = {}

    @staticmethod
    def name(label: TDF_Label, text: str) -> None:
        TDataStd_Name.Set_s(label, TCollection_ExtendedString(text))

    def assembly(self, name: str) -> TDF_Label:
        label = self.shapes.NewShape()
        self.name(label, name)
        return label

    def definition(self, shape: cq.Shape, name: str, material_name: str) -> TDF_Label:
        """The product of ``shape`` (made on first use)."""
        hit = self._defs.get(id(shape))
        if hit is not None and hit[0] is shape:
            return hit[1]
        label = self.shapes.AddShape(shape.wrapped, False, False)
        self.name(label, name)
        self.colors.SetColor(label, cq.Color(*material(material_name).color).wrapped,
                             XCAFDoc_ColorType.XCAFDoc_ColorSurf)
        self._defs[id(shape)] = (shape, label)
        return label

    def place(self, parent: TDF_Label, child: TDF_Label, name: str, loc: cq.Location) -> None:
        self.name(self.shapes.AddComponent(parent, child, loc.wrapped), name)

    def part(self, parent: TDF_Label, part: Part) -> None:
        """Every placement of ``part`` under ``parent``; a tiled part as one assembly of its tiles."""
        if part.tiling is None:
            what = self.definition(part.shape, part.name, part.material)
        else:
            what = self.assembly(f"{part.name}_tiles")
            for i, (k, dx, dy) in enumerate(part.tiling.uses):
                tile = self.definition(part.tiling.shapes[k], f"{part.name}_tile", part.material)
                self.place(what, tile, f"{part.name}_tile_{i:04d}", cq.Location(cq.Vector(dx, dy, 0)))
        for pl in part.placements:
            self.place(parent, what, pl.name, pl.location())


def write_stage_step(unit_parts: Sequence[Part], strip_parts: Sequence[Part], units: Sequence[Unit], path: Path,
                     name: str, title: str) -> None:
    """The stage as STEP at ``path``: ``unit_parts`` (unit frame) as ONE unit assembly placed at every unit,
    ``strip_parts`` (strip frame) placed as they are. ``name`` names the model, ``title`` says what it is."""
    doc = _Doc()
    root = doc.assembly(name)
    if unit_parts:
        unit = doc.assembly(f"{name}_unit")
        for p in unit_parts:
            doc.part(unit, p)
        for u in units:
            doc.place(root, unit, u.name, cq.Location(cq.Vector(u.x, u.y, 0)))
    for p in strip_parts:
        doc.part(root, p)
    doc.shapes.UpdateAssemblies()
    writer = STEPCAFControl_Writer(XSControl_WorkSession(), False)
    writer.SetColorMode(True)
    writer.SetNameMode(True)
    writer.SetLayerMode(False)
    Interface_Static.SetIVal_s("write.surfacecurve.mode", 0)  # no pcurves: smaller, as export/step.py
    Interface_Static.SetIVal_s("write.precision.mode", 2)
    Interface_Static.SetRVal_s("write.precision.val", UNCERTAINTY)
    Interface_Static.SetCVal_s("xstep.cascade.unit", "MM")
    Interface_Static.SetCVal_s("write.step.unit", "MM")
    try:
        if not writer.Transfer(doc.doc, STEPControl_StepModelType.STEPControl_AsIs):
            raise GeometryError(name, "OCCT could not transfer the stage to STEP")
        if writer.Write(str(path)) != IFSelect_ReturnStatus.IFSelect_RetDone:
            raise GeometryError(name, f"OCCT could not write {path.name}")
    finally:
        Interface_Static.SetIVal_s("write.precision.mode", 0)  # CadQuery sets it per export; leave OCCT's default
    text = path.read_text(encoding="latin-1")
    path.write_text(stamp_header(text, name, title), encoding="latin-1")
