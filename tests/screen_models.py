"""Packages built here with plain CadQuery (boxes, cylinders, one swept wire; not pkgcad's builders), each with a
known answer for ``pkgcad screen``. Millimetres; the package lies flat, top up; the footprint is 10 x 10 mm
centred on the origin. Every solid that should touch another shares its face exactly; each mold is ONE cut of
a box by everything it holds.
"""

from __future__ import annotations

from pathlib import Path

import cadquery as cq

V = cq.Vector
HALF = 5.0


def box(x0: float, y0: float, z0: float, x1: float, y1: float, z1: float) -> cq.Solid:
    return cq.Solid.makeBox(x1 - x0, y1 - y0, z1 - z0, pnt=V(x0, y0, z0))


def square(h: float, z0: float, z1: float) -> cq.Solid:
    return box(-h, -h, z0, h, h, z1)


def mold(z0: float, z1: float, tools: list[cq.Shape], half: float = HALF) -> cq.Shape:
    """The footprint box from z0 to z1 minus every tool, in one cut (the tools as separate arguments: a compound
    of touching tools would leave their shared faces inside the mold)."""
    return square(half, z0, z1).cut(*tools)


def bumps(z0: float, z1: float, pitch: float = 0.8, n: int = 4, r: float = 0.06) -> tuple[cq.Solid, list[V]]:
    """One bump shape (a cylinder) and the n x n places under the die."""
    shape = cq.Solid.makeCylinder(r, z1 - z0, pnt=V(0, 0, z0))
    first = -(n - 1) * pitch / 2
    return shape, [V(first + i * pitch, first + k * pitch, 0) for i in range(n) for k in range(n)]


def wire(start: tuple[float, float, float], end: tuple[float, float, float], loop: float,
         d: float = 0.05) -> cq.Solid:
    """A bonding wire: a circle swept along a spline leaving the chip pad straight up and landing straight down
    on the finger, so both end discs lie flat on the faces they bond to."""
    s, e = V(*start), V(*end)
    mid = V((s.x + e.x) / 2, (s.y + e.y) / 2, max(s.z, e.z) + loop)
    path = cq.Wire.assembleEdges([cq.Edge.makeSpline([s, mid, e], tangents=[V(0, 0, 1), V(0, 0, -1)])])
    profile = cq.Wire.makeCircle(d / 2, s, V(0, 0, 1))
    return cq.Solid.sweep(profile, [], path, makeSolid=True, isFrenet=False)


def export(parts: list[tuple[str, cq.Shape, list[V] | None]], path: Path) -> Path:
    """An assembly of named parts (a repeated part: ONE shape placed at every offset), written as STEP."""
    assy = cq.Assembly(name=path.stem)
    for name, shape, places in parts:
        if places is None:
            assy.add(shape, name=name)
        else:
            for i, p in enumerate(places):
                assy.add(shape, name=f"{name}_{i:02d}", loc=cq.Location(p))
    assy.export(str(path), "STEP")
    return path


# ------------------------------------------------------------------------------------------- models
def lidded_flip_chip(path: Path) -> Path:
    """A flip chip under a hat-shaped lid glued to the die, air under the lid, no mold: vendor names."""
    bump, places = bumps(0.4, 0.48)
    lid = square(HALF, 0.4, 1.23).cut(square(4.5, 0.4, 0.83))
    return export([("SUBSTRATE", square(HALF, 0.0, 0.4), None), ("C4_BUMP", bump, places),
                   ("DIE", square(2.0, 0.48, 0.78), None), ("TIM", square(2.0, 0.78, 0.83), None),
                   ("LID", lid, None)], path)


def small_heat_sink(path: Path) -> Path:
    """A molded package whose heat sink (8 x 8 mm) is smaller than the body: its sides buried in the mold, the
    top flush. Unnamed parts (P01...)."""
    bump, places = bumps(0.4, 0.48)
    inner = [square(2.0, 0.48, 0.78), square(2.0, 0.78, 0.81), square(4.0, 0.81, 1.11), square(4.0, 1.11, 1.12)]
    tools = [bump.moved(cq.Location(p)) for p in places] + inner
    return export([("P01", square(HALF, 0.0, 0.4), None), ("P02", bump, places), ("P03", inner[0], None),
                   ("P04", inner[1], None), ("P05", inner[2], None), ("P06", inner[3], None),
                   ("P07", mold(0.4, 1.12, tools), None)], path)


def no_interface_layer(path: Path) -> Path:
    """A flip chip whose heat sink spans the footprint, sides coplanar with the mold, but with no interface
    layer on its top. Unnamed parts."""
    bump, places = bumps(0.4, 0.48)
    inner = [square(2.0, 0.48, 0.78), square(2.0, 0.78, 0.81)]
    tools = [bump.moved(cq.Location(p)) for p in places] + inner
    return export([("P01", square(HALF, 0.0, 0.4), None), ("P02", bump, places), ("P03", inner[0], None),
                   ("P04", inner[1], None), ("P05", square(HALF, 0.81, 1.11), None),
                   ("P06", mold(0.4, 0.81, tools), None)], path)


#: claim-12 package: z levels (mm) bottom up
Z12 = {"substrate": 0.4, "finger": 0.42, "die_attach": 0.425, "chip": 0.725, "pad_attach": 0.745, "pad": 1.045,
       "adhesive": 1.075, "heat_sink": 1.375, "interface": 1.38}


def claim12(path: Path) -> Path:
    """Claim 12 on a substrate, wire bonded (claims 12-16, and 20 with a conductive adhesive): a silicon
    spacer (buffer pad) on its attach layer on the chip, the heat sink on adhesive over it, an interface layer
    on the heat sink, 8 wires from the chip's edge to fingers, the mold filling the rest flush with the heat
    sink's first surface and its sides. Unnamed parts."""
    z = Z12
    fingers, wires = [], []
    for sx, sy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        for t in (-0.8, 0.8):
            px, py = (sx * 1.8 + sy * t, sy * 1.8 + sx * t)
            fx, fy = (sx * 3.3 + sy * t, sy * 3.3 + sx * t)
            hw, hl = (0.15, 0.3) if sx else (0.3, 0.15)
            fingers.append(box(fx - hl, fy - hw, z["substrate"], fx + hl, fy + hw, z["finger"]))
            wires.append(wire((px, py, z["chip"]), (fx, fy, z["finger"]), 0.2))
    inner = [square(2.0, z["substrate"], z["die_attach"]), square(2.0, z["die_attach"], z["chip"]),
             square(1.2, z["chip"], z["pad_attach"]), square(1.2, z["pad_attach"], z["pad"]),
             square(1.2, z["pad"], z["adhesive"])]
    parts: list[tuple[str, cq.Shape, list[V] | None]] = [("P01", square(HALF, 0.0, z["substrate"]), None)]
    parts += [(f"P{10 + i}", f, None) for i, f in enumerate(fingers)]
    parts += [(f"P{20 + i}", w, None) for i, w in enumerate(wires)]
    parts += [(f"P{30 + i}", s, None) for i, s in enumerate(inner)]
    parts += [("P40", square(HALF, z["adhesive"], z["heat_sink"]), None),
              ("P41", square(HALF, z["heat_sink"], z["interface"]), None),
              ("P42", mold(z["substrate"], z["adhesive"], fingers + wires + inner), None)]
    return export(parts, path)
