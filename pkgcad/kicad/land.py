"""Land patterns (pads, courtyard, fabrication and silkscreen outlines) from a spec: pure maths, no files.

Frame of everything here: KiCad's footprint frame, millimetres, origin at the package centre, x right, **y down**
(pkgcad's y up becomes -y), viewed from the top. Pin 1 / ball A1 is top-left.

- BGA: one round NSMD pad per ball, at the ball's centre. Pad diameter from the IPC-7351B table of land sizes
  for collapsible solder balls (Table 14-5/14-6 as the KiCad footprint generator uses it): ``--density`` L, N, M
  picks its min, nominal and max column. Ball sizes between the table's rows are interpolated linearly; sizes
  outside keep the ratio land/ball of the nearest row. Names A1, A2, ...: rows A, B, ... from the top, skipping
  I, O, Q, S, X, Z; after Y come AA, AB, ...; columns 1, 2, ... from the left.
- QFN: IPC-7351B Table 3-15 (quad flat no-lead) fillet goals per density level, toe 0.40 / 0.30 / 0.20 mm,
  heel 0, side -0.04 mm at every level (M / N / L), with the standard's tolerance terms:
  Zmax = Lmin + 2 JT + sqrt(CL^2 + F^2 + P^2), Gmin = Smax - 2 JH - sqrt(CS^2 + F^2 + P^2),
  Xmax = Wmin + 2 JS + sqrt(CW^2 + F^2 + P^2); F = 0.1 (board fabrication), P = 0.05 (placement) and the
  spec's nominal sizes toleranced as JEDEC MO-220 draws them (body +-0.10, lead width +-0.05, lead length
  +-0.10; CS the RMS of the body and two lead-length tolerances, as KiCad's footprint generator); Z, G, X to the
  nearest 0.05 mm. For the bundled QFN-32 (5 mm body, 0.25 x 0.40 mm leads) that is KiCad's own QFN-32 land,
  0.875 x 0.25 mm at 2.4375 mm: a 0.25 mm copper web at 0.5 mm pitch. Pins counter-clockwise from the top of
  the left side, exposed pad = pins + 1, its paste split into a grid of apertures covering 65 %; with thermal
  vias (0.3 mm drill, 0.5 mm pad) at the grid's inner corners the apertures are chamfered to stay
  0.1 mm clear of via copper, and a bottom-side copper pad joins the vias, as KiCad's ``_ThermalVias`` variants.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..layout import Layout

DENSITIES = ("L", "N", "M")
MIN_COPPER_GAP = 0.1  # mm between two pads' copper
EP_CLEARANCE = 0.2  # mm between the exposed pad and a lead's land (IPC generic rule, as KiCad's generator)
PASTE_COVERAGE = 0.65  # exposed-pad paste / pad area (KiCad's generator), thermal vias: 50-80 % (PASTE_RANGE)
PASTE_RANGE = (0.50, 0.80)
VIA_DRILL, VIA_PAD = 0.3, 0.5  # 0.3 mm: KiCad 6's smallest through hole by default; 0.1 mm ring
VIA_PASTE_CLEARANCE = 0.1  # paste aperture to via copper
FAB_W, SILK_W, CRTYD_W = 0.10, 0.12, 0.05  # KLC line widths
SILK_OFFSET = 0.11  # silk outline outside the body outline
SILK_PAD_CLEARANCE = 0.2
URL = "https://patents.google.com/patent/US6844622B2"  # KLC F9.1: the description names a URL

# IPC-7351B land diameter [mm] for a collapsible ball: ball -> (min, nominal, max)
BGA_LANDS = {
    0.15: (0.10, 0.13, 0.15), 0.17: (0.12, 0.15, 0.18), 0.20: (0.14, 0.17, 0.20), 0.25: (0.17, 0.20, 0.20),
    0.30: (0.20, 0.25, 0.25), 0.35: (0.23, 0.28, 0.33), 0.40: (0.25, 0.30, 0.35), 0.45: (0.30, 0.35, 0.40),
    0.50: (0.35, 0.40, 0.45), 0.55: (0.40, 0.40, 0.50), 0.60: (0.40, 0.45, 0.50), 0.65: (0.45, 0.50, 0.55),
    0.75: (0.50, 0.55, 0.60),
}
BGA_COURTYARD = {"L": 0.5, "N": 1.0, "M": 2.0}
# IPC-7351B Table 3-15, quad flat no-lead: toe, heel, side fillet goals and courtyard excess per density level
QFN_FILLETS = {"L": (0.2, 0.0, -0.04, 0.1), "N": (0.3, 0.0, -0.04, 0.25), "M": (0.4, 0.0, -0.04, 0.5)}
F_TOL, P_TOL = 0.1, 0.05  # board fabrication and placement tolerance (KiCad's generator)
# the spec's QFN sizes are nominal; their +- tolerances as JEDEC MO-220 draws them
BODY_TOL, LEAD_WIDTH_TOL, LEAD_LENGTH_TOL = 0.10, 0.05, 0.10
ROUND = 0.05  # IPC round-off of Z, G, X
ROW_LETTERS = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in "IOQSXZ"]
CHAMFER_MAX = 0.5  # KiCad's largest chamfer ratio


@dataclass(frozen=True)
class Pad:
    number: str  # "" for a paste-only aperture
    x: float
    y: float
    sx: float
    sy: float
    shape: str  # circle | roundrect | rect
    layers: tuple[str, ...]
    kind: str = "smd"  # smd | thru_hole
    drill: float = 0.0
    mask_margin: float | None = None
    chamfer: tuple[str, ...] = ()  # corners cut at 45 degrees: top_left, top_right, bottom_left, bottom_right
    chamfer_ratio: float = 0.0  # leg of the cut / shorter side

    @property
    def rratio(self) -> float:
        """Corner radius / shorter side of a roundrect: 25 %, the radius at most 0.25 mm (KLC)."""
        return min(0.25, 0.25 / min(self.sx, self.sy))


@dataclass
class Land:
    """One footprint: name, pads and graphics in KiCad's frame (mm, y down). ``name`` depends on the land pattern
    only; ``model_base`` names the package outline its 3D models start with (``_ThermalVias`` and the land size
    left out: they do not change the 3D model)."""

    kind: str  # BGA | QFN
    name: str
    model_base: str
    description: str
    tags: str
    body: tuple[float, float]
    density: str
    web: float  # copper gap between neighbouring lands [mm] (QFN: along a side)
    corner_gap: float = 0.0  # QFN: copper gap between the two lands at a corner (their rounded corners) [mm]
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
    """A length for a QFN name, as KiCad writes them: 5, 3.2, 0.65, 0.875."""
    return f"{round(x, 4):g}"


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


@dataclass(frozen=True)
class BallArray:
    """The solder balls as built: centres (n, 2), the grid they sit on and each ball's grid column/row
    (0-based, column along +x, row along +y); diameter and height [mm] of the ball as cut (:attr:`Layout.ball_z`)."""

    points: np.ndarray
    nx: int
    ny: int
    pitch: float
    diameter: float
    height: float
    ix: np.ndarray
    iy: np.ndarray


def balls(lay: Layout) -> BallArray | None:
    """The ball array of a BGA as the layout fitted it (None for an LGA: ``balls.count = 0``)."""
    sites, cut = lay.balls, lay.ball_z
    if sites is None or sites.grid is None or cut is None:
        return None
    g, pts = sites.grid, sites.points
    ix = np.rint(pts[:, 0] / g.pitch + (g.nx - 1) / 2).astype(int)
    iy = np.rint(pts[:, 1] / g.pitch + (g.ny - 1) / 2).astype(int)
    return BallArray(pts, g.nx, g.ny, g.pitch, cut.diameter, cut.height, ix, iy)


def _bga(lay: Layout, density: str) -> Land:
    spec = lay.spec
    arr = balls(lay)
    if arr is None:
        raise InputError("balls.count", spec.balls.count, "an LGA has no ball positions to put lands on; "
                        "pkgcad kicad needs balls.count >= 1")
    d = bga_land_diameter(arr.diameter, density)
    if arr.pitch - d < MIN_COPPER_GAP - 1e-9:
        raise InputError("balls.pitch", arr.pitch, f"the IPC-7351B land ({density}) of a {arr.diameter:g} mm ball "
                        f"is {d:g} mm across; pads would be {arr.pitch - d:.3g} mm apart, need >= "
                        f"{MIN_COPPER_GAP:g} mm (balls.pitch >= {d + MIN_COPPER_GAP:g} mm)")
    rows = list(itertools.islice(row_names(), arr.ny))
    _cx, _cy, sx, sy = lay.footprint
    n = len(arr.points)
    outline = f"BGA-{n}_{num(sx)}x{num(sy)}mm_Layout{arr.nx}x{arr.ny}_P{num(arr.pitch)}mm_Ball{num(arr.diameter)}mm"
    name = f"{outline}_Pad{num(d)}mm_NSMD_HeatSink"
    out = Land("BGA", name, f"{outline}_HeatSink",
               f"BGA-{n}, {num(sx)}x{num(sy)}mm body with an exposed heat sink (US 6,844,622 B2), {arr.nx}x{arr.ny} "
               f"layout, {num(arr.pitch)}mm pitch, {num(arr.diameter)}mm balls, IPC-7351B density {density} land "
               f"{num(d)}mm NSMD ({URL}), generated with pkgcad",
               f"BGA {n} {num(arr.pitch)} heat sink pkgcad", (sx, sy), density, round(arr.pitch - d, 6),
               pin_count=n)
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
    """To the nearest 0.05 mm (half up), as IPC and KiCad's generator round Z, G and X."""
    return round(math.floor(v / ROUND + 0.5) * ROUND, 6)


def qfn_zgx(body: float, lead_width: float, lead_length: float, density: str) -> tuple[float, float, float]:
    """IPC-7351B Z (outer land span), G (inner land span) and X (land width) of a flat no-lead package side
    with nominal ``body``, lead width and length (their MO-220 tolerances assumed), rounded to 0.05 mm."""
    toe, heel, side, _excess = QFN_FILLETS[density]
    fp = F_TOL**2 + P_TOL**2
    cl = 2 * BODY_TOL  # body (= lead outside span) min to max
    z = (body - BODY_TOL) + 2 * toe + math.sqrt(cl**2 + fp)
    cs = math.sqrt(cl**2 + 2 * (2 * LEAD_LENGTH_TOL) ** 2)  # RMS of S = L - 2 T
    s_max = (body - 2 * lead_length) + cs / 2
    g = s_max - 2 * heel - math.sqrt(cs**2 + fp)
    cw = 2 * LEAD_WIDTH_TOL
    x = (lead_width - LEAD_WIDTH_TOL) + 2 * side + math.sqrt(cw**2 + fp)
    return _round05(z), _round05(g), _round05(x)


def _qfn(lay: Layout, density: str, thermal_vias: bool) -> Land:
    spec = lay.spec
    ld = spec.leads
    excess = QFN_FILLETS[density][3]
    assert lay.die_pad is not None
    _cx, _cy, ex, ey = lay.die_pad
    body_size = lay.footprint[2:]
    per_side = [[(lead.rect[0], lead.rect[1]) for lead in lay.leads if lead.side == k] for k in range(4)]
    lands = []  # per side: (z/2, inner end) radial extent from the centre
    x_w = 0.0
    for k in range(4):
        body = body_size[k % 2]
        z, g, x_w = qfn_zgx(body, ld.width, ld.length, density)
        if ld.pitch - x_w < MIN_COPPER_GAP - 1e-9:
            raise InputError("leads.width", ld.width, f"its IPC-7351B land is {x_w:g} mm wide; at leads.pitch "
                            f"{ld.pitch:g} mm pads would be {ld.pitch - x_w:.3g} mm apart, need >= "
                            f"{MIN_COPPER_GAP:g} mm")
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
    sx, sy = body_size
    length = round(lands[2][0] - lands[2][1], 6)  # pin 1's land (left side): along x
    outline = f"QFN-{n}-1EP_{short(sx)}x{short(sy)}mm_P{short(ld.pitch)}mm_EP{short(ex)}x{short(ey)}mm_HeatSink"
    name = f"{outline}_Pad{short(length)}x{short(x_w)}mm" + ("_ThermalVias" if thermal_vias else "")
    out = Land("QFN", name, outline,
               f"QFN-{n}, {short(sx)}x{short(sy)}mm body with an exposed heat sink (US 6,844,622 B2), "
               f"{short(ld.pitch)}mm pitch, exposed pad {short(ex)}x{short(ey)}mm, IPC-7351B density {density} lands "
               f"{short(length)}x{short(x_w)}mm{', thermal vias' if thermal_vias else ''} ({URL}), generated with "
               f"pkgcad", f"QFN NoLead {n} {short(ld.pitch)} heat sink pkgcad", (sx, sy), density,
               round(ld.pitch - x_w, 6), pin_count=n)
    pin = 1
    for k in (2, 3, 0, 1):  # left, bottom, right, top: counter-clockwise from the top of the left side
        zh, gh = lands[k]
        nx, ny = ((1, 0), (0, 1), (-1, 0), (0, -1))[k]
        r, size = (zh + gh) / 2, zh - gh
        for cx, cy in per_side[k]:
            x = nx * r + (cx if k % 2 else 0.0)
            y = ny * r + (cy if k % 2 == 0 else 0.0)
            psx, psy = (size, x_w) if k % 2 == 0 else (x_w, size)
            out.pads.append(Pad(str(pin), round(x, 6), round(-y, 6), round(psx, 6), psy, "roundrect",
                                ("F.Cu", "F.Paste", "F.Mask")))
            pin += 1
    ep = str(n + 1)
    # the corner lands' rounded corners (radius r): gaps dx, dy between their straight edges, then the arcs
    r = out.pads[0].rratio * min(out.pads[0].sx, out.pads[0].sy)
    reach = [max(abs(a) for a in _along(per_side[k], k)) + x_w / 2 for k in range(4)]
    out.corner_gap = round(min(math.hypot(lands[k][1] - reach[(k + 1) % 4] + 2 * r,
                                          lands[(k + 1) % 4][1] - reach[k] + 2 * r) - 2 * r for k in range(4)), 6)
    out.pads.append(Pad(ep, 0.0, 0.0, ex, ey, "roundrect", ("F.Cu", "F.Mask")))
    out.pads += exposed_pad_paste(ex, ey, ep, thermal_vias)
    out.fab.append(_fab_outline(sx, sy))
    out.silk += _qfn_silk(sx, sy, max(abs(a) for a in _along(per_side[0], 0)) + x_w / 2, lands[2][0])
    _courtyard(out, excess)
    return out


def _along(points: list[tuple[float, float]], side: int) -> list[float]:
    return [p[1] if side % 2 == 0 else p[0] for p in points]


def exposed_pad_paste(ex: float, ey: float, number: str, vias: bool) -> list[Pad]:
    """Paste apertures on an n x m grid of cells over the exposed pad (cells at most 1.25 mm), each aperture its
    cell scaled to 65 % of the area. With ``vias``: a plated via at each inner grid corner, the aperture corners
    facing a via chamfered so that paste stays :data:`VIA_PASTE_CLEARANCE` clear of via copper, and a copper pad
    on the bottom side over the vias (the pad number's, as KiCad's thermal-via footprints);
    :class:`InputError` if the paste would then cover less than 50 % of the pad."""
    nx, ny = (max(2 if vias else 1, math.ceil(e / 1.25 - 1e-9)) for e in (ex, ey))
    cx, cy = ex / nx, ey / ny
    k = math.sqrt(PASTE_COVERAGE)
    ax, ay = cx * k, cy * k  # aperture size
    r = VIA_PAD / 2 + VIA_PASTE_CLEARANCE  # keep paste outside this circle round each via
    leg = 0.0
    if vias:
        # an aperture corner (wx, wy) from the via centre, cut by a 45-degree chamfer of leg t: the cut line is
        # (wx + wy + t) / sqrt(2) from the via and the rest of the aperture farther than that when wx, wy < r
        wx, wy = (cx - ax) / 2, (cy - ay) / 2
        leg = max(0.0, r * math.sqrt(2) - wx - wy)
        if leg > CHAMFER_MAX * min(ax, ay):  # more than KiCad can chamfer: shrink the apertures by 2 d
            d = (leg - CHAMFER_MAX * min(ax, ay)) / (2 - 2 * CHAMFER_MAX)
            ax, ay, leg = ax - 2 * d, ay - 2 * d, leg - 2 * d
        leg = math.ceil(leg * 1e6) / 1e6
    out = []
    for i in range(nx):
        for j in range(ny):
            x, y = -ex / 2 + (i + 0.5) * cx, -ey / 2 + (j + 0.5) * cy
            corners: list[str] = []
            if vias:  # which of this cell's corners are inner grid corners (via sites); KiCad's y points down
                for (di, dj), corner in (((0, 0), "top_left"), ((1, 0), "top_right"), ((0, 1), "bottom_left"),
                                         ((1, 1), "bottom_right")):
                    if 0 < i + di < nx and 0 < j + dj < ny:
                        corners.append(corner)
            ratio = round(leg / min(ax, ay), 6) if corners else 0.0
            out.append(Pad("", round(x, 6), round(y, 6), round(ax, 6), round(ay, 6), "roundrect", ("F.Paste",),
                           chamfer=tuple(corners), chamfer_ratio=ratio))
    if vias:
        sites = [(round(-ex / 2 + i * cx, 6), round(-ey / 2 + j * cy, 6)) for i in range(1, nx) for j in range(1, ny)]
        out += [Pad(number, x, y, VIA_PAD, VIA_PAD, "circle", ("*.Cu",), kind="thru_hole", drill=VIA_DRILL)
                for x, y in sites]
        bx = 2 * max(abs(x) for x, _y in sites) + VIA_PAD
        by = 2 * max(abs(y) for _x, y in sites) + VIA_PAD
        out.append(Pad(number, 0.0, 0.0, round(bx, 6), round(by, 6), "rect", ("B.Cu",)))
        paste = sum(p.sx * p.sy - len(p.chamfer) * (p.chamfer_ratio * min(p.sx, p.sy)) ** 2 / 2
                    for p in out if not p.number)
        if paste < PASTE_RANGE[0] * ex * ey:
            raise InputError("die_pad.size", [ex, ey], f"with --thermal-vias the exposed pad keeps "
                            f"{100 * paste / (ex * ey):.0f} % paste once apertures stay {VIA_PASTE_CLEARANCE:g} mm "
                            f"from the vias; need >= {100 * PASTE_RANGE[0]:.0f} %", "a larger die pad, or no "
                            "--thermal-vias")
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
