"""The carrier strip: a substrate panel (one plate under every unit, street and rail), or a QFN lead-frame strip
(a rail ring, connecting bars along every street centre line, and each unit's leads run out into the street to
meet them, so the saw cuts the leads flush with the sawn side and takes the bars whole).

The die pads of a real QFN frame hang on corner tie bars; the package model has none (its die pad stands
alone), so the strip has none either: what is sawn must equal the package.
"""

from __future__ import annotations

import cadquery as cq
import numpy as np

from ..geometry.shapes import box, cut_all
from ..layout import SIDES, Layout
from ..package import Part, Placement
from ..rect import Rect
from ..roles import Role
from .layout import StripLayout


def panel(strip: StripLayout) -> Part:
    """The substrate panel: one plate over the whole strip."""
    w, h = strip.size
    lay = strip.unit
    return Part("carrier", Role.CARRIER, "bt-laminate", box(Rect(w / 2, h / 2, w, h), 0.0, lay.stack.carrier_top))


def lead_frame(strip: StripLayout) -> list[Part]:
    """The QFN strip's rail ring and connecting bars (the units' die pads and leads are unit parts)."""
    t = strip.unit.stack.carrier_top
    w, h = strip.size
    x0, _y0, x1, _y1 = strip.array
    b = strip.bar
    parts = []
    if max(strip.rails) > 0:  # a ring, or two bars when the rails on one pair of sides are 0
        ring = cut_all(box(Rect(w / 2, h / 2, w, h), 0.0, t), [box(strip.array.rect(), 0.0, t)]).Solids()
        shape = ring[0] if len(ring) == 1 else cq.Compound.makeCompound(ring)
        parts.append(Part("rail", Role.CARRIER, "copper", shape))
    ys, xs = strip.street_centres(1), strip.street_centres(0)
    along_x = box(Rect((x1 - x0) / 2, 0.0, x1 - x0, b), 0.0, t)  # spans the array, joins the rails at both ends
    parts.append(Part("bar_x", Role.CARRIER, "copper", along_x,
                      tuple(Placement(f"bar_x_{j:03d}", x0, y) for j, y in enumerate(ys)), group="bars"))
    seg = strip.pitch[1] - b  # between two bars along x
    along_y = box(Rect(0.0, 0.0, b, seg), 0.0, t)
    places = tuple(Placement(f"bar_y_{i:03d}_{j:03d}", x, (ys[j] + ys[j + 1]) / 2)
                   for i, x in enumerate(xs) for j in range(len(ys) - 1))
    parts.append(Part("bar_y", Role.CARRIER, "copper", along_y, places, group="bars"))
    return parts


def bar_boxes(strip: StripLayout) -> np.ndarray:
    """The connecting bars as (n, 6) boxes ``xmin, ymin, zmin, xmax, ymax, zmax`` in the strip frame."""
    t = strip.unit.stack.carrier_top
    x0, _y0, x1, _y1 = strip.array
    hb = strip.bar / 2
    ys, xs = strip.street_centres(1), strip.street_centres(0)
    rows = [(x0, y - hb, 0.0, x1, y + hb, t) for y in ys]
    rows += [(x - hb, ys[j] + hb, 0.0, x + hb, ys[j + 1] - hb, t) for x in xs for j in range(len(ys) - 1)]
    return np.array(rows, dtype=float)


def lengthened_leads(lay: Layout, extra: float) -> Part:
    """The package's ``lead`` part with every lead ``extra`` mm longer at its outer end (into the street)."""
    ld = lay.spec.leads
    shape = box(Rect(extra / 2, 0.0, ld.length + extra, ld.width), 0.0, lay.stack.carrier_top)
    places = tuple(Placement(f"lead_{lead.index:02d}", lead.rect[0], lead.rect[1], 0.0, 90.0 * lead.side)
                   for lead in lay.leads)
    return Part("lead", Role.CARRIER, "copper", shape, places, group="leads")


def lead_runs(lay: Layout, start: float, end: float) -> np.ndarray:
    """Where each lead runs from ``start`` to ``end`` mm past the footprint side: (n, 4) ``xmin, ymin, xmax,
    ymax`` in the unit frame."""
    w = lay.spec.leads.width
    out = []
    for lead in lay.leads:
        nx, ny = SIDES[lead.side]
        half = (lay.footprint[2] if nx else lay.footprint[3]) / 2
        a, b = sorted(((half + start) * (nx or ny), (half + end) * (nx or ny)))
        if nx:
            out.append((a, lead.rect[1] - w / 2, b, lead.rect[1] + w / 2))
        else:
            out.append((lead.rect[0] - w / 2, a, lead.rect[0] + w / 2, b))
    return np.array(out, dtype=float).reshape(-1, 4)


def street_leads(strip: StripLayout) -> np.ndarray:
    """Every unit's leads where they run through the kerf (from the rim to the bar) as (n, 6) boxes in the
    strip frame: what the saw takes of them."""
    lay = strip.unit
    runs = lead_runs(lay, strip.rim, strip.lead_reach)
    if strip.lead_reach - strip.rim <= 0 or not len(runs):
        return np.zeros((0, 6))
    centres = np.array([(u.x, u.y) for u in strip.units])
    shift = np.tile(centres, 2)  # x, y, x, y
    rects = (runs[None, :, :] + shift[:, None, :]).reshape(-1, 4)
    t = lay.stack.carrier_top
    return np.column_stack([rects[:, 0], rects[:, 1], np.zeros(len(rects)), rects[:, 2], rects[:, 3],
                            np.full(len(rects), t)])
