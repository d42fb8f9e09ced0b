"""The physical range of every length and size option of the command line, in ONE table, and the one check that
refuses a value outside it: exit 2, one line naming the option, the value and the range. Millimetres unless the
unit says otherwise (px for pictures).

A value outside its range is a typo, not a model: ``strip --size 1e308x1e308`` made OCCT raise
``Standard_DomainError`` and ``--size 1e6x1e6`` was a 1 km strip. NaN and infinities fail every range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import InputError


@dataclass(frozen=True)
class Bound:
    """``lo`` to ``hi`` in ``unit``; ``lo_open``: ``lo`` itself is not allowed (a width of 0 means nothing)."""

    lo: float
    hi: float
    unit: str
    what: str
    lo_open: bool = False

    def text(self) -> str:
        unit = self.unit if self.unit == "x" else f" {self.unit}"
        if self.lo_open:
            return f"{self.what}, greater than {self.lo:g} and at most {self.hi:g}{unit}"
        return f"{self.what}, allowed {self.lo:g} to {self.hi:g}{unit}"

    def holds(self, value: float) -> bool:
        return math.isfinite(value) and (value > self.lo if self.lo_open else value >= self.lo) and value <= self.hi


DEFAULT_TOL = 0.001
"""The geometric tolerance [mm] of ``pkgcad check``, ``screen`` and ``report`` (``--tol``) unless given."""

BOUNDS: dict[str, Bound] = {
    # pkgcad strip: a real strip is about 240 x 70 mm, saw blades a few tenths of a mm
    "strip --street": Bound(0.0, 10.0, "mm", "a width", lo_open=True),
    "strip --kerf": Bound(0.0, 10.0, "mm", "a width (the saw blade's cut)", lo_open=True),
    "strip --rail": Bound(0.0, 50.0, "mm", "a width"),
    "strip --flash": Bound(0.0, 0.1, "mm", "a thickness (0: no flash)"),
    "strip --size": Bound(0.0, 1000.0, "mm", "each side of the strip", lo_open=True),
    # build --mesh-check: beyond 5 mm every part is one or two tetrahedra thick
    "build --mesh-size": Bound(0.0, 5.0, "mm", "the largest tetrahedron edge", lo_open=True),
    # check / report: a coarser tolerance would pass a detached interface layer or a step in the sides
    "check --tol": Bound(0.0, 0.05, "mm", "a length", lo_open=True),
    # pictures
    "section --width": Bound(200, 8000, "px", "a picture width"),
    "section --zoom-z": Bound(1.0, 100.0, "x", "a vertical exaggeration"),
    "render --size": Bound(64, 6000, "px", "each side of the picture"),
    "render --zoom-z": Bound(1.0, 100.0, "x", "a vertical exaggeration"),
    # print mockups (printed millimetres)
    "mockup --scale": Bound(1.0, 200.0, "x", "printed mm per package mm"),
    "mockup --min-feature": Bound(0.1, 5.0, "mm", "the least printable feature on the print"),
    "mockup --bed": Bound(20.0, 2000.0, "mm", "each side of the printer bed"),
}


def check(name: str, value: float, shown: object = None) -> float:
    """``value`` if :data:`BOUNDS` ``[name]`` holds it, else :class:`InputError` naming the option (the part of
    ``name`` after the command), ``shown`` (default: the value) and the range."""
    bound = BOUNDS[name]
    if not bound.holds(value):
        raise InputError(name.split(" ", 1)[-1], value if shown is None else shown, bound.text())
    return value


def parse_dims(option: str, text: str, form: str, what: str, example: str, *, counts: tuple[int, ...] = (2,),
               integer: bool = False, bound: str | None = None) -> tuple[float, ...]:
    """THE parser of a ``W x H`` option value (``--units 45x13``, ``--size 240x70``, ``--bed 256x256x256``,
    ``render --size 1024x768``): ``counts`` numbers (whole ones if ``integer``) joined by ``x``, ``X``, ``×`` or
    ``*``, each greater than 0 and, with ``bound``, within :data:`BOUNDS` ``[bound]``. Else one
    :class:`InputError` naming ``option``, the text as given, the ``form`` and ``what`` it takes, and ``example``."""
    parts = text.strip().lower().replace("×", "x").replace("*", "x").split("x")
    try:
        if len(parts) not in counts:
            raise ValueError
        values = tuple(int(p) if integer else float(p) for p in parts)
    except ValueError:
        raise InputError(option, text, f"expected {what} as {form}, e.g. {example}") from None
    if not all(v > 0 and math.isfinite(v) for v in values):
        raise InputError(option, text, f"each must be greater than 0 ({what})")
    if bound is not None:
        for v in values:
            check(bound, v, text)
    return values
