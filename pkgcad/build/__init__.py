"""Builders: spec + layout -> named parts. :func:`build_package` makes the whole package."""

from __future__ import annotations

import time
from collections.abc import Callable

from .. import layout
from ..package import Package, Part
from ..spec import PackageSpec
from . import carrier, interconnect, thermal
from .encapsulant import encapsulant, held_parts
from .shapes import BuildError

__all__ = ["BuildError", "build_package"]


def build_package(spec: PackageSpec, progress: Callable[[str], None] | None = None, *,
                  mold: bool = True) -> Package:
    """Every part of the package, bottom to top, with the encapsulant last. ``spec`` must have passed
    :func:`pkgcad.rules.check` (``load.make_spec`` does both). ``progress`` hears the stage names.
    ``mold=False`` leaves the encapsulant out (``pkgcad mockup`` derives its own from the pieces)."""
    say = progress or (lambda _stage: None)
    say("building parts")
    t0 = time.perf_counter()
    st = layout.stack(spec)
    parts: list[Part] = []
    parts += carrier.qfn_frame(spec) if spec.qfn else carrier.substrate(spec)
    if spec.wirebond:
        parts.append(interconnect.die_attach(spec, st))
    else:
        parts.append(interconnect.bumps(spec, st))
    parts.append(interconnect.chip(spec, st))
    if spec.wirebond:
        parts += interconnect.wires(spec)
    if spec.buffer_pad.enabled:
        parts += thermal.buffer_pad(spec, st)
    parts.append(thermal.adhesive(spec, st))
    parts.append(thermal.heat_sink(spec, st))
    parts.append(thermal.interface_layer(spec, st))
    t1 = time.perf_counter()
    say("molding the encapsulant")
    if mold:
        parts.append(encapsulant(spec, st, held_parts(spec, parts)))
    t2 = time.perf_counter()
    realized = {
        "wires": sum(p.count for p in parts if p.role == "wire"),
        "bumps": sum(p.count for p in parts if p.role == "bump"),
        "balls": sum(p.count for p in parts if p.role == "ball"),
        "leads": sum(p.count for p in parts if p.name == "lead"),
        "texture_features": layout.texture_count(spec),
    }
    return Package(spec, parts, realized=realized, timings={"parts_s": t1 - t0, "encapsulant_s": t2 - t1})
