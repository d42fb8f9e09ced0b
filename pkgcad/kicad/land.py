"""Land patterns (pads, courtyard, fabrication and silkscreen outlines) from a spec: pure maths, no files.

Frame of everything here: KiCad's footprint frame, millimetres, origin at the package centre, x right, **y down**
(pkgcad's y up becomes -y), viewed from the top. Pin 1 / ball A1 is top-left.

- BGA: one round NSMD pad per ball, at the ball's centre. Pad diameter from the IPC-7351B table of land sizes
  for collapsible solder balls (Table 14-5/14-6 as the KiCad footprint generator uses it): ``--density`` L, N, M
  picks its min, nominal and max column. Ball sizes between the table's rows are interpolated linearly; sizes
  outside keep the ratio land/ball of the nearest row. Names A1, A2, ...: rows A, B, ... from the top, skipping
  I, O, Q, S, X, Z; after Y come AA, AB, ...; columns 1, 2, ... from the left.
- QFN: IPC-7351B flat no-lead lands: Z = L + 2 J_toe + T, G = S - 2 J_heel - T, X = W + 2 J_side + T with the
  tolerance term T = sqrt(F^2 + P^2) (fabrication 0.1, placement 0.05 mm; the spec's sizes are nominal) and
  J from the density level; Z, G, X rounded to 0.05 mm. Pins counter-clockwise from the top of the left side,
  exposed pad = pins + 1, its paste split into a grid of apertures covering 65 % (less with thermal vias, whose
  holes the apertures keep 0.1 mm clear of).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..layout import Layout
from . import source

DENSITIES = ("L", "N", "M")
MIN_COPPER_GAP = 0.1  # mm between two pads' copper
EP_CLEARANCE = 0.2  # mm between the exposed pad and a lead's land (IPC generic rule, as KiCad's generator)
PASTE_COVERAGE = 0.65
VIA_DRILL, VIA_PAD = 0.3, 0.6
FAB_W, SILK_W, CRTYD_W = 0.10, 0.12, 0.05  # KLC line widths
SILK_OFFSET = 0.11  # silk outline outside the body outline
SILK_PAD_CLEARANCE = 0.2

# IPC-7351B land diameter [mm] for a collapsible ball: ball -> (min, nominal, max)
BGA_LANDS = {
    0.15: (0.10, 0.13, 0.15), 0.17: (0.12, 0.15, 0.18), 0.20: (0.14, 0.17, 0.20), 0.25: (0.17, 0.20, 0.20),
    0.30: (0.20, 0.25, 0.25), 0.35: (0.23, 0.28, 0.33), 0.40: (0.25, 0.30, 0.35), 0.45: (0.30, 0.35, 0.40),
    0.50: (0.35, 0.40, 0.45), 0.55: (0.40, 0.40, 0.50), 0.60: (0.40, 0.45, 0.50), 0.65: (0.45, 0.50, 0.55),
    0.75: (0.50, 0.55, 0.60),
}
BGA_COURTYARD = {"L": 0.5, "N": 1.0, "M": 2.0}
# IPC-7351B flat no-lead (toe fillet): toe, heel, side, courtyard excess
QFN_FILLETS = {"L": (0.2, 0.0, -0.04, 0.1), "N": (0.3, 0.0, -0.04, 0.25), "M": (0.4, 0.0, -0.04, 0.5)}
F_TOL, P_TOL = 0.1, 0.05
ROW_LETTERS = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in "IOQSXZ"]


@dataclass(frozen=True)
class Pad:
    number: str  # "" for a paste-only aperture
    x: float
    y: float
    sx: float
    sy: float
    shape: str  # circle | roundrect
    layers: tuple[str, ...]
    kind: str = "smd"  # smd | thru_hole
    drill: float = 0.0
    mask_margin: float | None = None

    @property
    def rratio(self) -> float:
        """Corner radius / shorter side of a roundrect: 25 %, the radius at most 0.25 mm (KLC)."""
        return min(0.25, 0.25 / min(self.sx, self.sy))


@dataclass
class Land:
    """One footprint: name, pads and graphics in KiCad's frame (mm, y down)."""

    kind: str  # BGA | QFN
    name: str
    model_name: str
    description: str
    tags: str
    body: tuple[float, float]
    pads: list[Pad] = field(default_factory=list)
    courtyard: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # x0, y0, x1, y1
    fab: list[list[tuple[float, float]]] = field(default_factory=list)
    silk: list[list[tuple[float, float]]] = field(default_factory=list)
    pin_count: int = 0

    def copper(self) -> list[Pad]:
        return [p for p in self.pads if p.number]


def num(x: float) -> str:
    """A length for a name: at most 3 decimals, at least one (1.0, 0.65, 12.0)."""
    s = f"{x:.3f}".rstrip("0")
    return s + "0" if s.endswith(".") else s


def short(x: float) -> str:
    """A length for a QFN name, as KiCad writes them: 5, 3.2, 0.65."""
    return f"{round(x, 3):g}"


def row_names() -> Iterator[str]:
    """A, B, ..., Y, AA, AB, ... (the letters that cannot be confused with digits skipped)."""
    for n in itertools.count(1):
        for combo in itertools.product(ROW_LETTERS, repeat=n):
            yield "".join(combo)


def bga_land_diameter(ball: float, density: str) -> float:
    col = DENSITIES.index(density)
    rows = sorted(BGA_LANDS)
    if ball <= rows[0]:
        return round(ball * BGA_LANDS[rows[0]][col] / rows[0], 3)
    if ball >= rows[-1]:
        return round(ball * BGA_LANDS[rows[-1]][col] / rows[-1], 3)
    for lo, hi in itertools.pairwise(rows):
        if lo <= ball <= hi:
            t = (ball - lo) / (hi - lo)
            return round(BGA_LANDS[lo][col] + t * (BGA_LANDS[hi][col] - BGA_LANDS[lo][col]), 3)
    raise AssertionError(ball)


def land(lay: Layout, density: str = "N", thermal_vias: bool = False) -> Land:
    """The footprint of the package laid out as ``lay``; :class:`InputError` (exit 2) when its land pattern
    cannot exist."""
    if density not in DENSITIES:
        raise InputError("--density", density, "choose L (least), N (nominal) or M (most), IPC-7351B")
    return _qfn(lay, density, thermal_vias) if lay.qfn else _bga(lay, density)


def _ceil01(v: float) -> float:
    """Round a courtyard coordinate away from zero onto the 0.01 mm grid (KLC F5.3)."""
    return math.copysign(math.ceil(round(abs(v) * 100, 6)) / 100, v)


def _courtyard(land_: Land, excess: float) -> None:
    hx = max(land_.body[0] / 2, *(abs(p.x) + p.sx / 2 for p in land_.pads)) + excess
    hy = max(land_.body[1] / 2, *(abs(p.y) + p.sy / 2 for p in land_.pads)) + excess
    land_.courtyard = (_ceil01(-hx), _ceil01(-hy), _ceil01(hx), _ceil01(hy))


def _fab_outline(sx: float, sy: float) -> list[tuple[float, float]]:
    """The body outline with its top-left (pin 1) corner chamfered: 1 mm or a quarter of the body."""
    c = min(1.0, 0.25 * min(sx, sy))
    x0, y0, x1, y1 = -sx / 2, -sy / 2, sx / 2, sy / 2
    return [(x1, y1), (x0, y1), (x0, y0 + c), (x0 + c, y0), (x1, y0), (x1, y1)]


def _bga(lay: Layout, density: str) -> Land:
    spec = lay.spec
    arr = source.balls(lay)
    if arr is None:
        raise InputError("balls.count", spec.balls.count, "an LGA has no ball positions to put lands on; "
                        "pkgcad kicad needs balls.count >= 1")
    d = bga_land_diameter(arr.diameter, density)
    if arr.pitch - d < MIN_COPPER_GAP - 1e-9:
        raise InputError("balls.pitch", arr.pitch, f"the IPC-7351B land ({density}) of a {arr.diameter:g} mm ball "
                        f"is {d:g} mm across; pads would be {arr.pitch - d:.3g} mm apart, need >= "
                        f"{MIN_COPPER_GAP:g} mm (balls.pitch >= {d + MIN_COPPER_GAP:g} mm)")
    rows = list(itertools.islice(row_names(), arr.ny))
    sx, sy = spec.carrier.size
    n = len(arr.points)
    name = (f"BGA-{n}_{num(sx)}x{num(sy)}mm_Layout{arr.nx}x{arr.ny}_P{num(arr.pitch)}mm_Ball{num(arr.diameter)}mm_"
            f"Pad{num(d)}mm_NSMD_HeatSink")
    out = Land("BGA", name, name, f"BGA-{n} with exposed heat sink, {num(sx)}x{num(sy)}mm body, {arr.nx}x{arr.ny} "
               f"layout, {num(arr.pitch)}mm pitch, {num(arr.diameter)}mm balls, IPC-7351B {density} land "
               f"{num(d)}mm NSMD; pkgcad (US 6,844,622 B2 embodiment '{spec.meta.name}')",
               f"BGA {n} {num(arr.pitch)} heat sink pkgcad", (sx, sy), pin_count=n)
    order = np.lexsort((arr.ix, -arr.iy))  # top row first, then left to right
    for k in order:
        x, y = float(arr.points[k, 0]), -float(arr.points[k, 1])
        label = f"{rows[arr.ny - 1 - int(arr.iy[k])]}{int(arr.ix[k]) + 1}"
        out.pads.append(Pad(label, x, y, d, d, "circle", ("F.Cu", "F.Paste", "F.Mask"), mask_margin=0.05))
    out.fab.append(_fab_outline(sx, sy))
    reach = max(max(abs(p.x) - sx / 2, abs(p.y) - sy / 2) + d / 2 for p in out.pads)
    o = max(SILK_OFFSET, reach + SILK_PAD_CLEARANCE + SILK_W / 2)
    c = min(1.0, 0.25 * min(sx, sy))
    x0, y0, x1, y1 = -sx / 2 - o, -sy / 2 - o, sx / 2 + o, sy / 2 + o
    out.silk.append([(x0 + c, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0 + c)])  # open at pin A1
    _courtyard(out, BGA_COURTYARD[density])
    return out


def _round05(v: float) -> float:
    return math.floor(v / 0.05 + 0.5) * 0.05


def _qfn(lay: Layout, density: str, thermal_vias: bool) -> Land:
    spec = lay.spec
    ld = spec.leads
    toe, heel, side, excess = QFN_FILLETS[density]
    t = math.hypot(F_TOL, P_TOL)
    ex, ey = source.die_pad(lay)
    x_w = round(_round05(ld.width + 2 * side + t), 3)
    if ld.pitch - x_w < MIN_COPPER_GAP - 1e-9:
        raise InputError("leads.width", ld.width, f"its IPC-7351B land is {x_w:g} mm wide; at leads.pitch "
                        f"{ld.pitch:g} mm pads would be {ld.pitch - x_w:.3g} mm apart, need >= {MIN_COPPER_GAP:g} mm")
    leads = source.qfn_leads(lay)
    per_side = [[(cx, cy) for s, (cx, cy, _sx, _sy) in leads if s == k] for k in range(4)]
    lands = []  # per side: (z/2, g/2) radial extent from the centre
    for k in range(4):
        body = spec.carrier.size[k % 2]
        z = _round05(body + 2 * toe + t)
        g = _round05(body - 2 * ld.length - 2 * heel - t)
        ep_half = (ex if k % 2 == 0 else ey) / 2
        inner = max(g / 2, ep_half + EP_CLEARANCE)
        if z / 2 - inner < ld.length / 2:
            most = 2 * (z / 2 - ld.length / 2 - EP_CLEARANCE)
            raise InputError("die_pad.size", spec.die_pad.size, f"keeping {EP_CLEARANCE:g} mm from the exposed pad "
                            f"leaves lands {z / 2 - inner:.3g} mm long for {ld.length:g} mm leads; need half "
                            f"the lead length at least (die_pad.size <= {most:.4g})")
        along_max = max(abs(a) for a in _along(per_side[k], k))
        if along_max + x_w / 2 + MIN_COPPER_GAP > inner + 1e-9:
            raise InputError("leads.count", ld.count, f"the corner lands of neighbouring sides would be closer "
                            f"than {MIN_COPPER_GAP:g} mm; fewer leads or a larger body")
        lands.append((round(z / 2, 6), round(inner, 6)))
    n = ld.count
    sx, sy = spec.carrier.size
    vias = "_ThermalVias" if thermal_vias else ""
    model = f"QFN-{n}-1EP_{short(sx)}x{short(sy)}mm_P{short(ld.pitch)}mm_EP{short(ex)}x{short(ey)}mm_HeatSink"
    out = Land("QFN", model + vias, model,
               f"QFN-{n} with exposed heat sink, {short(sx)}x{short(sy)}mm body, {short(ld.pitch)}mm pitch, exposed "
               f"pad {short(ex)}x{short(ey)}mm, IPC-7351B {density} lands{', thermal vias' if thermal_vias else ''}; "
               f"pkgcad (US 6,844,622 B2 embodiment '{spec.meta.name}')",
               f"QFN NoLead {n} {short(ld.pitch)} heat sink pkgcad", (sx, sy), pin_count=n)
    pin = 1
    for k in (2, 3, 0, 1):  # left, bottom, right, top: counter-clockwise from the top of the left side
        zh, gh = lands[k]
        nx, ny = ((1, 0), (0, 1), (-1, 0), (0, -1))[k]
        r, length = (zh + gh) / 2, zh - gh
        for cx, cy in per_side[k]:
            x = nx * r + (cx if k % 2 else 0.0)
            y = ny * r + (cy if k % 2 == 0 else 0.0)
            psx, psy = (length, x_w) if k % 2 == 0 else (x_w, length)
            out.pads.append(Pad(str(pin), round(x, 6), round(-y, 6), psx, psy, "roundrect",
                                ("F.Cu", "F.Paste", "F.Mask")))
            pin += 1
    ep = str(n + 1)
    out.pads.append(Pad(ep, 0.0, 0.0, ex, ey, "roundrect", ("F.Cu", "F.Mask")))
    out.pads += _paste_and_vias(ex, ey, ep, thermal_vias)
    out.fab.append(_fab_outline(sx, sy))
    out.silk += _qfn_silk(sx, sy, max(abs(a) for a in _along(per_side[0], 0)) + x_w / 2, lands[2][0])
    _courtyard(out, excess)
    return out


def _along(points: list[tuple[float, float]], side: int) -> list[float]:
    return [p[1] if side % 2 == 0 else p[0] for p in points]


def _paste_and_vias(ex: float, ey: float, number: str, vias: bool) -> list[Pad]:
    """Paste apertures on a grid over the exposed pad (65 % of its area); with ``vias``, plated holes at the
    grid's inner corners and apertures kept 0.1 mm clear of them."""
    nx, ny = (max(2 if vias else 1, math.ceil(e / 1.25 - 1e-9)) for e in (ex, ey))
    cx, cy = ex / nx, ey / ny
    k = math.sqrt(PASTE_COVERAGE)
    gap_x, gap_y = cx * (1 - k), cy * (1 - k)
    if vias:
        need = math.ceil(2 * (VIA_DRILL / 2 + 0.1) / math.sqrt(2) * 1e4) / 1e4  # rounded up: clear after rounding
        gap_x, gap_y = max(gap_x, need), max(gap_y, need)
    out = []
    for i in range(nx):
        for j in range(ny):
            x, y = -ex / 2 + (i + 0.5) * cx, -ey / 2 + (j + 0.5) * cy
            out.append(Pad("", round(x, 6), round(y, 6), round(cx - gap_x, 6), round(cy - gap_y, 6), "roundrect",
                           ("F.Paste",)))
    if vias:
        for i in range(1, nx):
            for j in range(1, ny):
                out.append(Pad(number, round(-ex / 2 + i * cx, 6), round(-ey / 2 + j * cy, 6), VIA_PAD, VIA_PAD,
                               "circle", ("*.Cu",), kind="thru_hole", drill=VIA_DRILL))
    return out


def _qfn_silk(sx: float, sy: float, pad_reach: float, toe: float) -> list[list[tuple[float, float]]]:
    """Corner marks on the body outline (offset 0.11 mm), stopping 0.2 mm short of the first land; the top-left
    mark runs on to the outer end of pin 1's land (pin-1 marker)."""
    o = SILK_OFFSET
    stop = pad_reach + SILK_PAD_CLEARANCE + SILK_W / 2
    hx, hy = sx / 2 + o, sy / 2 + o
    lines = []
    for mx, my in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
        pts = []
        if hy > stop:
            pts.append((mx * hx, my * stop))
        pts.append((mx * hx, my * hy))
        if hx > stop:
            pts.append((mx * stop, my * hy))
        if len(pts) > 1:
            lines.append(pts)
    if hy > stop and hx > stop and toe > hx:
        lines.append([(-toe, -hy), (-hx, -hy)])
    return lines
