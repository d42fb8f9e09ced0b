"""Chip carriers: a BGA substrate with bond fingers and solder balls, or a QFN lead frame."""

from __future__ import annotations

from ..layout import Layout, Sites
from ..package import Part, Placement
from ..rect import Rect
from ..roles import Role
from .shapes import box, truncated_sphere


def substrate(lay: Layout) -> list[Part]:
    parts = [Part("carrier", Role.CARRIER, "bt-laminate", box(lay.footprint, 0.0, lay.stack.carrier_top))]
    if lay.fingers:
        parts.append(bond_fingers(lay))
    if lay.balls is not None:
        parts.append(balls(lay, lay.balls))
    return parts


def bond_fingers(lay: Layout) -> Part:
    """Fingers of one size share one shape; a finger on the y sides is the x-side one turned 90 degrees."""
    w = lay.spec.wires
    z0 = lay.stack.carrier_top
    shape = box(Rect(0, 0, w.finger_length, w.finger_width), z0, z0 + w.finger_thickness)
    places = tuple(Placement(f"bond_finger_{f.index:03d}", f.rect[0], f.rect[1], 0.0, f.angle_deg)
                   for f in lay.fingers)
    return Part("bond_finger", Role.BOND_FINGER, "copper", shape, places, group="bond_fingers")


def balls(lay: Layout, sites: Sites) -> Part:
    bz = lay.ball_z  # top cut flat on the substrate's underside, the pole resting on the board
    assert bz is not None
    shape = truncated_sphere(bz.diameter, bz.bottom, bz.top, bz.centre)
    places = tuple(Placement(f"ball_{i:04d}", float(x), float(y)) for i, (x, y) in enumerate(sites.points))
    return Part("ball", Role.BALL, "solder", shape, places, group="balls")


def qfn_frame(lay: Layout) -> list[Part]:
    assert lay.die_pad is not None
    t = lay.stack.carrier_top
    pad = Part("die_pad", Role.CARRIER, "copper", box(lay.die_pad, 0.0, t))
    ld = lay.spec.leads
    # every lead is one length: the layout's (longer than leads.length on a sawn unit with a rim)
    length = max((lead.rect[2] if lead.side % 2 == 0 else lead.rect[3] for lead in lay.leads), default=ld.length)
    shape = box(Rect(0, 0, length, ld.width), 0.0, t)  # along x; turned for the y sides
    places = tuple(Placement(f"lead_{lead.index:02d}", lead.rect[0], lead.rect[1], 0.0, 90.0 * lead.side)
                   for lead in lay.leads)
    return [pad, Part("lead", Role.CARRIER, "copper", shape, places, group="leads")]
