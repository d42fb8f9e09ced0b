"""What :func:`pkgcad.conformal.conformal` hands back: solids that share their contact faces, each with its part, and
what a caller may add (:class:`Extra`). Millimetres throughout."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cadquery as cq
from OCP.BRepTools import BRepTools
from OCP.TopAbs import TopAbs_FACE, TopAbs_SOLID
from OCP.TopExp import TopExp
from OCP.TopTools import TopTools_IndexedDataMapOfShapeListOfShape

from ..errors import GeometryError


class ConformalError(GeometryError):
    """The kernel could not make the conformal model, or the result failed a check (the message says which).
    A geometry failure: exit 1."""

    def __init__(self, why: str) -> None:
        super().__init__("the conformal model", why)


@dataclass(frozen=True)
class Extra:
    """A solid the caller puts into the conformal model, placed in package coordinates [mm]: e.g. a homogenised
    block standing in for an excluded bump array. Inside the mold envelope it displaces the encapsulant; it must
    not overlap any other part (only touch it)."""

    name: str  # instance name, e.g. "bump_block"
    part: str  # group (gmsh physical group) name
    role: str
    material: str
    shape: cq.Shape


@dataclass(frozen=True)
class Solid:
    """One solid of the model. ``index`` is its 1-based place in :attr:`ConformalModel.compound`, which is the
    volume tag gmsh gives it on import (checked by :func:`pkgcad.conformal.mesh.load`)."""

    index: int
    name: str  # instance: wire_003, bump_0017, encapsulant
    part: str  # part definition: wire_a, bump, encapsulant
    role: str
    material: str
    shape: cq.Solid
    volume: float  # mm^3
    centroid: tuple[float, float, float]  # mm

    def row(self) -> dict[str, Any]:
        """The manifest record of this solid."""
        return {"index": self.index, "name": self.name, "part": self.part, "role": self.role,
                "material": self.material, "volume_mm3": round(self.volume, 9),
                "centroid_mm": [round(c, 9) for c in self.centroid]}


@dataclass
class ConformalModel:
    """Solids that share every contact face (one topology: a face two solids touch on is ONE face), in part
    order with the encapsulant last. A part instance may be several solids (a tiled model splits large parts
    along the tile lines); every solid carries its instance and part name."""

    name: str
    compound: cq.Compound
    solids: tuple[Solid, ...]
    tiles: int = 1  # tiles the fuse was cut into (1: one fuse of everything)
    glue: bool = True  # the fuse ran in OCCT's glue mode (contacts only, no crossing faces)
    timings: dict[str, float] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Solid]:
        return iter(self.solids)

    def __len__(self) -> int:
        return len(self.solids)

    def volume(self) -> float:
        return sum(s.volume for s in self.solids)

    def groups(self) -> dict[str, list[int]]:
        """Part name -> indices of its solids (the gmsh physical groups), in model order."""
        out: dict[str, list[int]] = {}
        for s in self.solids:
            out.setdefault(s.part, []).append(s.index)
        return out

    def part_volumes(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for s in self.solids:
            out[s.part] = out.get(s.part, 0.0) + s.volume
        return out

    def materials(self) -> dict[str, str]:
        """Part name -> material name."""
        return {s.part: s.material for s in self.solids}

    def shared_faces(self) -> int:
        """Faces that bound two solids: each contact between two solids is made of such faces."""
        return face_use(self.compound)[1]

    def write_brep(self, path: Path) -> None:
        """The compound as an OCCT BREP file: exact geometry, shared faces kept, solids in model order (gmsh
        imports it with volume tag = :attr:`Solid.index`)."""
        BRepTools.Write_s(self.compound.wrapped, str(path))

    def to_gmsh(self, gmsh: Any) -> dict[str, int]:
        """Put the model into the running ``gmsh`` (a new gmsh model; open it with
        :func:`pkgcad.conformal.session`) through a BREP file, without fragmenting: volume tag =
        :attr:`Solid.index` (proven by volume and centroid), entity names = instances, one physical volume group
        per part named after it. Returns part name -> physical group tag. Nothing is meshed."""
        from .mesh import load

        with tempfile.TemporaryDirectory(prefix="pkgcad-fem-") as tmp:
            path = Path(tmp) / f"{self.name}.brep"
            self.write_brep(path)
            return load(gmsh, path, [s.row() for s in self.solids])

    def manifest(self) -> dict[str, Any]:
        """What manifest.json records of the conformal model: groups and solids by gmsh volume tag."""
        return {
            "solids": [s.row() for s in self.solids],
            "groups": self.groups(),
            "shared_faces": self.shared_faces(),
            "tiles": self.tiles,
            "volume_mm3": round(self.volume(), 9),
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
        }


def face_use(shape: cq.Shape) -> tuple[int, int]:
    """(faces bounding one solid, faces bounding two solids) of ``shape``; a third use would be a kernel bug."""
    fmap = TopTools_IndexedDataMapOfShapeListOfShape()
    TopExp.MapShapesAndUniqueAncestors_s(shape.wrapped, TopAbs_FACE, TopAbs_SOLID, fmap)
    uses = [fmap.FindFromIndex(i).Size() for i in range(1, fmap.Extent() + 1)]
    if any(u > 2 for u in uses):
        raise ConformalError("a face bounds more than two solids")
    return uses.count(1), uses.count(2)
