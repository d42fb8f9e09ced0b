"""The thermal path: adhesive, buffer pad, heat sink (connecting portion, textured first surface) and the
interface layer on its second surface."""

from __future__ import annotations

import cadquery as cq

from .. import layout
from ..layout import Stack
from ..package import Part
from ..spec import PackageSpec
from .shapes import box, cut_all, fuse_all, single_solid


def buffer_pad(spec: PackageSpec, st: Stack) -> list[Part]:
    bp = spec.buffer_pad
    assert st.buffer_bottom is not None and st.buffer_top is not None
    return [
        Part("buffer_pad_attach", "buffer_pad_attach", spec.adhesive.material,
             box((0, 0, *bp.size), st.chip_top, st.buffer_bottom)),
        Part("buffer_pad", "buffer_pad", bp.material, box((0, 0, *bp.size), st.buffer_bottom, st.buffer_top)),
    ]


def adhesive(spec: PackageSpec, st: Stack) -> Part:
    return Part("adhesive", "adhesive", spec.adhesive.material,
                box((0, 0, *layout.adhesive_size(spec)), st.adhesive_bottom, st.adhesive_top))


def heat_sink(spec: PackageSpec, st: Stack) -> Part:
    """The plate over the whole carrier footprint, with its connecting portion and first-surface texture
    made in one fuse and one cut."""
    hs = spec.heat_sink
    sx, sy = spec.carrier.size
    plate = box((0, 0, sx, sy), st.first_surface, st.second_surface)
    below, recesses = first_surface_features(spec, st)
    solid = fuse_all(plate, below)
    if recesses:
        solid = cut_all(solid, [r for r, _fill in recesses])
    if below or recesses:
        solid = solid.clean()
    info: dict[str, object] = {"first_surface": hs.first_surface, "first_surface_z": st.first_surface,
                               "texture_features": layout.texture_count(spec)}
    if hs.connecting_portion.enabled:
        info["connecting_portion"] = {"size": list(hs.connecting_portion.size),
                                      "height": hs.connecting_portion.height}
    return Part("heat_sink", "heat_sink", hs.material, single_solid(solid, "heat_sink"), info=info)


def first_surface_features(spec: PackageSpec, st: Stack) -> tuple[list[cq.Shape], list[tuple[cq.Shape, cq.Shape]]]:
    """What the heat sink adds below its flat first surface (connecting portion, asperities), and the
    recesses it has above it, each with the piece of mold that fills it: (tool, fill)."""
    hs = spec.heat_sink
    z = st.first_surface
    below: list[cq.Shape] = []
    recesses: list[tuple[cq.Shape, cq.Shape]] = []
    cp = hs.connecting_portion
    if cp.enabled:
        below.append(box((0, 0, *cp.size), st.adhesive_top, st.first_surface))
    if hs.first_surface == "roughened":
        rad = hs.roughened.diameter / 2
        sphere = cq.Solid.makeSphere(rad, angleDegrees1=-90, angleDegrees2=90)
        for x, y, depth in layout.roughness_sites(spec):
            below.append(sphere.moved(cq.Location(cq.Vector(float(x), float(y), z + rad - float(depth)))))
    elif hs.first_surface == "corrugated":
        depth = hs.corrugated.depth
        recesses += [(box(g, z - depth, z + depth), box(g, z, z + depth)) for g in layout.grooves(spec)]
    elif hs.first_surface == "uneven":
        u = hs.uneven
        if u.style == "dimples":
            # a sphere whose cap above the plane is ``depth`` high: r^2 = (s/2)^2 + (r - depth)^2
            rad = ((u.size / 2) ** 2 + u.depth**2) / (2 * u.depth)
            tool: cq.Shape = cq.Solid.makeSphere(rad, cq.Vector(0, 0, z + u.depth - rad), angleDegrees1=-90,
                                                 angleDegrees2=90)
            fill: cq.Shape = single_solid(tool.intersect(box((0, 0, u.size * 2, u.size * 2), z, z + u.depth)),
                                          "dimple")
        else:
            tool = box((0, 0, u.size, u.size), z - u.depth, z + u.depth)
            fill = box((0, 0, u.size, u.size), z, z + u.depth)
        for x, y in layout.pockets(spec):
            at = cq.Location(cq.Vector(float(x), float(y), 0))
            recesses.append((tool.moved(at), fill.moved(at)))
    return below, recesses


def interface_layer(spec: PackageSpec, st: Stack) -> Part:
    sx, sy = spec.carrier.size
    return Part("interface_layer", "interface_layer", spec.interface_layer.material,
                box((0, 0, sx, sy), st.second_surface, st.interface_top))
