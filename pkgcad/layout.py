"""Pure layout maths: z levels, pad, lead, bump, ball, wire and texture coordinates. No OCCT here.

Frame: millimetres, z up, carrier bottom at z = 0, package centred on x = y = 0.
Rectangles are ``(cx, cy, sx, sy)``; points are tuples or ``(n, 2|3)`` numpy arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .spec import PackageSpec

Rect = tuple[float, float, float, float]

# the four sides of a square die or body, as outward unit normals, in the order +x, +y, -x, -y
SIDES: tuple[tuple[int, int], ...] = ((1, 0), (0, 1), (-1, 0), (0, -1))


@dataclass(frozen=True)
class Stack:
    """Z levels [mm] of every layer, bottom to top."""

    carrier_top: float
    chip_bottom: float
    chip_top: float
    buffer_bottom: float | None
    buffer_top: float | None
    adhesive_bottom: float
    adhesive_top: float
    first_surface: float  # flat level of the heat sink's first surface (pedestal bottom excluded)
    second_surface: float
    interface_top: float


def stack(spec: PackageSpec) -> Stack:
    carrier_top = spec.carrier.thickness
    if spec.wirebond:
        chip_bottom = carrier_top + spec.die_attach.thickness
    else:
        chip_bottom = carrier_top + spec.bumps.height
    chip_top = chip_bottom + spec.chip.thickness
    z = chip_top
    buffer_bottom = buffer_top = None
    if spec.buffer_pad.enabled:
        buffer_bottom = z + spec.buffer_pad.attach_thickness
        buffer_top = buffer_bottom + spec.buffer_pad.thickness
        z = buffer_top
    adhesive_bottom = z
    adhesive_top = z + spec.adhesive.thickness
    first = adhesive_top
    if spec.heat_sink.connecting_portion.enabled:
        first += spec.heat_sink.connecting_portion.height
    second = first + spec.heat_sink.thickness
    return Stack(
        carrier_top=carrier_top,
        chip_bottom=chip_bottom,
        chip_top=chip_top,
        buffer_bottom=buffer_bottom,
        buffer_top=buffer_top,
        adhesive_bottom=adhesive_bottom,
        adhesive_top=adhesive_top,
        first_surface=first,
        second_surface=second,
        interface_top=second + spec.interface_layer.thickness,
    )


# --------------------------------------------------------------------------------------------- arrays
@dataclass(frozen=True)
class GridArray:
    """A rectangular array of ``nx * ny`` sites, full or with only ``rows`` peripheral rows populated."""

    nx: int
    ny: int
    pitch: float
    rows: int | None  # None: full array

    @property
    def count(self) -> int:
        return peripheral_count(self.nx, self.ny, self.rows)

    def points(self) -> np.ndarray:
        gx, gy = np.meshgrid(np.arange(self.nx), np.arange(self.ny), indexing="ij")
        ix, iy = gx.ravel(), gy.ravel()
        if self.rows is not None:
            edge = np.minimum.reduce([ix, iy, self.nx - 1 - ix, self.ny - 1 - iy])
            keep = edge < self.rows
            ix, iy = ix[keep], iy[keep]
        x = (ix - (self.nx - 1) / 2) * self.pitch
        y = (iy - (self.ny - 1) / 2) * self.pitch
        return np.column_stack([x, y])


def peripheral_count(nx: int, ny: int, rows: int | None) -> int:
    if rows is None or 2 * rows >= min(nx, ny):
        return nx * ny
    return nx * ny - (nx - 2 * rows) * (ny - 2 * rows)


def max_sites(extent: float, pitch: float, diameter: float) -> int:
    """How many sites of ``diameter`` at ``pitch`` fit in a span of ``extent``."""
    if diameter > extent:
        return 0
    return math.floor((extent - diameter) / pitch + 1e-9) + 1


def fit_array(count: int, pitch: float, diameter: float, region: tuple[float, float], pattern: str) -> GridArray:
    """An array of ``pattern`` that fits ``region``, its site count as near ``count`` as its shape allows.

    - ``full``: an ``nx x ny`` grid. Grids shaped like the region (``nx / ny`` within 25 % of its aspect) win
      over any other, even one whose count is nearer: 10 in a square region gives 3 x 3 = 9, not 2 x 5. Among
      them the count nearest ``count``, then the squarest grid, then the fewest columns.
    - ``peripheral``: always the largest grid that fits (``mx x my``), with the number of rings whose count is
      nearest ``count`` (at least one ring; the fewer rings on a tie).

    The count realized may differ from ``count`` either way; callers report it. Raises ``ValueError`` when no
    site fits, or naming the most that fit (``mx * my``) when ``count`` exceeds it.
    """
    mx = max_sites(region[0], pitch, diameter)
    my = max_sites(region[1], pitch, diameter)
    if mx < 1 or my < 1:
        raise ValueError(f"no site of diameter {diameter} fits {region[0]:g} x {region[1]:g}")
    if pattern == "peripheral":
        best = GridArray(mx, my, pitch, 1)
        for rows in range(1, (min(mx, my) + 1) // 2 + 1):
            cand = GridArray(mx, my, pitch, rows)
            if abs(cand.count - count) < abs(best.count - count):
                best = cand
        most = mx * my
    else:
        # region-shaped arrays first (aspect within 25 %), then the nearest count, the squarest, the fewest columns
        aspect = region[0] / region[1]
        best, best_key = GridArray(1, 1, pitch, None), (1, count, 0)
        for nx in range(1, mx + 1):
            for ny in {min(my, max(1, count // nx)), min(my, max(1, -(-count // nx)))}:
                cand = GridArray(nx, ny, pitch, None)
                shaped = 0 if 0.8 <= (nx / ny) / aspect <= 1.25 else 1
                key = (shaped, abs(cand.count - count), abs(nx - ny))
                if key < best_key:
                    best, best_key = cand, key
        most = mx * my
    if count > most:
        raise ValueError(f"at most {most} fit ({mx} x {my} at pitch {pitch:g})")
    return best


# ---------------------------------------------------------------------------------------------- wires
@dataclass(frozen=True)
class WirePath:
    """A bonding-wire centre line: ball on the chip pad, a square loop with two bends, stitch below.

    In its own frame the wire starts at the origin, rises along +z, runs along +x at ``height`` and drops to
    ``(length, 0, drop)``. Both ends are vertical, so the wire's end faces lie flat on pad and finger.
    """

    length: float  # horizontal distance pad -> finger
    height: float  # loop height of the centre line above the start
    drop: float  # z of the end relative to the start (negative: the finger is lower)
    radius: float  # bend radius

    def key(self) -> tuple[float, float, float, float]:
        """Wires with equal keys are one shape placed many times."""
        return (round(self.length, 6), round(self.height, 6), round(self.drop, 6), round(self.radius, 6))

    def polyline(self, n_arc: int = 8) -> np.ndarray:
        """Points along the centre line (for checks and clearance maths)."""
        r, h, length = self.radius, self.height, self.length
        pts = [(0.0, 0.0, 0.0), (0.0, 0.0, h - r)]
        for t in np.linspace(math.pi, math.pi / 2, n_arc)[1:]:
            pts.append((r + r * math.cos(t), 0.0, h - r + r * math.sin(t)))
        pts.append((length - r, 0.0, h))
        for t in np.linspace(math.pi / 2, 0.0, n_arc)[1:]:
            pts.append((length - r + r * math.cos(t), 0.0, h - r + r * math.sin(t)))
        pts.append((length, 0.0, self.drop))
        return np.array(pts)


@dataclass(frozen=True)
class Wire:
    index: int
    start: tuple[float, float, float]  # on the chip pad
    end: tuple[float, float, float]  # on the bond finger or lead
    path: WirePath

    @property
    def angle_deg(self) -> float:
        return math.degrees(math.atan2(self.end[1] - self.start[1], self.end[0] - self.start[0]))


def split_sides(count: int) -> list[int]:
    """``count`` items over four sides, the remainder going to the first sides."""
    base, extra = divmod(count, 4)
    return [base + (1 if i < extra else 0) for i in range(4)]


def along_side(n: int, pitch: float) -> np.ndarray:
    return (np.arange(n) - (n - 1) / 2) * pitch


def _side_point(side: int, normal_offset: float, along: float) -> tuple[float, float]:
    nx, ny = SIDES[side]
    # tangent is the normal turned by +90 degrees
    tx, ty = -ny, nx
    return (nx * normal_offset + tx * along, ny * normal_offset + ty * along)


def chip_pads(spec: PackageSpec) -> list[tuple[int, float, float]]:
    """(side, x, y) of every chip pad, wire order."""
    w = spec.wires
    pads = []
    for side, n in enumerate(split_sides(w.count)):
        half = (spec.chip.size[0] if side % 2 == 0 else spec.chip.size[1]) / 2
        for a in along_side(n, w.pitch):
            pads.append((side, *_side_point(side, half - w.pad_inset, float(a))))
    return pads


def leads(spec: PackageSpec) -> list[tuple[int, Rect]]:
    """(side, rect) of every QFN lead, flush with the body side, in lead order."""
    ld = spec.leads
    out = []
    for side, n in enumerate(split_sides(ld.count)):
        half = (spec.carrier.size[0] if side % 2 == 0 else spec.carrier.size[1]) / 2
        for a in along_side(n, ld.pitch):
            cx, cy = _side_point(side, half - ld.length / 2, float(a))
            sx, sy = (ld.length, ld.width) if side % 2 == 0 else (ld.width, ld.length)
            out.append((side, (cx, cy, sx, sy)))
    return out


def lead_bond_points(spec: PackageSpec) -> list[tuple[int, float, float]]:
    """(side, x, y) where a wire lands on each lead: a third of the lead length in from its inner end."""
    ld = spec.leads
    pts = []
    for side, n in enumerate(split_sides(ld.count)):
        half = (spec.carrier.size[0] if side % 2 == 0 else spec.carrier.size[1]) / 2
        for a in along_side(n, ld.pitch):
            pts.append((side, *_side_point(side, half - ld.length + ld.length / 3, float(a))))
    return pts


def wires(spec: PackageSpec) -> list[Wire]:
    """Every bonding wire, from chip pad to bond finger (substrate) or lead (QFN)."""
    w = spec.wires
    st = stack(spec)
    pads = chip_pads(spec)
    if spec.qfn:
        ends_by_side: list[list[tuple[float, float]]] = [[] for _ in range(4)]
        for side, x, y in lead_bond_points(spec):
            ends_by_side[side].append((x, y))
        land_z = spec.carrier.thickness
    else:
        ends_by_side = [[] for _ in range(4)]
        for side, x, y in pads:
            nx, ny = SIDES[side]
            ends_by_side[side].append((x + nx * w.span, y + ny * w.span))
        land_z = st.carrier_top + w.finger_thickness
    out: list[Wire] = []
    pads_by_side: list[list[tuple[float, float]]] = [[] for _ in range(4)]
    for side, x, y in pads:
        pads_by_side[side].append((x, y))
    for side in range(4):
        ends = ends_by_side[side]
        sel = _centred_subset(len(ends), len(pads_by_side[side]))
        for (px, py), k in zip(pads_by_side[side], sel, strict=True):
            ex, ey = ends[k]
            length = math.hypot(ex - px, ey - py)
            path = WirePath(length, w.loop_height, land_z - st.chip_top, w.bend_radius)
            out.append(Wire(len(out), (px, py, st.chip_top), (ex, ey, land_z), path))
    return out


def _centred_subset(n_total: int, n_used: int) -> list[int]:
    """Indices of ``n_used`` consecutive items centred in ``n_total``."""
    first = (n_total - n_used) // 2
    return list(range(first, first + n_used))


def bond_fingers(spec: PackageSpec) -> list[Rect]:
    """Substrate bond fingers under each wire end, long side radial."""
    w = spec.wires
    out = []
    for wire in wires(spec):
        ang = math.radians(wire.angle_deg)
        radial_x = abs(math.cos(ang)) > 0.5
        sx, sy = (w.finger_length, w.finger_width) if radial_x else (w.finger_width, w.finger_length)
        out.append((wire.end[0], wire.end[1], sx, sy))
    return out


# --------------------------------------------------------------------------------------- attach areas
def attach_size(spec: PackageSpec) -> tuple[float, float]:
    """Footprint of whatever the heat sink's first surface (or pedestal) bonds to."""
    cp = spec.heat_sink.connecting_portion
    if cp.enabled:
        return cp.size
    if spec.buffer_pad.enabled:
        return spec.buffer_pad.size
    return adhesive_size(spec)


def adhesive_size(spec: PackageSpec) -> tuple[float, float]:
    if spec.adhesive.size is not None:
        return spec.adhesive.size
    if spec.heat_sink.connecting_portion.enabled:
        return spec.heat_sink.connecting_portion.size
    if spec.buffer_pad.enabled:
        return spec.buffer_pad.size
    return chip_bond_area(spec)


def chip_bond_area(spec: PackageSpec) -> tuple[float, float]:
    """The part of the die top free for bonding the heat sink: inside the pad ring (wire bond)."""
    sx, sy = spec.chip.size
    if not spec.wirebond:
        return (sx, sy)
    w = spec.wires
    ring = 2 * (w.pad_inset + w.diameter + spec.rules.min_gap)
    return (sx - ring, sy - ring)


# -------------------------------------------------------------------------------------------- texture
def texture_zone_ok(spec: PackageSpec, x: np.ndarray, y: np.ndarray, half_feature: float) -> np.ndarray:
    """Mask of feature centres that keep off the sides and the attach area."""
    hs = spec.heat_sink
    bx, by = spec.carrier.size[0] / 2 - hs.edge_margin, spec.carrier.size[1] / 2 - hs.edge_margin
    ax, ay = (s / 2 + hs.keepout for s in attach_size(spec))
    inside = (np.abs(x) + half_feature <= bx) & (np.abs(y) + half_feature <= by)
    clear = (np.abs(x) - half_feature >= ax) | (np.abs(y) - half_feature >= ay)
    return inside & clear


def roughness_sites(spec: PackageSpec) -> np.ndarray:
    """(n, 3): x, y and the protrusion depth below the first surface of each asperity (jittered grid)."""
    r = spec.heat_sink.roughened
    cell = 1.0 / math.sqrt(r.density)
    nx = int(spec.carrier.size[0] // cell)
    ny = int(spec.carrier.size[1] // cell)
    ix, iy = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    rng = np.random.default_rng(r.seed)
    # jitter keeps a sphere inside its own cell so neighbours never overlap
    room = max(0.0, (cell - r.diameter) / 2)
    x = (ix.ravel() - (nx - 1) / 2) * cell + rng.uniform(-room, room, ix.size)
    y = (iy.ravel() - (ny - 1) / 2) * cell + rng.uniform(-room, room, ix.size)
    depth = rng.uniform(0.5 * r.height, r.height, ix.size)
    keep = texture_zone_ok(spec, x, y, r.diameter / 2)
    return np.column_stack([x[keep], y[keep], depth[keep]])


def grooves(spec: PackageSpec) -> list[Rect]:
    """Corrugation grooves as rectangles in plan, interrupted over the attach area."""
    hs = spec.heat_sink
    c = hs.corrugated
    along_y = c.direction == "y"
    span_across = spec.carrier.size[0] if along_y else spec.carrier.size[1]
    span_along = spec.carrier.size[1] if along_y else spec.carrier.size[0]
    n = int((span_across - 2 * hs.edge_margin - c.width) // c.pitch) + 1
    centres = along_side(max(n, 0), c.pitch)
    a_across, a_along = attach_size(spec) if along_y else attach_size(spec)[::-1]
    lo, hi = -span_along / 2 + hs.edge_margin, span_along / 2 - hs.edge_margin
    gap = a_along / 2 + hs.keepout
    out: list[Rect] = []
    for u in centres:
        u = float(u)
        if abs(u) - c.width / 2 >= a_across / 2 + hs.keepout:
            segments = [(lo, hi)]
        else:
            segments = [(lo, -gap), (gap, hi)]
        for a, b in segments:
            if b - a <= c.width:
                continue
            mid, length = (a + b) / 2, b - a
            out.append((u, mid, c.width, length) if along_y else (mid, u, length, c.width))
    return out


def pockets(spec: PackageSpec) -> np.ndarray:
    """(n, 2) centres of the dimples or square pockets of an uneven first surface."""
    u = spec.heat_sink.uneven
    nx = int(spec.carrier.size[0] // u.pitch) + 1
    ny = int(spec.carrier.size[1] // u.pitch) + 1
    pts = GridArray(nx, ny, u.pitch, None).points()
    keep = texture_zone_ok(spec, pts[:, 0], pts[:, 1], u.size / 2)
    return pts[keep]


def texture_count(spec: PackageSpec) -> int:
    kind = spec.heat_sink.first_surface
    if kind == "roughened":
        return len(roughness_sites(spec))
    if kind == "corrugated":
        return len(grooves(spec))
    if kind == "uneven":
        return len(pockets(spec))
    return 0


def texture_protrusion(spec: PackageSpec) -> float:
    """How far the textured first surface reaches below its flat level."""
    return spec.heat_sink.roughened.height if spec.heat_sink.first_surface == "roughened" else 0.0


def texture_recess(spec: PackageSpec) -> float:
    """How deep the texture reaches into the heat sink above its flat level."""
    hs = spec.heat_sink
    if hs.first_surface == "corrugated":
        return hs.corrugated.depth
    if hs.first_surface == "uneven":
        return hs.uneven.depth
    return 0.0
