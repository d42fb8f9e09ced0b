"""Chip carriers: a BGA substrate with bond fingers and solder balls, or a QFN lead frame."""

from __future__ import annotations

from .. import layout
from ..package import Part, Placement
from ..spec import PackageSpec
from .shapes import box, truncated_sphere


def substrate(spec: PackageSpec) -> list[Part]:
    sx, sy = spec.carrier.size
    parts = [Part("carrier", "carrier", "bt-laminate", box((0, 0, sx, sy), 0.0, spec.carrier.thickness),
                  info={"kind": "substrate"})]
    if spec.wirebond:
        parts += bond_fingers(spec)
    if spec.balls.count:
        parts.append(balls(spec))
    return parts


def bond_fingers(spec: PackageSpec) -> list[Part]:
    """Fingers of one size share one shape; a finger on the x sides is the y-side one turned 90 degrees."""
    w = spec.wires
    z0 = spec.carrier.thickness
    shape = box((0, 0, w.finger_length, w.finger_width), z0, z0 + w.finger_thickness)
    places = []
    for i, (cx, cy, sx, _sy) in enumerate(layout.bond_fingers(spec)):
        turn = 0.0 if sx == w.finger_length else 90.0
        places.append(Placement(f"bond_finger_{i:03d}", cx, cy, 0.0, turn))
    return [Part("bond_finger", "bond_finger", "copper", shape, tuple(places), group="bond_fingers")]


def balls(spec: PackageSpec) -> Part:
    b = spec.balls
    region = (spec.carrier.size[0] - 2 * spec.rules.saw_margin, spec.carrier.size[1] - 2 * spec.rules.saw_margin)
    arr = layout.fit_array(b.count, b.pitch, b.diameter, region, b.pattern)
    # top cut flat on the substrate's underside (z = 0), bottom resting on the board at -height
    shape = truncated_sphere(b.diameter, -b.height, 0.0, -b.height + b.diameter / 2)
    places = tuple(Placement(f"ball_{i:04d}", float(x), float(y)) for i, (x, y) in enumerate(arr.points()))
    return Part("ball", "ball", "solder", shape, places, group="balls",
                info={"array": [arr.nx, arr.ny], "rows": arr.rows, "requested": b.count})


def qfn_frame(spec: PackageSpec) -> list[Part]:
    t = spec.carrier.thickness
    pad = Part("die_pad", "carrier", "copper", box((0, 0, *spec.die_pad.size), 0.0, t), info={"kind": "qfn"})
    ld = spec.leads
    shape = box((0, 0, ld.length, ld.width), 0.0, t)  # along x; turned for the y sides
    places = []
    for i, (side, (cx, cy, _sx, _sy)) in enumerate(layout.leads(spec)):
        places.append(Placement(f"lead_{i:02d}", cx, cy, 0.0, 90.0 * side))
    return [pad, Part("lead", "carrier", "copper", shape, tuple(places), group="leads")]
