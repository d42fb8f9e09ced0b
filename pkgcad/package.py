"""The Package: named parts in stacking order, each one shape placed one or many times."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import cadquery as cq
import numpy as np
from OCP.Bnd import Bnd_Box
from OCP.BRepBndLib import BRepBndLib

from .materials import mass_g
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
    :class:`pkgcad.build.tiles.TiledCut`): ``(k, dx, dy)`` in ``uses`` is ``shapes[k]`` shifted by ``(dx, dy)``."""

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

    ``role`` says what it is in the claims (``heat_sink``, ``bump`` ...); ``group`` names the STL file its
    instances are written to (``parts/<group>.stl``). A part cut in tiles (the encapsulant of a large model)
    has its ``tiling``, and ``shape`` is the compound of its tiles; :meth:`solid` glues them into one solid.
    """

    name: str
    role: str
    material: str
    shape: cq.Shape
    placements: tuple[Placement, ...] = ORIGIN
    group: str = ""
    info: dict[str, Any] = field(default_factory=dict)
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
    spec: PackageSpec
    parts: list[Part]
    realized: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

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

    def assembly(self, tiles: bool = True) -> cq.Assembly:
        """A CadQuery assembly: every instance a named child with its material colour; a repeated part adds
        the SAME shape object at each location, so STEP writes one definition and N references. A tiled part
        is a sub-assembly of its tiles, each distinct tile one definition (``tiles=False``: one glued solid)."""
        from .materials import material

        assy = cq.Assembly(name=self.name)
        for part in self.parts:
            color = cq.Color(*material(part.material).color)
            for pl in part.placements:
                if part.tiling is not None and tiles:
                    assy.add(tile_assembly(part, part.tiling, color), name=pl.name, loc=pl.location())
                else:
                    assy.add(part.solid(), name=pl.name, loc=pl.location(), color=color)
        return assy

    def part_rows(self, local_bounds: dict[str, np.ndarray] | None = None) -> list[dict[str, Any]]:
        """One summary row per part definition; ``local_bounds`` maps part names to (2, 3) bounds."""
        rows = []
        for p in self.parts:
            v = p.volume()
            lo, hi = p.bbox((local_bounds or {}).get(p.name))
            rows.append({
                "name": p.name,
                "role": p.role,
                "material": p.material,
                "group": p.group,
                "count": p.count,
                "instances": [pl.name for pl in p.placements],
                "volume_mm3": round(v, 9),
                "volume_total_mm3": round(v * p.count, 9),
                "mass_g": round(mass_g(p.material, v * p.count), 9),
                "bbox_mm": [lo, hi],
                **({"info": p.info} if p.info else {}),
            })
        return rows


def tile_assembly(part: Part, tiling: Tiling, color: cq.Color) -> cq.Assembly:
    """``part``'s tiles as named children (``<part>_tile_0000``...), congruent tiles sharing one shape."""
    sub = cq.Assembly(name=f"{part.name}_tiles")
    for i, (k, dx, dy) in enumerate(tiling.uses):
        sub.add(tiling.shapes[k], name=f"{part.name}_tile_{i:04d}", loc=cq.Location(cq.Vector(dx, dy, 0)),
                color=color)
    return sub
