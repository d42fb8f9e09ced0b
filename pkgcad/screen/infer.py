"""Roles from geometry, for the solids neither the roles file nor a name decides. The package is taken to lie
flat with its top up (+z), as package models are drawn.

1. A vertical line through the package's centre lists the solids stacked there, bottom to top (exact rays on
   each solid's mesh; small repeated solids, bumps and balls, are stepped over): the topmost is the heat sink,
   unless it is a thin layer lying on a plate (the interface layer on the heat sink); the lowest is the
   carrier; between them, a solid that spans the whole gap from the carrier to the heat sink is molding
   compound, the lowest of the thick rest is the chip, thin layers under it die attach, and above it the
   adhesive under the heat sink, with a thicker pad between (the buffer pad, on its own attach layer).
2. The rest, by where they lie against those: under the carrier, balls; spanning the gap, the encapsulant
   (also when cut into tiles); at the lead frame's level beside the die pad, leads (carrier); between carrier
   and chip under the chip, bumps; thin plates on the carrier top beside the chip, bond fingers; thin bodies
   (a small part of their box filled) reaching over the chip, wires; failing all that, the largest body
   around the chip is the encapsulant.

Each role comes with the reason and a confidence (0-1): how clearly the rule that gave it held.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..reader.scene import axis_ray_hits
from .roles import IGNORE, UNKNOWN, Assigned
from .step import StepModel

EPS = 5e-5
"""mm: solids closer than this touch (a pkgcad bond line is at least 0.1 um thick; STEP keeps ~1e-12)."""
LEVEL = 1e-3
"""mm: two faces within this are at one level (a lead's bottom and the die pad's)."""
SMALL = 0.015
"""A solid holding less than this fraction of the package's box volume is small."""


@dataclass
class Body:
    index: int
    lo: np.ndarray
    hi: np.ndarray
    volume: float
    repeats: int
    vertices: np.ndarray  # placed
    faces: np.ndarray

    @property
    def tris(self) -> np.ndarray:
        return self.vertices[self.faces]

    @property
    def size(self) -> np.ndarray:
        return self.hi - self.lo

    @property
    def centre(self) -> np.ndarray:
        return (self.lo + self.hi) / 2

    @property
    def fill(self) -> float:
        box = float(np.prod(np.maximum(self.size, 1e-12)))
        return abs(self.volume) / box

    @property
    def xy_area(self) -> float:
        return float(self.size[0] * self.size[1])


def bodies_of(model: StepModel, skip: set[int]) -> list[Body]:
    """Every solid (but ``skip``) placed, with its box, volume and how many solids look the same (volume to
    0.01 %, sorted box sides to 0.1 um: the copies of a bump or ball, whichever way the file shares them)."""
    out: list[Body] = []
    keys: list[tuple[float, ...]] = []
    for s in model.solids:
        if s.index in skip:
            continue
        d = model.definitions[s.definition]
        v = s.placed(d)
        lo, hi = v.min(axis=0), v.max(axis=0)
        vol = d.volume * abs(float(np.linalg.det(s.matrix[:3, :3])))
        keys.append((float(f"{vol:.4g}"), *np.round(np.sort(hi - lo), 4)))
        out.append(Body(s.index, lo, hi, vol, 1, v, d.faces))
    counts: dict[tuple[float, ...], int] = {}
    for k in keys:
        counts[k] = counts.get(k, 0) + 1
    for b, k in zip(out, keys, strict=True):
        b.repeats = counts[k]
    return out


def _crossing(b: Body, xy: np.ndarray) -> tuple[float, float, float] | None:
    """(entry, exit, thickness through the solid) of the vertical line through ``xy``; None if it misses."""
    _pid, _tri, z = axis_ray_hits(b.tris, 2, xy[None])
    if not len(z):
        return None
    z = np.sort(z)
    z = z[np.r_[True, np.diff(z) > 1e-9]]  # a line through an edge meets both triangles
    if len(z) < 2:
        return None
    inside = sum(float(z[i + 1] - z[i]) for i in range(0, len(z) - 1, 2))
    return float(z[0]), float(z[-1]), inside


class _Infer:
    def __init__(self, model: StepModel, stated: dict[int, Assigned]) -> None:
        ignored = {i for i, a in stated.items() if a.role == IGNORE}
        self.bodies = bodies_of(model, ignored)
        self.by_index = {b.index: b for b in self.bodies}
        self.stated = stated
        self.out: dict[int, Assigned] = {}
        self.first: tuple[int, float] | None = None
        if not self.bodies:
            return
        self.lo = np.min([b.lo for b in self.bodies], axis=0)
        self.hi = np.max([b.hi for b in self.bodies], axis=0)
        size = self.hi - self.lo
        self.foot = float(size[0] * size[1])
        self.box = float(np.prod(np.maximum(size, 1e-9)))

    def small(self, b: Body) -> bool:
        return abs(b.volume) < SMALL * self.box

    def set(self, b: Body, role: str, reason: str, confidence: float) -> None:
        if b.index not in self.out:
            self.out[b.index] = Assigned(role, "geometry", reason, confidence)

    def anchor(self, role: str, picked: list[Body]) -> list[Body]:
        """The solids of ``role``: the ones stated (roles file, names) where any are, else ``picked``."""
        mine = [self.by_index[i] for i, a in self.stated.items() if a.role == role and i in self.by_index]
        return mine or picked

    def first_surface(self, hs: list[Body]) -> float:
        """The heat sink's first surface: where the centre line enters it (under a hat-shaped lid, its ceiling,
        not its rim), else its lowest point."""
        if self.first is not None and [b.index for b in hs] == [self.first[0]]:
            return self.first[1]
        return min(b.lo[2] for b in hs)

    # ------------------------------------------------------------------------------------ the column
    def column(self, xy: np.ndarray) -> list[tuple[Body, float, float, float]]:
        seq = []
        for b in self.bodies:
            if self.small(b) and b.repeats >= 2:
                continue  # bumps, balls, wires, tiles: stepped over
            if not (b.lo[0] <= xy[0] <= b.hi[0] and b.lo[1] <= xy[1] <= b.hi[1]):
                continue
            c = _crossing(b, xy)
            if c is not None:
                seq.append((b, *c))
        seq.sort(key=lambda r: (r[1], r[2]))
        return seq

    def run(self) -> dict[int, Assigned]:
        if not self.bodies:
            return {}
        size = self.hi - self.lo
        probes = [(self.lo[:2] + self.hi[:2]) / 2 + size[:2] * [7.31e-4, 5.17e-4]]
        big = sorted((b for b in self.bodies if not self.small(b)), key=lambda b: -abs(b.volume))[:6]
        probes += [b.centre[:2] + size[:2] * [7.31e-4, 5.17e-4] for b in big]
        stack: tuple[list[Body], list[Body], list[Body]] | None = None
        for xy in probes:
            stack = self.stack(self.column(xy))
            if stack is not None and stack[2]:  # found a chip
                break
        hs, carrier, chip = stack if stack is not None else ([], [], [])
        self.rest(self.anchor("heat_sink", hs), self.anchor("carrier", carrier), self.anchor("chip", chip))
        for b in self.bodies:
            self.set(b, UNKNOWN, "no rule placed it (not in the stack at the centre, not under, around or "
                     "between the parts found)", 0.0)
        return self.out

    def stack(self, seq: list[tuple[Body, float, float, float]]
              ) -> tuple[list[Body], list[Body], list[Body]] | None:
        """Roles along one vertical line; returns (heat sink, carrier, chip) as found."""
        if not seq:
            return None
        self.out = {}
        top = seq[-1]
        il = False
        if len(seq) >= 2:
            under = seq[-2]
            cover = top[0].xy_area / max(under[0].xy_area, 1e-12)
            if top[3] <= 0.34 * under[3] and top[3] <= 0.06 and abs(top[1] - under[2]) <= LEVEL and cover >= 0.5:
                il = True
                self.set(top[0], "interface_layer", f"a layer {top[3] * 1000:.1f} um thick lying on the topmost "
                         f"plate, over {min(cover, 1) * 100:.0f} % of it", 0.9 if cover >= 0.95 else 0.7)
                seq = seq[:-1]
                top = seq[-1]
        hs_b = top[0]
        self.first = (hs_b.index, top[1])  # where the line enters the heat sink: its first surface (a lid's ceiling)
        cover = hs_b.xy_area / self.foot
        self.set(hs_b, "heat_sink", f"the topmost plate{' under the interface layer' if il else ''}, spanning "
                 f"{cover * 100:.0f} % of the package footprint", 0.9 if cover >= 0.9 else 0.7)
        hs = self.anchor("heat_sink", [hs_b])
        if len(seq) < 2:
            return hs, [], []
        car_b = seq[0][0]
        cover = car_b.xy_area / self.foot
        self.set(car_b, "carrier", f"the lowest solid under the centre, spanning {cover * 100:.0f} % of the "
                 "footprint", 0.9 if cover >= 0.9 else 0.75)
        carrier = self.anchor("carrier", [car_b])
        c_top = max(b.hi[2] for b in carrier)
        h_low = self.first_surface(hs)
        middle = []
        for row in seq[1:-1]:
            b = row[0]
            if b.lo[2] <= c_top + EPS and b.hi[2] >= h_low - EPS:
                self.set(b, "encapsulant", "fills the whole height from the carrier to the heat sink", 0.9)
            else:
                middle.append(row)
        if not middle:
            return hs, carrier, []
        tmax = max(r[3] for r in middle)
        ci = next(i for i, r in enumerate(middle) if r[3] >= 0.5 * tmax)
        chip_b = middle[ci][0]
        self.set(chip_b, "chip", f"the lowest thick solid between carrier and heat sink ({middle[ci][3]:.3f} mm)",
                 0.85)
        for r in middle[:ci]:
            self.set(r[0], "die_attach", "a layer between the carrier and the chip",
                     0.8 if len(middle[:ci]) == 1 else 0.6)
        above = [r[0] for r in middle[ci + 1:]]
        self.layers_above(above, [r[3] for r in middle[ci + 1:]])
        return hs, carrier, self.anchor("chip", [chip_b])

    def layers_above(self, above: list[Body], thick: list[float]) -> None:
        """Between the chip and the heat sink: adhesive; with a thicker pad in between, the buffer pad (the
        thickest), its attach layer under it and the adhesive over it."""
        if not above:
            return
        if len(above) == 1:
            self.set(above[0], "adhesive", "the layer between the chip and the heat sink", 0.85)
            return
        k = int(np.argmax(thick))
        self.set(above[k], "buffer_pad", "the thickest solid stacked between the chip and the heat sink", 0.75)
        for i, b in enumerate(above):
            if i < k:
                self.set(b, "buffer_pad_attach", "a layer between the chip and the buffer pad",
                         0.75 if i == k - 1 else 0.5)
            elif i > k:
                self.set(b, "adhesive", "a layer between the buffer pad and the heat sink",
                         0.75 if i == k + 1 else 0.5)

    # ------------------------------------------------------------------------------------- the rest
    def rest(self, hs: list[Body], carrier: list[Body], chip: list[Body]) -> None:
        if not hs or not carrier:
            return
        c_lo, c_top = min(b.lo[2] for b in carrier), max(b.hi[2] for b in carrier)
        h_top = max(b.hi[2] for b in hs)
        h_low = self.first_surface(hs)
        if chip:
            ch_lo = np.min([b.lo for b in chip], axis=0)
            ch_hi = np.max([b.hi for b in chip], axis=0)
        found_mold = any(a.role == "encapsulant" for a in self.out.values())
        for b in self.bodies:
            if b.index in self.out:
                continue
            if b.hi[2] <= c_lo + LEVEL and self.small(b):
                self.set(b, "ball", "a small solid under the carrier", 0.9 if b.repeats >= 2 else 0.7)
            elif b.lo[2] <= c_top + EPS and b.hi[2] >= h_low - EPS:
                found_mold = True
                self.set(b, "encapsulant", "fills the whole height from the carrier to the heat sink", 0.9)
            elif abs(b.lo[2] - c_lo) <= LEVEL and b.hi[2] <= c_top + LEVEL and self.small(b):
                self.set(b, "carrier", "a lead: at the lead frame's level beside the die pad",
                         0.85 if b.repeats >= 2 else 0.65)
            elif chip and b.lo[2] >= c_top - LEVEL and b.hi[2] <= ch_lo[2] + LEVEL and self.small(b) and \
                    bool(np.all((b.centre[:2] >= ch_lo[:2]) & (b.centre[:2] <= ch_hi[:2]))):
                if max(b.size[0], b.size[1]) > 4 * b.size[2] and b.lo[2] <= c_top + EPS and \
                        b.hi[2] >= ch_lo[2] - EPS:  # a plate filling the gap, not a bump
                    self.set(b, "encapsulant", "fills the gap between the carrier and the chip (around the bumps)",
                             0.75)
                else:
                    self.set(b, "bump", "a small solid between the carrier and the chip, under the chip",
                             0.85 if b.repeats >= 2 else 0.65)
            elif chip and abs(b.lo[2] - c_top) <= LEVEL and b.size[2] <= 0.1 and b.fill >= 0.5 and \
                    b.hi[2] < ch_hi[2] and self.small(b):
                self.set(b, "bond_finger", "a thin plate on the carrier top beside the chip",
                         0.8 if b.repeats >= 2 else 0.6)
            elif chip and b.fill < 0.3 and self.small(b) and b.hi[2] <= h_top and \
                    bool(np.all((b.lo[:2] <= ch_hi[:2]) & (b.hi[:2] >= ch_lo[:2]))):
                self.set(b, "wire", f"a thin body ({b.fill * 100:.0f} % of its box filled) reaching over the chip",
                         0.8)
        if not found_mold and chip:
            around = [b for b in self.bodies if b.index not in self.out and b.xy_area >= 0.5 * self.foot
                      and b.lo[2] <= ch_hi[2] and b.hi[2] >= ch_lo[2]]
            if around:
                b = max(around, key=lambda b: abs(b.volume))
                self.set(b, "encapsulant", "the largest solid around the chip (it does not span the whole "
                         "height from the carrier to the heat sink)", 0.6)


def infer_roles(model: StepModel, stated: dict[int, Assigned]) -> dict[int, Assigned]:
    """Every solid's role: the stated ones kept, the rest inferred (see the module's rules)."""
    found = _Infer(model, stated).run()
    out: dict[int, Assigned] = {}
    for s in model.solids:
        out[s.index] = stated.get(s.index) or found.get(s.index) or Assigned(UNKNOWN, "none", "", 0.0)
    return out
