"""The heat path above the chip: adhesive, buffer pad, the heat sink (connecting portion, textured first
surface) and the interface layer on its second surface. The heat sink and the interface layer take the
layout's ``footprint``, the same rectangle as the carrier and the mold: that is what makes their sides
coplanar."""

from __future__ import annotations

import cadquery as cq

from ..layout import Layout
from ..package import Part
from ..rect import Rect
from ..roles import Role
from .shapes import box, cut_all, fuse_all, single_solid


def buffer_pad(lay: Layout) -> list[Part]:
    st, bp = lay.stack, lay.spec.buffer_pad
    assert lay.buffer_pad is not None and st.buffer_bottom is not None and st.buffer_top is not None
    return [
        Part("buffer_pad_attach", Role.BUFFER_PAD_ATTACH, lay.spec.adhesive.material,
             box(lay.buffer_pad, st.chip_top, st.buffer_bottom)),
        Part("buffer_pad", Role.BUFFER_PAD, bp.material, box(lay.buffer_pad, st.buffer_bottom, st.buffer_top)),
    ]


def adhesive(lay: Layout) -> Part:
    return Part("adhesive", Role.ADHESIVE, lay.spec.adhesive.material,
                box(lay.adhesive, lay.stack.adhesive_bottom, lay.stack.adhesive_top))


def heat_sink(lay: Layout) -> Part:
    """The plate over the whole footprint, with its connecting portion and first-surface texture made in one
    fuse and one cut."""
    st = lay.stack
    plate = box(lay.footprint, st.first_surface, st.second_surface)
    below, recesses = first_surface_features(lay)
    solid = fuse_all(plate, below)
    if recesses:
        solid = cut_all(solid, [r for r, _fill in recesses])
    if below or recesses:
        solid = solid.clean()
    return Part("heat_sink", Role.HEAT_SINK, lay.spec.heat_sink.material, single_solid(solid, "heat_sink"))


def first_surface_features(lay: Layout) -> tuple[list[cq.Shape], list[tuple[cq.Shape, cq.Shape]]]:
    """What the heat sink adds below its flat first surface (connecting portion, asperities), and the
    recesses it has above it, each with the piece of mold that fills it: (tool, fill)."""
    hs = lay.spec.heat_sink
    st, tex = lay.stack, lay.texture
    z = st.first_surface
    below: list[cq.Shape] = []
    recesses: list[tuple[cq.Shape, cq.Shape]] = []
    if lay.connecting_portion is not None:
        below.append(box(lay.connecting_portion, st.adhesive_top, st.first_surface))
    if tex.kind == "roughened":
        rad = hs.roughened.diameter / 2
        sphere = cq.Solid.makeSphere(rad, angleDegrees1=-90, angleDegrees2=90)
        for x, y, depth in tex.asperities:
            below.append(sphere.moved(cq.Location(cq.Vector(float(x), float(y), z + rad - float(depth)))))
    elif tex.kind == "corrugated":
        depth = hs.corrugated.depth
        recesses += [(box(g, z - depth, z + depth), box(g, z, z + depth)) for g in tex.grooves]
    elif tex.kind == "uneven":
        u = hs.uneven
        if u.style == "dimples":
            # a sphere whose cap above the plane is ``depth`` high: r^2 = (s/2)^2 + (r - depth)^2
            rad = ((u.size / 2) ** 2 + u.depth**2) / (2 * u.depth)
            tool: cq.Shape = cq.Solid.makeSphere(rad, cq.Vector(0, 0, z + u.depth - rad), angleDegrees1=-90,
                                                 angleDegrees2=90)
            fill: cq.Shape = single_solid(tool.intersect(box(Rect(0, 0, u.size * 2, u.size * 2), z, z + u.depth)),
                                          "dimple")
        else:
            tool = box(Rect(0, 0, u.size, u.size), z - u.depth, z + u.depth)
            fill = box(Rect(0, 0, u.size, u.size), z, z + u.depth)
        for x, y in tex.pockets:
            at = cq.Location(cq.Vector(float(x), float(y), 0))
            recesses.append((tool.moved(at), fill.moved(at)))
    return below, recesses


def interface_layer(lay: Layout) -> Part:
    return Part("interface_layer", Role.INTERFACE_LAYER, lay.spec.interface_layer.material,
                box(lay.footprint, lay.stack.second_surface, lay.stack.interface_top))
