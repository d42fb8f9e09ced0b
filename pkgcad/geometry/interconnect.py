"""The chip and how it is joined to the carrier: die attach and bonding wires, or solder bumps."""

from __future__ import annotations

from collections import defaultdict

from ..layout import Layout, Sites, Wire
from ..package import Part, Placement
from ..roles import Role
from .shapes import box, truncated_sphere, wire_solid


def chip(lay: Layout) -> Part:
    return Part("chip", Role.CHIP, "silicon", box(lay.chip, lay.stack.chip_bottom, lay.stack.chip_top))


def die_attach(lay: Layout) -> Part:
    return Part("die_attach", Role.DIE_ATTACH, lay.spec.die_attach.material,
                box(lay.chip, lay.stack.carrier_top, lay.stack.chip_bottom))


def wires(lay: Layout) -> list[Part]:
    """Bonding wires; wires of equal length and drop are ONE shape turned and shifted into place."""
    by_key: dict[tuple[float, ...], list[Wire]] = defaultdict(list)
    for w in lay.wires:
        by_key[w.path.key()].append(w)
    parts = []
    for k, (_key, group) in enumerate(sorted(by_key.items())):
        shape = wire_solid(group[0].path, lay.spec.wires.diameter)
        places = tuple(Placement(w.name, *w.start, w.angle_deg) for w in group)
        parts.append(Part(f"wire_{chr(ord('a') + k % 26)}{k // 26 or ''}", Role.WIRE, "gold", shape, places,
                          group="wires"))
    return parts


def bumps(lay: Layout, sites: Sites) -> Part:
    b = lay.spec.bumps
    shape = truncated_sphere(b.diameter, 0.0, b.height, b.height / 2)
    places = tuple(Placement(f"bump_{i:04d}", float(x), float(y), lay.stack.carrier_top)
                   for i, (x, y) in enumerate(sites.points))
    return Part("bump", Role.BUMP, "solder", shape, places, group="bumps")
