"""The chip and how it is joined to the carrier: die attach and bonding wires, or solder bumps."""

from __future__ import annotations

from collections import defaultdict

from .. import layout
from ..layout import Stack
from ..package import Part, Placement
from ..spec import PackageSpec
from .shapes import box, truncated_sphere, wire_solid


def chip(spec: PackageSpec, st: Stack) -> Part:
    return Part("chip", "chip", "silicon", box((0, 0, *spec.chip.size), st.chip_bottom, st.chip_top),
                info={"face": "up" if spec.wirebond else "down"})


def die_attach(spec: PackageSpec, st: Stack) -> Part:
    return Part("die_attach", "die_attach", spec.die_attach.material,
                box((0, 0, *spec.chip.size), st.carrier_top, st.chip_bottom))


def wires(spec: PackageSpec) -> list[Part]:
    """Bonding wires; wires of equal length and drop are ONE shape turned and shifted into place."""
    by_key: dict[tuple[float, ...], list[layout.Wire]] = defaultdict(list)
    for w in layout.wires(spec):
        by_key[w.path.key()].append(w)
    parts = []
    for k, (_key, group) in enumerate(sorted(by_key.items())):
        shape = wire_solid(group[0].path, spec.wires.diameter)
        places = tuple(Placement(f"wire_{w.index:03d}", *w.start, w.angle_deg) for w in group)
        parts.append(Part(f"wire_{chr(ord('a') + k % 26)}{k // 26 or ''}", "wire", "gold", shape, places,
                          group="wires", info={"length_mm": group[0].path.length}))
    return parts


def bumps(spec: PackageSpec, st: Stack) -> Part:
    b = spec.bumps
    arr = layout.fit_array(b.count, b.pitch, b.diameter, spec.chip.size, b.pattern)
    shape = truncated_sphere(b.diameter, 0.0, b.height, b.height / 2)
    places = tuple(Placement(f"bump_{i:04d}", float(x), float(y), st.carrier_top)
                   for i, (x, y) in enumerate(arr.points()))
    return Part("bump", "bump", "solder", shape, places, group="bumps",
                info={"array": [arr.nx, arr.ny], "rows": arr.rows, "requested": b.count})
