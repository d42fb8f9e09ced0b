"""STEP AP214 in millimetres: pkgcad's ONE STEP writer. ``pkgcad build`` writes through it in every
``--step-mode``, ``pkgcad strip`` its stages, ``pkgcad kicad`` its models, :mod:`pkgcad.conformal` its solids that
share their faces.

Everything goes through OCCT's XCAF document and its STEP writer (``STEPCAFControl_Writer``); nothing rewrites
the STEP text afterwards:

* a distinct shape is ONE product (named, coloured by its material: a ``STYLED_ITEM`` on its solid), however
  often it is placed; each placement is an occurrence (``NEXT_ASSEMBLY_USAGE_OCCURRENCE``) named by its
  instance (``bump_0017``), sub-assemblies included (a tiled part, a strip's unit);
* instancing at any depth: a tiled part is an assembly of its distinct tiles, placed per tile; a unit (a strip's
  package) is ONE assembly placed per unit (585 units: ~600 occurrences, not 40,000 part copies);
* the header (description, author) is set in the writer's header model, its text encoded as ISO 10303-21
  asks (7-bit ASCII: other characters as ``\\X2\\`` / ``\\X4\\`` runs), so a title never breaks the file;
* every OCCT writer setting (they are process-wide statics) is applied inside :func:`occt_settings`, which
  restores the previous values, so one write never changes the next.

Two settings matter (both measured): no p-curves (``write.surfacecurve.mode`` 0: smaller files, as every reader
here rebuilds them), and the stated uncertainty given instead of averaged (``write.precision.mode`` 2 at
:data:`UNCERTAINTY`): averaging the tolerance of every sub-shape at every reference costs the shape's size per
occurrence (500 references of a 1,500-face solid: 30 s; a 585-unit QFN strip 7 s), and for pkgcad's shapes the
average comes to the same 1e-7 mm anyway.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cadquery as cq
from OCP.APIHeaderSection import APIHeaderSection_MakeHeader
from OCP.BOPAlgo import BOPAlgo_GlueEnum
from OCP.BRepAlgoAPI import BRepAlgoAPI_Fuse
from OCP.IFSelect import IFSelect_ReturnStatus
from OCP.Interface import Interface_Static
from OCP.Quantity import Quantity_Color, Quantity_TOC_sRGB
from OCP.STEPCAFControl import STEPCAFControl_Writer
from OCP.STEPConstruct import STEPConstruct, STEPConstruct_Styles
from OCP.STEPControl import STEPControl_StepModelType
from OCP.StepRepr import StepRepr_HArray1OfRepresentationItem
from OCP.StepVisual import StepVisual_MechanicalDesignGeometricPresentationRepresentation
from OCP.TCollection import TCollection_ExtendedString, TCollection_HAsciiString
from OCP.TDataStd import TDataStd_Name
from OCP.TDF import TDF_Label
from OCP.TDocStd import TDocStd_Document
from OCP.TopoDS import TopoDS_Shape
from OCP.TopTools import TopTools_ListOfShape
from OCP.XCAFApp import XCAFApp_Application
from OCP.XCAFDoc import XCAFDoc_ColorType, XCAFDoc_DocumentTool
from OCP.XSControl import XSControl_WorkSession

from .. import __version__
from ..errors import GeometryError
from ..materials import material
from ..package import Package, Part, Placement
from .assembly import Assembly
from .options import STEP_MODES

UNCERTAINTY = 1e-7
"""The length uncertainty [mm] every pkgcad STEP states (OCCT's confusion tolerance)."""

SETTINGS: dict[str, str | int | float] = {
    "write.surfacecurve.mode": 0,  # no p-curves
    "write.precision.mode": 2,  # state UNCERTAINTY instead of averaging tolerances (see the module notes)
    "write.precision.val": UNCERTAINTY,
    "xstep.cascade.unit": "MM",
    "write.step.unit": "MM",
    "write.stepcaf.subshapes.name": 1,  # names on sub-shapes (the solids of a non-manifold model)
}
"""OCCT writer settings of every pkgcad STEP (applied for the write, then restored)."""

NONMANIFOLD: dict[str, str | int | float] = {"write.step.nonmanifold": 1, "write.step.assembly": 0}
"""... and of a model whose solids share faces (see :func:`write_shared_solids`)."""

Names = Literal["first instance", "part"]
"""What a product (a definition) is named after: its first instance (``bump_0000``: pkgcad build, since its first
release) or its part (``bump``: pkgcad strip). Occurrences are always named by their instance."""


@contextmanager
def occt_settings(values: Mapping[str, str | int | float]) -> Iterator[None]:
    """OCCT's ``Interface_Static`` ``values`` for the duration of the block; the previous values come back
    afterwards, also on errors. The STEP settings exist once a STEP writer was made: make it first."""
    old: dict[str, str] = {}
    try:
        for key, value in values.items():
            before = Interface_Static.CVal_s(key)
            ok = (Interface_Static.SetRVal_s(key, value) if isinstance(value, float)
                  else Interface_Static.SetCVal_s(key, str(value)))
            if not ok:
                raise GeometryError("the STEP writer", f"OCCT refused the setting {key} = {value}")
            old[key] = before
        yield
    finally:
        for key, before in old.items():
            Interface_Static.SetCVal_s(key, before)


def header_string(text: str) -> str:
    """``text`` for OCCT's STEP header model, so that the file holds it as ISO 10303-21 (§6.4.3) asks: printable
    ASCII as it is (OCCT doubles ``'`` itself), every run of other characters and every ``\\`` (which would
    otherwise open a control directive) as ``\\X2\\hhhh...\\X0\\`` (UCS-2) or, beyond U+FFFF,
    ``\\X4\\hhhhhhhh...\\X0\\``."""
    out: list[str] = []
    run: list[str] = []
    wide = False

    def flush() -> None:
        if run:
            out.append(("\\X4\\" if wide else "\\X2\\") + "".join(run) + "\\X0\\")
            run.clear()

    for ch in text:
        code = ord(ch)
        if 0x20 <= code <= 0x7E and ch != "\\":
            flush()
            out.append(ch)
            continue
        if run and (code > 0xFFFF) != wide:
            flush()
        wide = code > 0xFFFF
        run.append(f"{code:08X}" if wide else f"{code:04X}")
    flush()
    return "".join(out)


def colour_of(material_name: str) -> cq.Color:
    return cq.Color(*material(material_name).color)


# ------------------------------------------------------------------------------------------------ lines
LINES_OVER = 5_000
"""A part placed more often than this (a large bump array) is written in lines (see :func:`array_lines`)."""


@dataclass(frozen=True)
class Line:
    """Consecutive placements of a part that differ only in y: the first one's place and each one's y from it."""

    placements: tuple[Placement, ...]
    offsets: tuple[float, ...]  # y - the first one's y [mm], rounded to 1e-9


def array_lines(placements: Sequence[Placement], least: float = 8.0) -> list[Line] | None:
    """The placements cut into runs of consecutive, unturned instances at one x and z (a bump array's columns),
    or None when the runs are shorter than ``least`` on average (not an array: write every instance).

    Two-level instancing: a run is ONE line assembly (``<part>_line``: the part placed at each offset, its
    occurrences named ``<part>[j]``) placed per run, named ``<first instance>..<last instance>``; runs with the
    same offsets share the assembly. 100,000 bumps: ~320 line occurrences instead of 100,000, and the STEP
    ~1/50 of the size (each occurrence costs ~700 bytes and OCCT's transfer grows faster than linearly)."""
    if any(pl.angle_deg for pl in placements):
        return None
    runs: list[list[Placement]] = []
    for pl in placements:
        if runs and runs[-1][0].x == pl.x and runs[-1][0].z == pl.z:
            runs[-1].append(pl)
        else:
            runs.append([pl])
    if len(placements) < least * len(runs):
        return None
    return [Line(tuple(run), tuple(round(pl.y - run[0].y, 9) for pl in run)) for run in runs]


# ------------------------------------------------------------------------------------------------- document
class Document:
    """An XCAF document being filled: labels for products (definitions, assemblies) and occurrences."""

    def __init__(self, names: Names = "first instance") -> None:
        app = XCAFApp_Application.GetApplication_s()
        self.doc = TDocStd_Document(TCollection_ExtendedString("XmlXCAF"))
        app.InitDocument(self.doc)
        self.shapes = XCAFDoc_DocumentTool.ShapeTool_s(self.doc.Main())
        self.shapes.SetAutoNaming_s(False)
        self.colours = XCAFDoc_DocumentTool.ColorTool_s(self.doc.Main())
        self.names = names
        self._defs: dict[tuple[int, str], tuple[cq.Shape, TDF_Label]] = {}
        self._parts: dict[int, tuple[Part, TDF_Label]] = {}

    @staticmethod
    def name(label: TDF_Label, text: str) -> TDF_Label:
        TDataStd_Name.Set_s(label, TCollection_ExtendedString(text))
        return label

    def assembly(self, name: str) -> TDF_Label:
        """A new (empty) assembly product."""
        return self.name(self.shapes.NewShape(), name)

    def definition(self, shape: cq.Shape, name: str, material_name: str) -> TDF_Label:
        """The product of ``shape`` in ``material_name``'s colour, made on first use (``name`` names it then)."""
        key = (id(shape), material_name)
        hit = self._defs.get(key)
        if hit is not None and hit[0] is shape:
            return hit[1]
        label = self.shapes.NewShape()
        self.shapes.SetShape(label, cq.Compound.makeCompound([shape]).wrapped)
        self.name(label, name)
        self.colours.SetColor(label, colour_of(material_name).wrapped, XCAFDoc_ColorType.XCAFDoc_ColorSurf)
        self._defs[key] = (shape, label)
        return label

    def place(self, parent: TDF_Label, child: TDF_Label, name: str, loc: cq.Location) -> TDF_Label:
        """An occurrence of ``child`` in ``parent`` at ``loc``, named ``name``."""
        return self.name(self.shapes.AddComponent(parent, child, loc.wrapped), name)

    def part(self, parent: TDF_Label, part: Part, tiles: bool = True) -> None:
        """Every placement of ``part`` under ``parent``: one definition referenced per placement; a tiled part
        (with ``tiles``) as ONE assembly of its distinct tiles, referenced per placement (without: one solid)."""
        first = part.placements[0].name
        what: TDF_Label
        if part.tiling is None or not tiles:
            shape = part.shape if part.tiling is None else part.solid()
            what = self.definition(shape, first if self.names == "first instance" else part.name, part.material)
        else:
            hit = self._parts.get(id(part))
            if hit is not None and hit[0] is part:
                what = hit[1]
            else:
                what = self.assembly(first if self.names == "first instance" else f"{part.name}_tiles")
                for i, (k, dx, dy) in enumerate(part.tiling.uses):
                    tile = f"{part.name}_tile_{i:04d}" if self.names == "first instance" else f"{part.name}_tile"
                    self.place(what, self.definition(part.tiling.shapes[k], tile, part.material),
                               f"{part.name}_tile_{i:04d}", cq.Location(cq.Vector(dx, dy, 0)))
                self._parts[id(part)] = (part, what)
        lines = array_lines(part.placements) if part.count > LINES_OVER and part.tiling is None else None
        if lines is None:
            for pl in part.placements:
                self.place(parent, what, pl.name, pl.location())
            return
        assemblies: dict[tuple[float, ...], TDF_Label] = {}
        for line in lines:
            assy = assemblies.get(line.offsets)
            if assy is None:
                suffix = f"_{len(assemblies)}" if assemblies else ""
                assy = assemblies[line.offsets] = self.assembly(f"{part.name}_line{suffix}")
                for j, dy in enumerate(line.offsets):
                    self.place(assy, what, f"{part.name}[{j}]", cq.Location(cq.Vector(0, dy, 0)))
            head, tail = line.placements[0], line.placements[-1]
            self.place(parent, assy, f"{head.name}..{tail.name}", cq.Location(cq.Vector(head.x, head.y, head.z)))

    def write(self, path: Path, title: str, extra: Mapping[str, str | int | float] | None = None,
              styles: Sequence[tuple[TopoDS_Shape, str, str]] = ()) -> None:
        """Write the document to ``path`` with pkgcad's header (``title`` says what the model is) and
        :data:`SETTINGS` (and ``extra``). ``styles``: (shape, name, material) of items to colour by hand, for a
        representation OCCT's colour writer does not colour (non-manifold)."""
        self.shapes.UpdateAssemblies()
        writer = STEPCAFControl_Writer(XSControl_WorkSession(), False)  # registers the settings: make it first
        writer.SetColorMode(True)
        writer.SetNameMode(True)
        writer.SetLayerMode(False)
        with occt_settings({**SETTINGS, **(extra or {})}):
            if not writer.Transfer(self.doc, STEPControl_StepModelType.STEPControl_AsIs):
                raise GeometryError(path.stem, "OCCT could not translate the model to STEP")
            if styles:
                _style(writer, styles)
            header = APIHeaderSection_MakeHeader(writer.ChangeWriter().Model())
            header.SetDescriptionValue(1, TCollection_HAsciiString(header_string(
                f"pkgcad {__version__}: {title}; units: millimetre")))
            header.SetAuthorValue(1, TCollection_HAsciiString("pkgcad"))
            if writer.Write(str(path)) != IFSelect_ReturnStatus.IFSelect_RetDone:
                raise GeometryError(path.stem, f"OCCT could not write {path.name}")


# ------------------------------------------------------------------------------------------------ writers
def write_step(pkg: Package, path: Path, mode: str = "assembly") -> None:
    """The package as STEP in ``mode`` (:data:`STEP_MODES` but "conformal", which :mod:`pkgcad.conformal`
    writes through :func:`write_shared_solids`): "assembly" every instance a named occurrence of its part's ONE
    definition, a tiled encapsulant an assembly of its distinct tiles; "solid" the same with the encapsulant one
    glued solid; "fused" the whole package as ONE solid whose faces keep their part colours."""
    if mode not in STEP_MODES or mode == "conformal":
        modes = " | ".join(m for m in STEP_MODES if m != "conformal")
        raise ValueError(f"step mode {mode!r}: write_step writes {modes} (the conformal STEP is pkgcad.conformal's)")
    title = f"{pkg.name}; {pkg.spec.meta.title}"
    if mode == "fused":
        write_fused(pkg, path, title)
    else:
        write_assembly(Assembly.of(pkg), path, title, tiles=mode == "assembly")


def write_assembly(assy: Assembly, path: Path, title: str, *, tiles: bool = True,
                   names: Names = "first instance") -> None:
    """``assy`` as an assembly STEP: a root product named after it holding every part's placements and, if it
    has units, ONE unit assembly (``<name>_unit``) placed at every unit."""
    doc = Document(names)
    root = doc.assembly(assy.name)
    if assy.unit_parts:
        unit = doc.assembly(f"{assy.name}_unit")
        for p in assy.unit_parts:
            doc.part(unit, p, tiles)
        for u in assy.units:
            doc.place(root, unit, u.name, u.location())
    for p in assy.parts:
        doc.part(root, p, tiles)
    doc.write(path, title)


def write_fused(pkg: Package, path: Path, title: str) -> None:
    """The package as ONE solid (every placed part fused, in glue mode: the parts only touch), each face in
    the colour of the part it came from."""
    placed: list[tuple[cq.Shape, cq.Color]] = []
    for part in pkg.parts:
        colour, solid = colour_of(part.material), part.solid()
        placed += [(solid.moved(pl.location()).copy(), colour) for pl in part.placements]
    fuse = BRepAlgoAPI_Fuse()
    args, tools = TopTools_ListOfShape(), TopTools_ListOfShape()
    args.Append(placed[0][0].wrapped)
    for s, _c in placed[1:]:
        tools.Append(s.wrapped)
    fuse.SetGlue(BOPAlgo_GlueEnum.BOPAlgo_GlueShift)
    fuse.SetArguments(args)
    fuse.SetTools(tools)
    fuse.Build()
    if not fuse.IsDone():
        raise GeometryError(pkg.name, "OCCT could not fuse the parts into one solid")
    doc = Document()
    top = doc.name(doc.shapes.AddShape(fuse.Shape(), False), pkg.name)
    for shape, colour in placed:
        for face in shape.Faces():
            pieces = [face.wrapped] if not fuse.IsDeleted(face.wrapped) else []
            pieces += [*fuse.Modified(face.wrapped), *fuse.Generated(face.wrapped)]
            for piece in pieces:
                label = doc.shapes.AddSubShape(top, piece)
                if not label.IsNull():
                    doc.colours.SetColor(label, colour.wrapped, XCAFDoc_ColorType.XCAFDoc_ColorGen)
    doc.write(path, title)


@dataclass(frozen=True)
class SharedSolid:
    """One solid of a model whose solids share faces: its shell (the item written), name and material."""

    shell: TopoDS_Shape
    name: str
    material: str


def write_shared_solids(compound: cq.Shape, solids: Sequence[SharedSolid], path: Path, name: str,
                        title: str) -> None:
    """``compound`` (solids sharing their contact faces) as ONE non-manifold shape representation: a face two
    solids touch on is written once. Measured on qfn (455 distinct faces, 376 shared by two solids): a manifold
    representation writes each solid's faces again (831 faces, and OCCT's reader maps each
    MANIFOLD_SOLID_BREP on its own, so nothing comes back shared); with ``write.step.nonmanifold`` and assembly
    mode off, each solid is a SHELL_BASED_SURFACE_MODEL whose CLOSED_SHELL reuses its neighbours' faces, and
    readers that read non-manifold STEP (OCCT's ``read.step.nonmanifold``: gmsh does, FreeCAD after
    ``Part.setStaticValue``) rebuild solids sharing those faces.

    Each SHELL_BASED_SURFACE_MODEL is named after its solid (``solids[i].name``, an XCAF sub-shape name) and
    styled in its material's colour (by hand: OCCT's colour writer finds no context in a non-manifold
    representation). Raises :class:`GeometryError` if OCCT writes a manifold representation after all."""
    doc = Document()
    top = doc.name(doc.shapes.AddShape(compound.wrapped, False, False), name)
    for s in solids:
        doc.name(doc.shapes.AddSubShape(top, s.shell), s.name)
    doc.write(path, title, NONMANIFOLD, [(s.shell, s.name, s.material) for s in solids])
    with path.open("rb") as f:
        if b"NON_MANIFOLD_SURFACE_SHAPE_REPRESENTATION" not in f.read():
            raise GeometryError(name, f"{path.name}: OCCT wrote a manifold representation; the faces are not shared")


def _style(writer: STEPCAFControl_Writer, items: Sequence[tuple[TopoDS_Shape, str, str]]) -> None:
    """A STYLED_ITEM in its material's colour on the STEP item written for each shape, gathered in one
    MECHANICAL_DESIGN_GEOMETRIC_PRESENTATION_REPRESENTATION (what OCCT writes for colours elsewhere)."""
    ws = writer.ChangeWriter().WS()
    finder = ws.TransferWriter().FinderProcess()
    styles = STEPConstruct_Styles(ws)
    encoded = {}
    for shape, name, material_name in items:
        item = STEPConstruct.FindEntity_s(finder, shape)
        if item is None:
            raise GeometryError(name, "no STEP item was written for it")
        if material_name not in encoded:
            r, g, b = material(material_name).color
            encoded[material_name] = STEPConstruct_Styles.EncodeColor_s(Quantity_Color(r, g, b, Quantity_TOC_sRGB))
        c = encoded[material_name]
        styles.AddStyle(item, styles.MakeColorPSA(item, c, c, c, 0.0, False), None)
    model = ws.Model()
    context = None
    for i in range(1, model.NbEntities() + 1):
        e = model.Value(i)
        if e.DynamicType().Name() in ("StepShape_NonManifoldSurfaceShapeRepresentation",
                                      "StepShape_ShapeRepresentation"):
            context = e.ContextOfItems()
            break
    if context is None:
        raise GeometryError("the STEP writer", "the STEP model has no shape representation to colour")
    array = StepRepr_HArray1OfRepresentationItem(1, styles.NbStyles())
    for i in range(1, styles.NbStyles() + 1):
        array.SetValue(i, styles.Style(i))
    mdgpr = StepVisual_MechanicalDesignGeometricPresentationRepresentation()
    mdgpr.Init(TCollection_HAsciiString(""), array, context)
    model.AddWithRefs(mdgpr)
