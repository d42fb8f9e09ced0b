"""The 3D model of a package as a KiCad library ships it, and its name.

- **Board level** (the default): what a board shows from outside, as KiCad's own package models hold: the
  carrier (BGA substrate and balls, or the QFN leads and die pad), the mold body, the heat sink (its sides are
  exposed, coplanar with the mold's) and the interface layer. Without the parts it hides (chip, wires, bumps, die
  attach, adhesive, buffer pad, the heat sink's connecting portion and first-surface texture) the mold body is the
  uncut envelope from the carrier to the heat sink's first surface (a QFN's cut only by its lead frame, whose
  bottom and end faces show), and the heat sink a plain plate.
- **Full** (``--full-model``): every part of pkgcad's model (:func:`pkgcad.geometry.build_package`).

Both carry a **pin-1 mark**: a disc of black epoxy ink (KiCad's IC-BODY-EPOXY-04 black in the WRL, pkgcad's
``mold-compound`` colour in the STEP, product ``pin1_mark``) set into the upper half of the interface layer over
the pin-1 / A1 corner. The interface layer keeps covering the whole second surface with its lower half, and the
outline, the height and every other part stay as claimed: the layer and the mark together fill exactly the
layer's box.

Names: ``<outline>_H<height>mm_<finish>``: the package outline as the footprint names it (without its
land-only fields), the seated height from the board top to the top of the interface layer, and the interface
layer's finish (Au, Ni, Cr, NiAu, PTFE): the two things a board-level model shows beyond the outline. A full
model appends the package's (template's) name, since its inside is what differs. A name is a function of the
package alone, so regenerating any part of a library never renames a model.

Frame: pkgcad's, millimetres, y up, z = 0 on the board top (the ball bottoms of a BGA, a QFN's bottom).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import SupportsFloat

import cadquery as cq

from ..geometry import build_package, carrier_parts
from ..geometry.shapes import box, cut_all
from ..layout import Layout
from ..package import Package, Part
from ..roles import Role
from .land import Land, balls, num

FINISH = {"gold": "Au", "nickel": "Ni", "chromium": "Cr", "nickel-gold": "NiAu", "ptfe": "PTFE"}
MARK_MATERIAL = "mold-compound"  # epoxy ink: black on every interface-layer finish


def board_lift(lay: Layout) -> float:
    """How far the model is raised so the board top is z = 0: down to the seating plane (the ball bottoms of a
    BGA, else the package bottom)."""
    return 0.0 - lay.seating_plane


def height(lay: Layout) -> float:
    """Seated height [mm]: board top to the top of the interface layer."""
    return round(board_lift(lay) + lay.stack.interface_top, 6)


def finish(lay: Layout) -> str:
    return FINISH[lay.spec.interface_layer.material]


def name(land: Land, lay: Layout, full: bool = False) -> str:
    base = f"{land.model_base}_H{num(height(lay))}mm_{finish(lay)}"
    return f"{base}_{lay.spec.meta.name}" if full else base


def signature(lay: Layout) -> str:
    """A digest of everything the board-level model is made from: two packages with one model name and different
    signatures would be two different models under one name."""
    st, spec = lay.stack, lay.spec
    data: dict[str, object] = {
        "footprint": lay.footprint, "mold": [lay.mold_bottom, st.first_surface], "sink": [st.second_surface,
        spec.heat_sink.material], "layer": [st.interface_top, spec.interface_layer.material],
        "lift": board_lift(lay), "carrier": [spec.carrier.kind, st.carrier_top],
    }
    if lay.qfn:
        data["frame"] = [lay.die_pad, [lead.rect for lead in lay.leads], spec.leads.length, spec.leads.width]
    else:
        arr = balls(lay)
        assert arr is not None
        data["balls"] = [arr.points.round(6).tolist(), arr.diameter, arr.height]
    text = json.dumps(_rounded(data), sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _rounded(v: object) -> object:
    """Numbers to the nanometre (a digest must not hang on the last bit of a float), containers walked."""
    if isinstance(v, dict):
        return {k: _rounded(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_rounded(x) for x in v]
    if isinstance(v, SupportsFloat):
        return round(float(v), 6)
    return v


def mark_disc(lay: Layout) -> tuple[float, float, float]:
    """Centre (x, y) and radius [mm] of the pin-1 mark: pin 1 / A1 is top-left in KiCad (y down), so -x, +y
    here; a tenth of the smaller body side across (0.3-1.0 mm), its centre one diameter in from both edges."""
    _cx, _cy, sx, sy = lay.footprint
    d = min(1.0, max(0.3, 0.1 * min(sx, sy)))
    return -sx / 2 + d, sy / 2 - d, d / 2


def marked_interface_layer(lay: Layout) -> list[Part]:
    """The interface layer with the pin-1 mark set into its upper half: two parts that fill the layer's box."""
    st = lay.stack
    x, y, r = mark_disc(lay)
    z_mark = (st.second_surface + st.interface_top) / 2
    disc = cq.Solid.makeCylinder(r, st.interface_top - z_mark, cq.Vector(x, y, z_mark))
    layer = cut_all(box(lay.footprint, st.second_surface, st.interface_top), [disc])
    material = lay.spec.interface_layer.material
    return [Part("interface_layer", Role.INTERFACE_LAYER, material, layer),
            Part("pin1_mark", Role.INTERFACE_LAYER, MARK_MATERIAL, disc)]


def board_level(lay: Layout) -> Package:
    """What a board shows of the package (see the module doc), bottom to top."""
    st, spec = lay.stack, lay.spec
    parts = carrier_parts(lay)
    if lay.qfn:
        frame = [s for p in parts for s in p.placed()]
        mold = cut_all(box(lay.footprint, lay.mold_bottom, st.first_surface), frame)
    else:
        parts = [p for p in parts if p.role in (Role.CARRIER, Role.BALL)]
        mold = box(lay.footprint, lay.mold_bottom, st.first_surface)
    parts.append(Part("encapsulant", Role.ENCAPSULANT, spec.encapsulant.material, mold))
    parts.append(Part("heat_sink", Role.HEAT_SINK, spec.heat_sink.material,
                      box(lay.footprint, st.first_surface, st.second_surface)))
    parts += marked_interface_layer(lay)
    return Package(lay, parts)


def full(lay: Layout) -> Package:
    """pkgcad's whole model with the pin-1 mark in its interface layer."""
    pkg = build_package(lay)
    parts: list[Part] = []
    for p in pkg.parts:
        parts += marked_interface_layer(lay) if p.role == Role.INTERFACE_LAYER else [p]
    return Package(lay, parts, dict(pkg.timings))


def lifted(pkg: Package, dz: float) -> Package:
    """``pkg`` with every placement raised by ``dz`` (the shapes are shared, nothing is copied)."""
    parts = [dataclasses.replace(p, placements=tuple(dataclasses.replace(pl, z=pl.z + dz) for pl in p.placements))
             for p in pkg.parts]
    return Package(pkg.layout, parts, dict(pkg.timings))


def build(lay: Layout, full_model: bool) -> Package:
    """The model as the library writes it: in the board frame (z = 0 on the board top)."""
    pkg = full(lay) if full_model else board_level(lay)
    return lifted(pkg, board_lift(lay))
