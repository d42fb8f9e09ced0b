"""Geometry builders: a resolved :class:`~pkgcad.layout.Layout` -> named parts (CadQuery/OpenCASCADE).
:func:`build_package` makes the whole package."""

from __future__ import annotations

import time
from collections.abc import Callable

from ..errors import GeometryError
from ..layout import Layout
from ..package import Package, Part
from . import carrier, heat_sink, interconnect
from .encapsulant import encapsulant, held_parts

__all__ = ["GeometryError", "build_package"]


def build_package(lay: Layout, progress: Callable[[str], None] | None = None, *, mold: bool = True) -> Package:
    """Every part of the package, bottom to top, with the encapsulant last. ``lay`` must have passed
    :func:`pkgcad.rules.check` (``templates.load_layout`` does both). ``progress`` hears the stage names.
    ``mold=False`` leaves the encapsulant out (``pkgcad mockup`` derives its own from the pieces)."""
    say = progress or (lambda _stage: None)
    say("building parts")
    t0 = time.perf_counter()
    parts: list[Part] = []
    parts += carrier.qfn_frame(lay) if lay.qfn else carrier.substrate(lay)
    if lay.wirebond:
        parts.append(interconnect.die_attach(lay))
    elif lay.bumps is not None:
        parts.append(interconnect.bumps(lay, lay.bumps))
    parts.append(interconnect.chip(lay))
    parts += interconnect.wires(lay)
    if lay.buffer_pad is not None:
        parts += heat_sink.buffer_pad(lay)
    parts.append(heat_sink.adhesive(lay))
    parts.append(heat_sink.heat_sink(lay))
    parts.append(heat_sink.interface_layer(lay))
    t1 = time.perf_counter()
    say("molding the encapsulant")
    if mold:
        parts.append(encapsulant(lay, held_parts(lay, parts)))
    t2 = time.perf_counter()
    return Package(lay, parts, timings={"parts_s": t1 - t0, "encapsulant_s": t2 - t1})
