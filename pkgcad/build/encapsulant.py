"""The encapsulant: the mold envelope minus everything it holds, cut tile by tile (see :mod:`.tiles`)."""

from __future__ import annotations

import cadquery as cq

from ..layout import Stack
from ..package import Part
from ..spec import PackageSpec
from .shapes import box, fuse_all
from .thermal import first_surface_features
from .tiles import tiled_cut


def encapsulant(spec: PackageSpec, st: Stack, inside: list[Part]) -> Part:
    """Everything between the carrier (QFN: the package bottom) and the heat sink's first surface (with the
    first surface's recesses) that is not one of the ``inside`` parts nor what the heat sink adds below it.
    The envelope shares the carrier's footprint, so its sides are coplanar with the heat-sink sides after the
    saw cut."""
    envelope, tools = mold(spec, st, inside)
    cut = tiled_cut(envelope, tools, "encapsulant")
    return Part("encapsulant", "encapsulant", spec.encapsulant.material, cut.compound(),
                tiling=cut if cut.tiles > 1 else None, info={"tiles": cut.tiles, "distinct_tiles": cut.cuts})


OUTSIDE = {"ball", "interface_layer", "heat_sink", "encapsulant"}
"""Roles the mold does not hold: below the carrier, on or above the first surface, or the mold itself."""


def held_parts(spec: PackageSpec, parts: list[Part]) -> list[Part]:
    """The parts the mold holds: everything between carrier and heat sink (QFN: the lead frame too). The heat
    sink's features below its first surface are cut by :func:`encapsulant` itself."""
    return [p for p in parts if p.role not in OUTSIDE and (spec.qfn or p.name != "carrier")]


def mold(spec: PackageSpec, st: Stack, inside: list[Part]) -> tuple[cq.Shape, list[cq.Shape]]:
    """The envelope the mold fills (with the first surface's recesses) and every placed shape it must leave
    out: each instance of the ``inside`` parts and what the heat sink adds below its first surface."""
    sx, sy = spec.carrier.size
    z0 = 0.0 if spec.qfn else st.carrier_top
    envelope: cq.Shape = box((0, 0, sx, sy), z0, st.first_surface)
    below, recesses = first_surface_features(spec, st)
    if recesses:
        envelope = fuse_all(envelope, [fill for _tool, fill in recesses]).clean()
    tools: list[cq.Shape] = list(below)
    for p in inside:
        tools.extend(p.placed())
    return envelope, tools
