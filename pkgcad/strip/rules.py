"""What ``pkgcad strip`` refuses before any geometry is made: option values, units that do not fit the strip,
and a saw that would cut a unit's inner parts. Each refusal is one :class:`~pkgcad.errors.InputError` (exit 2)
naming the option, the value, the rule and the fix. Pure maths, like :mod:`.layout`.

The saw and ``rules.saw_margin`` agree: the package rules keep every inner part ``saw_margin`` inside the
footprint; the saw's kerf edge lies ``(street - kerf) / 2`` outside it, so an inner part keeps its
``saw_margin`` from the cut. A QFN's leads are meant to be cut (flush), so they do not count.
"""

from __future__ import annotations

from .. import bounds
from ..errors import InputError
from ..layout import Layout
from ..rect import Rect
from .layout import StripLayout, units_that_fit

MAX_UNITS = 20_000
"""Most units on one strip: a typo must not eat the machine (a 240 x 70 mm strip of 2 x 2 mm units is ~3,600)."""


def parse_pair(option: str, text: str, integer: bool) -> tuple[float, float]:
    """``"45x13"`` -> (45, 13) (:func:`pkgcad.bounds.parse_dims`): two whole numbers (``--units``) or two lengths in
    mm within :data:`pkgcad.bounds.BOUNDS` ``["strip " + option]`` (``--size``)."""
    a, b = bounds.parse_dims(option, text, "NxM", "two whole numbers" if integer else "two lengths in mm",
                             "45x13" if integer else "240x70", integer=integer,
                             bound=None if integer else f"strip {option}")
    return a, b


def judge_options(street: float, kerf: float, rail: float, flash: float) -> None:
    """The saw and mold options on their own (their ranges: :data:`pkgcad.bounds.BOUNDS`)."""
    bounds.check("strip --street", street)
    bounds.check("strip --kerf", kerf)
    if kerf > street + 1e-12:
        raise InputError("--kerf", kerf, f"wider than --street ({street:g} mm): the saw would cut into the units",
                         f"use --kerf <= {street:g} or widen --street")
    bounds.check("strip --rail", rail)
    bounds.check("strip --flash", flash)


def judge(strip: StripLayout, rail: float, size: tuple[float, float] | None) -> None:
    """The strip as laid out: unit count, fit within ``size`` with rails of at least ``rail``, saw clearance."""
    if strip.count > MAX_UNITS:
        raise InputError("--units", f"{strip.nx}x{strip.ny}", f"{strip.count:,} units; at most {MAX_UNITS:,} "
                         "on one strip")
    if size is not None:
        for i, axis in enumerate("xy"):
            n = (strip.nx, strip.ny)[i]
            need = n * strip.pitch[i] + strip.street + 2 * rail
            if need > size[i] + 1e-9:
                most = units_that_fit(size[i], strip.pitch[i], strip.street, rail)
                raise InputError("--units", f"{strip.nx}x{strip.ny}", f"{n} units along {axis} at pitch "
                                 f"{strip.pitch[i]:g} mm need {need:.4g} mm with the streets and {rail:g} mm rails; "
                                 f"the strip (--size) is {size[i]:g} mm", f"at most {most} fit along {axis}")
    judge_saw(strip)


def inner_parts(lay: Layout) -> list[tuple[str, Rect]]:
    """The plan extent of every part of a unit the saw must not touch: everything but the carrier plate, a
    QFN's leads, the heat sink, its interface layer and the compound (which the saw cuts)."""
    parts: list[tuple[str, Rect]] = [("chip", lay.chip), ("adhesive", lay.adhesive)]
    if lay.die_pad is not None:
        parts.append(("die_pad", lay.die_pad))
    if lay.buffer_pad is not None:
        parts.append(("buffer_pad", lay.buffer_pad))
    parts += [(f"bond_finger_{f.index:03d}", f.rect) for f in lay.fingers]
    d = lay.spec.wires.diameter
    for w in lay.wires:
        x0, x1 = sorted((w.start[0], w.end[0]))
        y0, y1 = sorted((w.start[1], w.end[1]))
        parts.append((w.name, Rect((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0 + d, y1 - y0 + d)))
    for sites, cut, name in ((lay.bumps, lay.bump_z, "bump"), (lay.balls, lay.ball_z, "ball")):
        if sites is not None and cut is not None:
            diameter = cut.diameter
            parts += [(f"{name}_{i:04d}", Rect(float(x), float(y), diameter, diameter))
                      for i, (x, y) in enumerate(sites.points)]
    return parts


def saw_clearance(strip: StripLayout) -> tuple[float, str]:
    """The least distance [mm] from a unit's inner part to the saw's kerf edge, and that part's name."""
    fx, fy = strip.footprint
    best, name = float("inf"), ""
    for part, (cx, cy, sx, sy) in inner_parts(strip.unit):
        gap = min(fx / 2 - (abs(cx) + sx / 2), fy / 2 - (abs(cy) + sy / 2)) + strip.rim
        if gap < best:
            best, name = gap, part
    return best, name


def judge_saw(strip: StripLayout) -> None:
    """Refuse a strip whose saw would come closer than ``rules.saw_margin`` to a unit's inner part."""
    margin = strip.unit.spec.rules.saw_margin
    gap, part = saw_clearance(strip)
    if gap < margin - 1e-9:
        short = 2 * (margin - gap)
        raise InputError("--street", strip.street, f"the saw's kerf edge would pass {gap:.4g} mm from the unit's "
                         f"{part}; rules.saw_margin asks {margin:g} mm", f"make the street {short:.4g} mm wider "
                         f"than the kerf: --street >= {strip.street + short:.4g} with --kerf {strip.kerf:g}, or "
                         f"--kerf <= {strip.kerf - short:.4g}")
