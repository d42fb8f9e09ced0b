"""The Package: named parts in stacking order, each one shape placed one or many times. No file format lives
here: the exporters (:mod:`pkgcad.export`) turn a Package into STEP, STL, GLB and the manifest."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import cadquery as cq
import numpy as np
from OCP.Bnd import Bnd_Box
from OCP.BRepBndLib import BRepBndLib

from .layout import Layout
from .roles import Role
from .spec import PackageSpec


@dataclass(frozen=True)
class Placement:
    """Where one instance of a part sits: a turn about +z, then a shift. Millimetres and degrees."""

    name: str
    x: float = 0.0
    y: float = 0.0
    z: float = 0.0
    angle_deg: float = 0.0

    def location(self) -> cq.Location:
        if self.angle_deg:
            return cq.Location(cq.Vector(self.x, self.y, self.z), cq.Vector(0, 0, 1), self.angle_deg)
        return cq.Location(cq.Vector(self.x, self.y, self.z))

    def matrix(self) -> np.ndarray:
        c, s = math.cos(math.radians(self.angle_deg)), math.sin(math.radians(self.angle_deg))
        return np.array([[c, -s, 0, self.x], [s, c, 0, self.y], [0, 0, 1, self.z], [0, 0, 0, 1]], dtype=float)


ORIGIN = (Placement("",),)


class Tiling(Protocol):
    """A part made of tiles that touch face to face on the tile lines ``xs`` x ``ys`` (see
    :class:`pkgcad.geometry.tiles.TiledCut`): ``(k, dx, dy)`` in ``uses`` is ``shapes[k]`` shifted by ``(dx, dy)``."""

    @property
    def shapes(self) -> tuple[cq.Shape, ...]: ...
    @property
    def uses(self) -> tuple[tuple[int, float, float], ...]: ...
    @property
    def xs(self) -> tuple[float, ...]: ...
    @property
    def ys(self) -> tuple[float, ...]: ...
    def solid(self) -> cq.Solid: ...


@dataclass
class Part:
    """One shape definition (in its own frame) with the placements of its instances.

    ``role`` says what it is in the claims (:class:`~pkgcad.roles.Role`); ``group`` names the STL file its
    instances are written to (``parts/<group>.stl``). A part cut in tiles (the encapsulant of a large model)
    has its ``tiling``, and ``shape`` is the compound of its tiles; :meth:`solid` glues them into one solid.
    """

    name: str
    role: Role
    material: str
    shape: cq.Shape
    placements: tuple[Placement, ...] = ORIGIN
    group: str = ""
    tiling: Tiling | None = None

    def __post_init__(self) -> None:
        if self.placements == ORIGIN:
            self.placements = (Placement(self.name),)
        if not self.group:
            self.group = self.name

    @property
    def count(self) -> int:
        return len(self.placements)

    def placed(self) -> Iterator[cq.Shape]:
        for p in self.placements:
            yield self.shape.moved(p.location())

    def solid(self) -> cq.Shape:
        """The part as ONE solid: ``shape``, or the tiles glued together (seconds for thousands of holes)."""
        return self.shape if self.tiling is None else self.tiling.solid()

    def volume(self) -> float:
        """Volume of one instance [mm^3]; a tiled part's from its distinct tiles."""
        if self.tiling is None:
            return float(self.shape.Volume())
        own = [s.Volume() for s in self.tiling.shapes]
        return float(sum(own[k] for k, _dx, _dy in self.tiling.uses))

    def bbox(self, local: np.ndarray | None = None) -> tuple[list[float], list[float]]:
        """Bounding box of all instances [mm], from the shape's own ``local`` (2, 3) bounds when given (e.g.
        its mesh's), else from OCCT's quick box of the exact geometry (a few um loose around swept wires).

        Not ``cq.BoundBox._fromTopoDS(optimal=False)``: it meshes the shape first and leaves the triangulation
        on it, after which every OCCT box of the part follows the mesh; the optimal box costs ~0.1 s a wire."""
        if local is None:
            box = Bnd_Box()
            BRepBndLib.Add_s(self.shape.wrapped, box, False)  # useTriangulation=False
            local = np.array(box.Get()).reshape(2, 3)
        corners = np.array([[x, y, z, 1.0] for x in local[:, 0] for y in local[:, 1] for z in local[:, 2]])
        pts = np.concatenate([corners @ p.matrix().T for p in self.placements])[:, :3]
        return pts.min(axis=0).round(6).tolist(), pts.max(axis=0).round(6).tolist()


@dataclass
class Package:
    """The built parts of one :class:`~pkgcad.layout.Layout`, bottom to top, the encapsulant last."""

    layout: Layout
    parts: list[Part]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def spec(self) -> PackageSpec:
        return self.layout.spec

    @property
    def name(self) -> str:
        return self.spec.meta.name

    def part(self, name: str) -> Part:
        for p in self.parts:
            if p.name == name:
                return p
        raise KeyError(name)

    def groups(self) -> dict[str, list[Part]]:
        out: dict[str, list[Part]] = {}
        for p in self.parts:
            out.setdefault(p.group, []).append(p)
        return out

    def instance_count(self) -> int:
        return sum(p.count for p in self.parts)

    def count(self, role: Role) -> int:
        """Instances of parts with ``role``."""
        return sum(p.count for p in self.parts if p.role == role)
