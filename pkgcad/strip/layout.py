"""The strip layout: where every unit, street, saw line and rail of a molded strip lies. Pure maths, no OCCT.

A strip holds ``nx x ny`` units of one package (its :class:`~pkgcad.layout.Layout`) at a pitch of the package
footprint plus one street. Streets run between neighbouring units AND round the outside of the array, so every
unit has the same surroundings; the mold cap, the heat-sink plate and its interface layer cover that array
("the array"); the carrier strip adds a rail on every side for handling.

The saw runs along the centre line of every street, across the whole strip, and takes away ``kerf`` (<= the
street). What it leaves of a street, ``(street - kerf) / 2`` on each side (the "rim"), stays on the unit, so a
sawn unit measures footprint + street - kerf: exactly the package footprint when the kerf fills the street, the
default. The saw then cuts plate, compound and carrier (and a QFN's leads and connecting bars) only.

Frame: millimetres, the strip's lower-left corner at x = y = 0, z as in the unit's layout (carrier bottom at 0).
Units are numbered row by row from the top-left, as a strip map is read (``unit_001`` ...).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import cached_property

from ..layout import Layout
from ..rect import Corners

GAP = 1e-9
"""Intervals narrower than this [mm] are dropped (a kerf that fills its street leaves no rim)."""


@dataclass(frozen=True)
class Interval:
    """A span along one axis and what lies there: ``rail`` (carrier only), ``rim`` (street left beside the outer
    kerf), ``kerf`` (what the saw takes) or ``body`` (a sawn unit; ``index`` is its column or row from 0)."""

    lo: float
    hi: float
    kind: str
    index: int = -1

    @property
    def width(self) -> float:
        return self.hi - self.lo


@dataclass(frozen=True)
class Unit:
    """One unit of the strip: its name, row (0 at the top), column (0 at the left) and centre [mm]."""

    name: str
    row: int
    col: int
    x: float
    y: float


@dataclass(frozen=True, eq=False)
class StripLayout:
    """A strip of ``nx x ny`` units of ``unit`` (see the module notes). Lengths in mm."""

    unit: Layout
    nx: int
    ny: int
    street: float
    kerf: float
    rails: tuple[float, float]  # rail width on the x sides and on the y sides, as realised
    flash: float  # compound skin left on the interface layer by molding

    # ----------------------------------------------------------------------------------------- sizes
    @property
    def count(self) -> int:
        return self.nx * self.ny

    @property
    def footprint(self) -> tuple[float, float]:
        return (self.unit.footprint[2], self.unit.footprint[3])

    @property
    def pitch(self) -> tuple[float, float]:
        return (self.footprint[0] + self.street, self.footprint[1] + self.street)

    @property
    def array_size(self) -> tuple[float, float]:
        """The mold cap, plate and interface layer: every unit and every street round them."""
        return (self.nx * self.pitch[0] + self.street, self.ny * self.pitch[1] + self.street)

    @property
    def size(self) -> tuple[float, float]:
        """The carrier strip's outline: the array and the rails."""
        return (self.array_size[0] + 2 * self.rails[0], self.array_size[1] + 2 * self.rails[1])

    @property
    def array(self) -> Corners:
        return Corners(self.rails[0], self.rails[1], self.rails[0] + self.array_size[0],
                       self.rails[1] + self.array_size[1])

    @property
    def rim(self) -> float:
        """What the saw leaves of a street on each side of its kerf."""
        return (self.street - self.kerf) / 2

    @property
    def body(self) -> tuple[float, float]:
        """A sawn unit's outline: the footprint and a rim on every side."""
        return (self.footprint[0] + 2 * self.rim, self.footprint[1] + 2 * self.rim)

    @property
    def bar(self) -> float:
        """Width of a QFN strip's connecting bars along the street centre lines: half the kerf, so the saw takes
        them whole and no lead stays joined to another."""
        return self.kerf / 2

    @property
    def lead_reach(self) -> float:
        """How far a QFN lead runs past the footprint side into the street, to the connecting bar."""
        return (self.street - self.bar) / 2

    # -------------------------------------------------------------------------------------- positions
    def street_centres(self, axis: int) -> list[float]:
        """Centre lines of the ``n + 1`` streets across ``axis`` (x: the streets between columns)."""
        n = self.nx if axis == 0 else self.ny
        start = self.array[axis] + self.street / 2
        return [start + i * self.pitch[axis] for i in range(n + 1)]

    def unit_centres(self, axis: int) -> list[float]:
        c = self.street_centres(axis)
        return [(a + b) / 2 for a, b in itertools.pairwise(c)]

    @cached_property
    def units(self) -> tuple[Unit, ...]:
        """Every unit, numbered row by row from the top-left."""
        xs, ys = self.unit_centres(0), self.unit_centres(1)
        width = len(str(self.count))
        out: list[Unit] = []
        for row in range(self.ny):
            for col in range(self.nx):
                out.append(Unit(f"unit_{len(out) + 1:0{width}d}", row, col, xs[col], ys[self.ny - 1 - row]))
        return tuple(out)

    def intervals(self, axis: int) -> tuple[Interval, ...]:
        """The strip across ``axis`` cut into rails, rims, kerfs and unit bodies, in order."""
        total = self.size[axis]
        lo, hi = self.array[axis], self.array[axis + 2]
        half = self.kerf / 2
        cuts = self.street_centres(axis)
        spans = [Interval(0.0, lo, "rail"), Interval(lo, cuts[0] - half, "rim")]
        for i, c in enumerate(cuts):
            spans.append(Interval(c - half, c + half, "kerf", i))
            if i + 1 < len(cuts):
                spans.append(Interval(c + half, cuts[i + 1] - half, "body", i))
        spans += [Interval(cuts[-1] + half, hi, "rim"), Interval(hi, total, "rail")]
        return tuple(s for s in spans if s.width > GAP)

    def kerf_bands(self, axis: int) -> list[tuple[float, float]]:
        """The saw's kerf across ``axis``: (lo, hi) of each cut."""
        return [(s.lo, s.hi) for s in self.intervals(axis) if s.kind == "kerf"]

    # --------------------------------------------------------------------------------------- the saw
    @property
    def saw_lines(self) -> tuple[int, int]:
        """Saw lines running along y (one per street between columns) and along x."""
        return (self.nx + 1, self.ny + 1)

    @property
    def saw_length(self) -> float:
        """The saw's path [mm]: every line across the whole strip, rails included."""
        w, h = self.size
        return self.saw_lines[0] * h + self.saw_lines[1] * w

    def kerf_area(self, box: Corners) -> float:
        """Area [mm^2] the kerf takes from the rectangle ``box`` (crossings counted once)."""
        def covered(axis: int) -> float:
            a, b = box[axis], box[axis + 2]
            return sum(max(0.0, min(hi, b) - max(lo, a)) for lo, hi in self.kerf_bands(axis))

        wx, wy = box[2] - box[0], box[3] - box[1]
        cx, cy = covered(0), covered(1)
        return cx * wy + cy * wx - cx * cy



def units_that_fit(length: float, pitch: float, street: float, rail: float) -> int:
    """How many units at ``pitch`` fit across ``length`` mm with a street round each and rails of ``rail``."""
    return max(0, math.floor((length - 2 * rail - street) / pitch + 1e-9))


def strip_layout(unit: Layout, units: tuple[int, int], street: float, kerf: float, rail: float,
                 size: tuple[float, float] | None = None, flash: float = 0.005) -> StripLayout:
    """The strip of ``units`` (columns, rows) of ``unit``; with ``size`` the rails take what the array leaves
    (centred). No judgement here: :func:`pkgcad.strip.rules.judge` refuses what cannot be made."""
    pitch = (unit.footprint[2] + street, unit.footprint[3] + street)
    rails = (rail, rail)
    if size is not None:
        rails = ((size[0] - (units[0] * pitch[0] + street)) / 2, (size[1] - (units[1] * pitch[1] + street)) / 2)
    return StripLayout(unit, units[0], units[1], street, kerf, rails, flash)
