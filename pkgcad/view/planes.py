"""Where the pictures cut and how much they stretch: ONE rule for `pkgcad section`, `pkgcad render` and the report.

- A vertical section (xz, yz) runs through the row of interconnects nearest the centre: of the planes near the
  centre it takes one that crosses the most kinds of part, and among those the one through the middle of the
  repeated parts it crosses (a ball row cut through its centres, not grazed), the nearest to the centre last.
- The top section (xy) runs through the chip's mid-height.
- The isometric render of a thin package is stretched vertically so the stack shows (stated on the picture).
"""

from __future__ import annotations

import numpy as np

from ..reader.model import Model

#: plane name -> (axis normal to the plane, horizontal drawing axis, vertical drawing axis, looking from)
PLANES: dict[str, tuple[int, int, int, str]] = {
    "xz": (1, 0, 2, "-y"),  # front view: x to the right, z up
    "yz": (0, 1, 2, "+x"),  # side view: y to the right, z up
    "xy": (2, 0, 1, "+z"),  # top view: x to the right, y up
}


def plane_range(model: Model, plane: str) -> tuple[float, float]:
    axis = PLANES[plane][0]
    lo, hi = model.scene.bounds
    return float(lo[axis]), float(hi[axis])


def busiest_plane(model: Model, plane: str, near: float, span: float = 0.6, steps: int = 121) -> float:
    """The position within ``near`` ± ``span`` mm where the plane crosses the most part groups; among those,
    the one cutting the repeated parts (bumps, balls, wires, leads) nearest their middles; then the nearest to
    ``near``. A plane through the centre of a 20 x 20 bump array runs between two rows; one a half pitch away
    cuts a whole row, and the ball row through its balls' centres.

    Judged on the boxes of each group's bodies (a body is crossed where the plane passes between its box
    faces), from the reader's blocks: no triangle is walked."""
    axis = PLANES[plane][0]
    lo, hi = plane_range(model, plane)
    cand = np.clip(near + np.linspace(-span, span, steps), lo + 1e-6, hi - 1e-6)
    crossed = np.zeros(len(cand))
    centred = np.zeros(len(cand))
    for group in model.blocks:
        blo, bhi = model.bodies_of(group)
        a, b = blo[:, axis], bhi[:, axis]
        inside = (a[None] < cand[:, None]) & (cand[:, None] < b[None])
        crossed += inside.any(axis=1)
        if model.counts.get(group, 1) > 1:
            mid, half = (a + b) / 2, np.maximum((b - a) / 2, 1e-12)
            off = np.clip(np.abs(cand[:, None] - mid[None]) / half[None], 0, 1)
            centred += np.where(inside, np.sqrt(1 - off**2), 0.0).max(axis=1, initial=0.0)
    key = np.lexsort((np.abs(cand - near), -np.round(centred, 2), -crossed))
    return float(cand[key[0]])


def chip_mid_height(model: Model) -> float:
    bottom, top = model.stack_mm.get("chip_bottom"), model.stack_mm.get("chip_top")
    if bottom is not None and top is not None:
        return float((bottom + top) / 2)
    return float(model.bounds("chip")[:, 2].mean())


def default_at(model: Model, plane: str) -> float:
    """Where ``plane`` cuts when the user does not say (see the module's rule)."""
    if plane == "xy":
        return chip_mid_height(model)
    lo, hi = plane_range(model, plane)
    return busiest_plane(model, plane, (lo + hi) / 2)


def stack_zoom(model: Model, most: float = 8.0) -> float:
    """Vertical exaggeration that lets an isometric view show the stack of a thin package: the height drawn
    as about 0.6 of the footprint's shorter side, in whole steps from 1 (no stretch) to ``most``."""
    lo, hi = model.scene.bounds
    size = hi - lo
    return float(max(1.0, min(most, round(0.6 * min(size[0], size[1]) / max(size[2], 1e-9)))))
