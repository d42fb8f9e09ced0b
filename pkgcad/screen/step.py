"""Read any AP203 / AP214 / AP242 STEP file through OpenCASCADE's XCAF reader (``STEPCAFControl_Reader``): the
assembly tree, every placed solid with its instance and product names and colour, in millimetres whatever unit
the file declares; each distinct solid tessellated ONCE (instances share it, as the file shares it).

The file is proven first (:mod:`.guard`); what OpenCASCADE makes of it is proven again here: solids only (a
shell or a face that bounds no solid is refused: the claims speak of bodies), finite coordinates, at most
:data:`~.guard.MAX_INSTANCES` placed solids and :data:`~.guard.MAX_TRIANGLES` triangles.
"""

from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import interrupts
from ..errors import NO_VALUE, InputError
from .guard import MAX_DEPTH, MAX_INSTANCES, MAX_TRIANGLES, StepText, prove

MAX_NAME = 200
"""Names longer than this (characters) are cut: a name is shown, never trusted."""
MAX_COORD = 1e5
"""mm: a package model lies well within 100 m of its origin; farther is a broken or hostile file."""
MESH_VOL_TOL = 0.04
"""A solid is meshed finer until its mesh holds its exact volume within this fraction (see :func:`_mesh`): pkgcad's
own bumps and balls hold 2.6-3.8 % less at normal quality and are not refined."""


@dataclass
class Definition:
    """One distinct solid, tessellated in its own frame: ``vertices`` (n, 3) mm, ``faces`` (m, 3), closed and
    wound outwards where the solid is; ``volume`` from the exact B-rep [mm^3]."""

    vertices: np.ndarray
    faces: np.ndarray
    volume: float


@dataclass
class StepSolid:
    """One placed solid. ``index`` counts from 1 in the file's order (a roles file may name it ``#index``);
    ``name`` is the instance's name (else its product's), ``path`` the names from the root."""

    index: int
    name: str
    product: str
    path: str
    colour: tuple[float, float, float] | None
    definition: int
    matrix: np.ndarray  # (4, 4): local -> model, mm

    def placed(self, d: Definition) -> np.ndarray:
        return d.vertices @ self.matrix[:3, :3].T + self.matrix[:3, 3]


@dataclass
class StepModel:
    path: Path
    name: str
    solids: list[StepSolid]
    definitions: list[Definition]
    proven: StepText
    notes: list[str]


def _clean(name: str) -> str:
    return name if len(name) <= MAX_NAME else name[:MAX_NAME - 1] + "…"


@contextmanager
def _proven_copy(text: bytes) -> Any:
    """The proven text in a private temporary file (OpenCASCADE reads paths): what it reads is what was proven,
    even if the original changes meanwhile, and a .stpZ needs inflating anyway."""
    fd, name = tempfile.mkstemp(prefix="pkgcad-screen-", suffix=".step")
    interrupts.register(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text)
        yield name
    finally:
        interrupts.unregister(name)
        with suppress(OSError):
            os.unlink(name)


@contextmanager
def _quiet_occt() -> Any:
    """OpenCASCADE's translators print to stdout: keep it off (``--json`` owns stdout)."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def read_step(path: str | Path) -> StepModel:
    """Prove, read and tessellate ``path``; :class:`InputError` (one line) for anything unreadable or hostile."""
    path = Path(path)
    proven = prove(path)  # before OpenCASCADE sees a byte of it
    return _walk(occt_document(proven, str(path)), path, proven)


def occt_document(proven: StepText, where: str) -> Any:
    """The proven text read by OpenCASCADE's XCAF reader into a document (lengths converted to mm)."""
    from OCP.IFSelect import IFSelect_RetDone
    from OCP.Interface import Interface_Static
    from OCP.STEPCAFControl import STEPCAFControl_Reader
    from OCP.TCollection import TCollection_ExtendedString
    from OCP.TDocStd import TDocStd_Document

    with _proven_copy(proven.text) as tmp, _quiet_occt():
        reader = STEPCAFControl_Reader()
        reader.SetNameMode(True)
        reader.SetColorMode(True)
        reader.SetLayerMode(False)
        Interface_Static.SetCVal_s("xstep.cascade.unit", "MM")
        status = reader.ReadFile(tmp)
        if status != IFSelect_RetDone:
            raise InputError(where, NO_VALUE, f"OpenCASCADE cannot read it ({status.name})", "export it again")
        doc = TDocStd_Document(TCollection_ExtendedString("XmlXCAF"))
        if not reader.Transfer(doc):
            raise InputError(where, NO_VALUE, "OpenCASCADE reads no shape from it", "export it again")
    return doc


def _label_name(label: Any) -> str:
    from OCP.TDataStd import TDataStd_Name

    attr = TDataStd_Name()
    if label.FindAttribute(TDataStd_Name.GetID_s(), attr):
        return _clean(str(attr.Get().ToExtString()))
    return ""


def _colour(tool: Any, label: Any) -> tuple[float, float, float] | None:
    from OCP.Quantity import Quantity_Color
    from OCP.XCAFDoc import XCAFDoc_ColorType

    c = Quantity_Color()
    for kind in (XCAFDoc_ColorType.XCAFDoc_ColorSurf, XCAFDoc_ColorType.XCAFDoc_ColorGen):
        if tool.GetColor_s(label, kind, c):
            return (c.Red(), c.Green(), c.Blue())
    return None


def _matrix(trsf: Any) -> np.ndarray:
    m = np.eye(4)
    for i in range(3):
        for j in range(4):
            m[i, j] = trsf.Value(i + 1, j + 1)
    return m


class _Walk:
    def __init__(self, doc: Any, where: str) -> None:
        from OCP.XCAFDoc import XCAFDoc_DocumentTool

        self.shapes = XCAFDoc_DocumentTool.ShapeTool_s(doc.Main())
        self.colours = XCAFDoc_DocumentTool.ColorTool_s(doc.Main())
        self.where = where
        self.solids: list[StepSolid] = []
        self.definitions: list[Definition] = []
        self.by_tshape: dict[Any, int] = {}
        self.pending: list[tuple[Any, int]] = []  # (solid in its own frame, definition) to tessellate
        self.loose = 0  # shells and faces that bound no solid
        self.loose_in = ""

    def label(self, label: Any, trsf: Any, names: list[str], inst: str, colour: Any, depth: int) -> None:
        from OCP.TDF import TDF_Label, TDF_LabelSequence

        if depth > MAX_DEPTH:
            raise InputError(self.where, NO_VALUE, f"assemblies nested deeper than {MAX_DEPTH} levels",
                             "flatten the assembly")
        own = _label_name(label)
        colour = _colour(self.colours, label) or colour
        if self.shapes.IsAssembly_s(label):
            comps = TDF_LabelSequence()
            self.shapes.GetComponents_s(label, comps)
            for i in range(1, comps.Length() + 1):
                comp = comps.Value(i)
                ref = TDF_Label()
                if not self.shapes.GetReferredShape_s(comp, ref):
                    continue
                cname = _label_name(comp)
                loc = self.shapes.GetLocation_s(comp).Transformation()
                self.label(ref, trsf.Multiplied(loc), [*names, cname or _label_name(ref)], cname,
                           _colour(self.colours, comp) or colour, depth + 1)
            return
        self.shape(self.shapes.GetShape_s(label), trsf, names, inst or own, own, colour)

    def shape(self, shape: Any, trsf: Any, names: list[str], inst: str, product: str, colour: Any) -> None:
        from OCP.TopAbs import TopAbs_FACE, TopAbs_SHELL, TopAbs_SOLID
        from OCP.TopExp import TopExp_Explorer
        from OCP.TopLoc import TopLoc_Location

        found = []
        ex = TopExp_Explorer(shape, TopAbs_SOLID)
        while ex.More():
            found.append(ex.Current())
            ex.Next()
        for kind, avoid in ((TopAbs_SHELL, TopAbs_SOLID), (TopAbs_FACE, TopAbs_SHELL)):
            ex = TopExp_Explorer(shape, kind, avoid)
            while ex.More():
                self.loose += 1
                self.loose_in = self.loose_in or inst or product or f"solid {len(self.solids) + 1}"
                ex.Next()
        for k, solid in enumerate(found):
            if len(self.solids) >= MAX_INSTANCES:
                raise InputError(self.where, NO_VALUE, f"more than {MAX_INSTANCES:,} solids",
                                 "screen the package alone")
            key = solid.TShape()
            if key not in self.by_tshape:
                self.by_tshape[key] = len(self.definitions)
                self.definitions.append(Definition(np.zeros((0, 3)), np.zeros((0, 3), np.int64), 0.0))
                self.pending.append((solid.Located(TopLoc_Location()), self.by_tshape[key]))
            placed = trsf.Multiplied(solid.Location().Transformation())
            base = inst or product
            name = base if len(found) == 1 else f"{base or 'solid'} [{k + 1}]"
            index = len(self.solids) + 1
            self.solids.append(StepSolid(index, name or f"solid {index}", product, " / ".join(n for n in names if n),
                                         colour, self.by_tshape[key], _matrix(placed)))


def _walk(doc: Any, path: Path, proven: StepText) -> StepModel:
    from OCP.gp import gp_Trsf
    from OCP.TDF import TDF_Label, TDF_LabelSequence

    where = str(path)
    w = _Walk(doc, where)
    free = TDF_LabelSequence()
    w.shapes.GetFreeShapes(free)
    for i in range(1, free.Length() + 1):
        top = free.Value(i)
        trsf = gp_Trsf()
        if w.shapes.IsReference_s(top):
            ref = TDF_Label()
            w.shapes.GetReferredShape_s(top, ref)
            trsf = w.shapes.GetLocation_s(top).Transformation()
            top = ref
        w.label(top, trsf, [_label_name(top)], "", None, 0)
    if w.loose:
        raise InputError(where, NO_VALUE, f"{w.loose} shell(s) or face(s) that bound no solid, e.g. in "
                         f"{w.loose_in!r}: pkgcad screens solids", "export the parts as closed solids")
    if not w.solids:
        raise InputError(where, NO_VALUE, "no solid in it", "export the parts as closed solids")
    notes = _tessellate(w, where)
    for s in w.solids:
        if not np.isfinite(s.matrix).all() or np.abs(s.matrix[:3, 3]).max() > MAX_COORD:
            raise InputError(where, s.name, f"placed beyond {MAX_COORD:g} mm or at a coordinate that is not "
                             "finite", "export the model again")
    name = path.name
    for suffix in (".gz", ".stpz", ".step", ".stp"):
        if name.lower().endswith(suffix):
            name = name[:-len(suffix)]
    return StepModel(path, name or "model", w.solids, w.definitions, proven, notes)


def _tessellate(w: _Walk, where: str) -> list[str]:
    """Mesh every distinct solid once with pkgcad's normal quality (the engine the exporter uses)."""
    import cadquery as cq
    from OCP.BRepGProp import BRepGProp
    from OCP.GProp import GProp_GProps

    from ..export.options import QUALITIES
    from ..tessellate import shape_mesh

    notes: list[str] = []
    total = 0
    owners: dict[int, str] = {}
    for s in w.solids:
        owners.setdefault(s.definition, s.name)
    for solid, k in w.pending:
        owner = owners[k]
        props = GProp_GProps()
        try:
            BRepGProp.VolumeProperties_s(solid, props)
            mesh = _mesh(cq.Shape.cast(solid), float(props.Mass()), QUALITIES["normal"], shape_mesh, notes, owner)
        except Exception as exc:  # OCCT raises its own exception types
            raise InputError(where, owner, f"OpenCASCADE cannot mesh this solid ({type(exc).__name__}: "
                             f"{str(exc)[:80]})", "export the model again") from None
        v = np.asarray(mesh.vertices, dtype=np.float64)
        f = np.asarray(mesh.faces, dtype=np.int64)
        if not len(f):
            raise InputError(where, owner, "a solid with no area", "export the model again")
        if not np.isfinite(v).all() or np.abs(v).max() > MAX_COORD:
            raise InputError(where, owner, f"a coordinate that is not finite or beyond {MAX_COORD:g} mm",
                             "export the model again")
        total += len(f)
        if total > MAX_TRIANGLES:
            raise InputError(where, NO_VALUE, f"its solids mesh into more than {MAX_TRIANGLES:,} triangles",
                             "simplify the model (drop fillets and text)")
        w.definitions[k] = Definition(v, f, float(props.Mass()))
    return notes


def _mesh(shape: Any, volume: float, quality: Any, mesh_of: Any, notes: list[str], owner: str) -> Any:
    """``shape`` meshed at pkgcad's normal quality, and finer (the chordal deviation 0.4 times smaller, up to
    three times) while its mesh holds more than :data:`MESH_VOL_TOL` less volume than the exact solid: a thin
    swept wire of a foreign file (a B-spline tube) loses 6 % at normal quality; pkgcad's own wires do not."""
    from ..export.options import MeshQuality

    mesh = mesh_of(shape, quality)
    linear = quality.linear
    for _ in range(3):
        if volume <= 0 or abs(mesh.volume / volume - 1) <= MESH_VOL_TOL or len(mesh.faces) > 200_000:
            break
        linear *= 0.4
        mesh = mesh_of(shape, MeshQuality(f"{quality.name}-finer", linear, quality.angular))
    if linear != quality.linear:
        notes.append(f"{owner!r} meshed at a chordal deviation of {linear * 1000:g} um (its mesh then holds "
                     f"{(mesh.volume / volume - 1) * 100:+.1f} % of its exact volume)")
    return mesh
