"""The ONE place where ``pkgcad kicad`` reads pkgcad's layout maths, builders and exporters.

Everything the KiCad library needs from the rest of pkgcad passes through here, so re-pointing it (at
``layout.resolve(spec) -> Layout``, ``pkgcad.geometry``, ``pkgcad.export``) is a change to this file only.
Frame of what it returns: pkgcad's, millimetres, y up, carrier bottom at z = 0, package centred on x = y = 0.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh

from .. import layout
from ..export import staged_dir as _staged_dir
from ..export import write_step as _write_step
from ..export_options import QUALITIES
from ..package import Package, Part
from ..spec import PackageSpec
from ..tessellate import Shifts, part_meshes

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


def balls(spec: PackageSpec) -> BallArray | None:
    """The ball array of a BGA (None for an LGA: ``balls.count = 0``). Same call and region as the builder
    (``build.carrier.balls``): the carrier less the saw margin on each side."""
    b = spec.balls
    if spec.qfn or b.count == 0:
        return None
    region = (spec.carrier.size[0] - 2 * spec.rules.saw_margin, spec.carrier.size[1] - 2 * spec.rules.saw_margin)
    arr = layout.fit_array(b.count, b.pitch, b.diameter, region, b.pattern)
    pts = arr.points()
    ix = np.rint(pts[:, 0] / arr.pitch + (arr.nx - 1) / 2).astype(int)
    iy = np.rint(pts[:, 1] / arr.pitch + (arr.ny - 1) / 2).astype(int)
    return BallArray(pts, arr.nx, arr.ny, arr.pitch, b.diameter, b.height, ix, iy)


def qfn_leads(spec: PackageSpec) -> list[tuple[int, Rect]]:
    """(side, rect) of every QFN lead, sides 0..3 = +x, +y, -x, -y, each side's leads counter-clockwise."""
    return layout.leads(spec)


def die_pad(spec: PackageSpec) -> tuple[float, float]:
    return spec.die_pad.size


def board_lift(spec: PackageSpec) -> float:
    """How far to raise the model so the board top is z = 0: the ball bottoms (BGA) or the package bottom."""
    return spec.balls.height if not spec.qfn and spec.balls.count else 0.0


def build(spec: PackageSpec) -> Package:
    from ..build import build_package

    return build_package(spec)


def lifted(pkg: Package, dz: float) -> Package:
    """``pkg`` with every placement raised by ``dz`` (the shapes are shared, nothing is copied)."""
    parts = [dataclasses.replace(p, placements=tuple(dataclasses.replace(pl, z=pl.z + dz) for pl in p.placements))
             for p in pkg.parts]
    return Package(pkg.spec, parts, dict(pkg.realized), dict(pkg.timings))


def write_step(pkg: Package, path: Path) -> None:
    """pkgcad's STEP exporter, assembly mode: a repeated part is one definition placed N times."""
    _write_step(pkg, path, "assembly")


def meshes(part: Part, quality: str) -> list[tuple[trimesh.Trimesh, Shifts]]:
    """``part`` as meshes to instance: one mesh per distinct piece with the (dx, dy) shifts that place it
    (a plain part is one piece at (0, 0); a tiled encapsulant one piece per distinct tile)."""
    _mesh, pieces = part_meshes(part, QUALITIES[quality])
    return pieces


@contextmanager
def staged_dir(out: Path) -> Iterator[Path]:
    with _staged_dir(out) as tmp:
        yield tmp
