"""The encapsulant: the mold envelope minus everything it holds, in ONE boolean."""

from __future__ import annotations

import cadquery as cq

from ..layout import Stack
from ..package import Part
from ..spec import PackageSpec
from .shapes import box, cut_all, fuse_all, single_solid
from .thermal import first_surface_features


def encapsulant(spec: PackageSpec, st: Stack, inside: list[Part]) -> Part:
    """Everything between the carrier (QFN: the package bottom) and the heat sink's first surface (with the
    first surface's recesses) that is not one of the ``inside`` parts nor what the heat sink adds below it. The envelope shares the carrier's footprint, so its sides are coplanar
    with the heat-sink sides after the saw cut."""
    sx, sy = spec.carrier.size
    z0 = 0.0 if spec.qfn else st.carrier_top
    envelope: cq.Shape = box((0, 0, sx, sy), z0, st.first_surface)
    below, recesses = first_surface_features(spec, st)
    if recesses:
        envelope = fuse_all(envelope, [fill for _tool, fill in recesses]).clean()
    tools: list[cq.Shape] = list(below)
    for p in inside:
        tools.extend(p.placed())
    return Part("encapsulant", "encapsulant", spec.encapsulant.material,
                single_solid(cut_all(envelope, tools), "encapsulant"))
