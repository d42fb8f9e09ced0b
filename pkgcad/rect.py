"""Rectangles and boxes as small frozen value types, millimetres. A bare tuple of four numbers said nothing about
what its numbers were; these say it in their type and field names, and convert in one place.

- :class:`Rect`: a rectangle in plan by its centre and size, ``(cx, cy, sx, sy)``: THE rectangle of the Layout
  (footprint, chip, pads, leads, fingers, grooves) and of the builders (``geometry.shapes.box``).
- :class:`Corners`: a region in plan by its corners, ``(x0, y0, x1, y1)``: where a region is made from its sides
  (a tile between tile lines, a strip's molded array between its rails), so its sides stay exactly those numbers.
- :class:`Box`: an axis-aligned box by its corners, ``(x0, y0, z0, x1, y1, z1)`` (OCCT's ``Bnd_Box.Get`` order):
  the tiled cut's boxes and tools.

Each is a ``NamedTuple``: it unpacks, compares and hashes as the tuple it replaced, so converting a module to it
changes no number. Converting between a :class:`Rect` and :class:`Corners` rounds (``cx - sx / 2`` need not give
back ``x0`` to the last bit): convert where a value is made, not back and forth.
"""

from __future__ import annotations

from typing import NamedTuple


class Rect(NamedTuple):
    """A rectangle in plan [mm]: centre ``(cx, cy)``, size ``(sx, sy)``."""

    cx: float
    cy: float
    sx: float
    sy: float

    @property
    def x0(self) -> float:
        return self.cx - self.sx / 2

    @property
    def y0(self) -> float:
        return self.cy - self.sy / 2

    @property
    def x1(self) -> float:
        return self.cx + self.sx / 2

    @property
    def y1(self) -> float:
        return self.cy + self.sy / 2

    def corners(self) -> Corners:
        return Corners(self.x0, self.y0, self.x1, self.y1)


class Corners(NamedTuple):
    """A region in plan by its corners [mm]: ``(x0, y0)`` lower left, ``(x1, y1)`` upper right."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def rect(self) -> Rect:
        """The same region as a :class:`Rect` (centre and size), as a builder takes it."""
        return Rect((self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2, self.x1 - self.x0, self.y1 - self.y0)


class Box(NamedTuple):
    """An axis-aligned box [mm] from ``(x0, y0, z0)`` to ``(x1, y1, z1)``."""

    x0: float
    y0: float
    z0: float
    x1: float
    y1: float
    z1: float

    @property
    def plan(self) -> Corners:
        return Corners(self.x0, self.y0, self.x1, self.y1)
