"""The ONE place where ``pkgcad kicad`` reads pkgcad's layout maths, builders and exporters.

Everything the KiCad library needs from the rest of pkgcad (the resolved :class:`~pkgcad.layout.Layout`, the
geometry builders and primitives, the Package, the STEP exporter, the tessellation, the staged output folder)
passes through here.
Frame of what it returns: pkgcad's, millimetres, y up, carrier bottom at z = 0, package centred on x = y = 0.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cadquery as cq
import numpy as np
import trimesh

from ..export.options import QUALITIES
from ..export.staging import staged_dir as _staged_dir
from ..export.step import write_step as _write_step
from ..geometry import carrier
from ..geometry.shapes import box, cut_all
from ..layout import Layout
from ..package import Package, Part
from ..roles import Role
from ..tessellate import Shifts, part_meshes

__all__ = ["Layout", "Package", "Part", "Role", "box", "carrier", "cut_all"]

Rect = tuple[float, float, float, float]  # cx, cy, sx, sy


@dataclass(frozen=True)
class BallArray:
    """The solder balls as built: centres (n, 2), the grid they sit on and each ball's grid column/row
    (0-based, column along +x, row along +y)."""

    points: np.ndarray
    nx: int
    ny: int
    pitch: float
    diameter: float
    height: float
    ix: np.ndarray
    iy: np.ndarray


def balls(lay: Layout) -> BallArray | None:
    """The ball array of a BGA as the layout fitted it (None for an LGA: ``balls.count = 0``)."""
    sites = lay.balls
    if sites is None or sites.grid is None:
        return None
    g, pts = sites.grid, sites.points
    ix = np.rint(pts[:, 0] / g.pitch + (g.nx - 1) / 2).astype(int)
    iy = np.rint(pts[:, 1] / g.pitch + (g.ny - 1) / 2).astype(int)
    b = lay.spec.balls
    return BallArray(pts, g.nx, g.ny, g.pitch, b.diameter, b.height, ix, iy)


def qfn_leads(lay: Layout) -> list[tuple[int, Rect]]:
    """(side, rect) of every QFN lead, sides 0..3 = +x, +y, -x, -y, each side's leads counter-clockwise."""
    return [(lead.side, lead.rect) for lead in lay.leads]


def die_pad(lay: Layout) -> tuple[float, float]:
    assert lay.die_pad is not None
    return lay.die_pad[2], lay.die_pad[3]


def board_lift(lay: Layout) -> float:
    """How far to raise the model so the board top is z = 0: the ball bottoms (BGA) or the package bottom."""
    return lay.spec.balls.height if lay.balls is not None else 0.0


def build(lay: Layout) -> Package:
    from ..geometry import build_package

    return build_package(lay)


def lifted(pkg: Package, dz: float) -> Package:
    """``pkg`` with every placement raised by ``dz`` (the shapes are shared, nothing is copied)."""
    parts = [dataclasses.replace(p, placements=tuple(dataclasses.replace(pl, z=pl.z + dz) for pl in p.placements))
             for p in pkg.parts]
    return Package(pkg.layout, parts, dict(pkg.timings))


def write_step(pkg: Package, path: Path) -> None:
    """pkgcad's STEP exporter, assembly mode: a repeated part is one definition placed N times."""
    _write_step(pkg, path, "assembly")


def cylinder(radius: float, cx: float, cy: float, z0: float, z1: float) -> cq.Solid:
    return cq.Solid.makeCylinder(radius, z1 - z0, cq.Vector(cx, cy, z0))


def meshes(part: Part, quality: str) -> list[tuple[trimesh.Trimesh, Shifts]]:
    """``part`` as meshes to instance: one mesh per distinct piece with the (dx, dy) shifts that place it
    (a plain part is one piece at (0, 0); a tiled encapsulant one piece per distinct tile)."""
    return part_meshes(part, QUALITIES[quality]).pieces


@contextmanager
def staged_dir(out: Path) -> Iterator[Path]:
    with _staged_dir(out, "kicad") as tmp:
        yield tmp
