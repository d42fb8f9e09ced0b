"""A layer over the whole array (the mold body, a textured heat-sink plate) made of tiles: the strip's
streets and kerfs cut it into a grid of natural tiles, and congruent tiles are made ONCE.

- Every unit body is one tile (or the unit's own tiles: a flip chip's encapsulant is tiled already): the SAME
  shapes for every unit, made once by the package builders, placed at each unit.
- Every other tile (kerf, street crossing, rim) is a box minus the box tools over it (a QFN's connecting bars
  and the leads that run out to them), each tool clipped to the tile; tiles whose size and clipped tools match
  relative to their corner are congruent and cut once (:func:`pkgcad.geometry.tiles.box_tile_key`, the tiled
  cut's own congruence key).

The result is a :class:`~pkgcad.geometry.tiles.TiledCut` (what the package's tiled encapsulant is). The unit bodies
are the unit's own encapsulant shapes, so what the saw leaves of the mold (stage 5) IS the unit's encapsulant.
"""

from __future__ import annotations

import cadquery as cq
import numpy as np

from ..errors import GeometryError
from ..geometry.tiles import TiledCut, TileKey, bnd_box, box_tile_key, cut_tile, valid_solids
from .layout import Interval, StripLayout

GROW = 1e-4
"""A tool that reaches a tile's side is clipped this far [mm] beyond it, so the cut goes cleanly through."""


def array_intervals(strip: StripLayout, axis: int) -> list[Interval]:
    return [s for s in strip.intervals(axis) if s.kind != "rail"]


def _clip(tools: np.ndarray, rect: tuple[float, float, float, float]) -> np.ndarray:
    """``tools`` (n, 6) cut to the tile ``rect`` (x0, y0, x1, y1); a tool that reaches a side goes GROW past it."""
    x0, y0, x1, y1 = rect
    out = tools.copy()
    out[:, 0] = np.where(tools[:, 0] > x0 + 1e-9, tools[:, 0], x0 - GROW)
    out[:, 1] = np.where(tools[:, 1] > y0 + 1e-9, tools[:, 1], y0 - GROW)
    out[:, 3] = np.where(tools[:, 3] < x1 - 1e-9, tools[:, 3], x1 + GROW)
    out[:, 4] = np.where(tools[:, 4] < y1 - 1e-9, tools[:, 4], y1 + GROW)
    return out


def _solid(b: np.ndarray) -> cq.Solid:
    return cq.Solid.makeBox(b[3] - b[0], b[4] - b[1], b[5] - b[2], pnt=cq.Vector(b[0], b[1], b[2]))


def tiled_layer(strip: StripLayout, body: TiledCut, z: tuple[float, float], tools: np.ndarray,
                what: str) -> TiledCut:
    """The layer over the array from ``z[0]`` to ``z[1]``: ``body`` (in the unit frame) at every unit, every
    other tile a box minus the box ``tools`` ((n, 6), strip frame) over it, each distinct tile cut once."""
    xi, yi = array_intervals(strip, 0), array_intervals(strip, 1)
    has_tools = len(tools) > 0
    mx = [(tools[:, 3] > s.lo) & (tools[:, 0] < s.hi) for s in xi] if has_tools else []
    my = [(tools[:, 4] > s.lo) & (tools[:, 1] < s.hi) for s in yi] if has_tools else []
    first: dict[TileKey, int] = {}  # key -> index into reps
    reps: list[tuple[tuple[float, float, float, float], np.ndarray]] = []
    placed: list[tuple[int, float, float]] = []  # rep index, tile origin
    for a, sx in enumerate(xi):
        for b, sy in enumerate(yi):
            if sx.kind == sy.kind == "body":
                continue
            rect = (sx.lo, sy.lo, sx.hi, sy.hi)
            over = tools[np.flatnonzero(mx[a] & my[b])] if has_tools else np.zeros((0, 6))
            clipped = _clip(over, rect)
            clipped[:, 2] = np.where(clipped[:, 2] > z[0] + 1e-9, clipped[:, 2], z[0] - GROW)
            clipped[:, 5] = np.where(clipped[:, 5] < z[1] - 1e-9, clipped[:, 5], z[1] + GROW)
            key = box_tile_key(rect, z, clipped)
            if key not in first:
                first[key] = len(reps)
                reps.append((rect, clipped))
            placed.append((first[key], sx.lo, sy.lo))
    shapes: list[cq.Shape] = list(body.shapes)
    uses: list[tuple[int, float, float]] = []
    for u in strip.units:
        uses += [(k, u.x + dx, u.y + dy) for k, dx, dy in body.uses]
    made: dict[int, int | None] = {}
    for i, (rect, clipped) in enumerate(reps):
        x0, y0, x1, y1 = rect
        piece = _solid(np.array([x0, y0, z[0], x1, y1, z[1]]))
        cut = valid_solids(cut_tile(piece, [_solid(c) for c in clipped]), f"{what} tile")
        made[i] = None if cut is None else len(shapes)
        if cut is not None:
            shapes.append(cut)
    for i, ox, oy in placed:
        k = made[i]
        if k is not None:
            rect = reps[i][0]
            uses.append((k, ox - rect[0], oy - rect[1]))
    if not uses:
        raise GeometryError(what, "no tile left")
    xs = tuple(sorted({s.lo for s in xi} | {xi[-1].hi}))
    ys = tuple(sorted({s.lo for s in yi} | {yi[-1].hi}))
    return TiledCut(tuple(shapes), tuple(uses), xs, ys, what)


def single(shape: cq.Shape, what: str) -> TiledCut:
    """One shape as a tiled cut of one tile (a unit body that is not tiled)."""
    b = bnd_box(shape)
    return TiledCut((shape,), ((0, 0.0, 0.0),), (b[0], b[3]), (b[1], b[4]), what)
