"""Geometry builders: a resolved :class:`~pkgcad.layout.Layout` -> named parts (CadQuery/OpenCASCADE).

What the rest of pkgcad may use (the README map; ``.importlinter`` enforces it): this module's functions
(:func:`build_package` makes the whole package; :func:`carrier_parts`, :func:`encapsulant_of` and
:func:`mold_envelope` are the steps of it a feature may take alone), the primitives of :mod:`.shapes` and the tiled
cut of :mod:`.tiles`. The builder modules (``carrier``, ``interconnect``, ``heat_sink``, ``encapsulant``) are this
package's own.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import cadquery as cq

from ..layout import Layout
from ..package import Package, Part
from . import carrier, heat_sink, interconnect
from .encapsulant import encapsulant, envelope, held_parts

__all__ = ["build_package", "carrier_parts", "encapsulant_of", "mold_envelope"]


def carrier_parts(lay: Layout) -> list[Part]:
    """The carrier: a QFN's lead frame (die pad and leads), or the substrate with its bond fingers and balls."""
    return carrier.qfn_frame(lay) if lay.qfn else carrier.substrate(lay)


def encapsulant_of(lay: Layout, parts: list[Part]) -> Part:
    """The encapsulant of a package made of ``parts``: the mold envelope minus every part it holds."""
    return encapsulant(lay, held_parts(lay, parts))


def mold_envelope(lay: Layout) -> cq.Shape:
    """The UNCUT space the molding compound fills (with the first surface's recesses) [mm]: the encapsulant before
    anything it holds is cut out of it."""
    return envelope(lay)


def build_package(lay: Layout, progress: Callable[[str], None] | None = None, *, mold: bool = True) -> Package:
    """Every part of the package, bottom to top, with the encapsulant last. ``lay`` must have passed
    :func:`pkgcad.rules.check` (``templates.load_layout`` does both). ``progress`` hears the stage names.
    ``mold=False`` leaves the encapsulant out (``pkgcad mockup`` derives its own from the pieces)."""
    say = progress or (lambda _stage: None)
    say("building parts")
    t0 = time.perf_counter()
    parts: list[Part] = []
    parts += carrier_parts(lay)
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
        parts.append(encapsulant_of(lay, parts))
    t2 = time.perf_counter()
    return Package(lay, parts, timings={"parts_s": t1 - t0, "encapsulant_s": t2 - t1})
