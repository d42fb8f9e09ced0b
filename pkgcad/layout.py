"""The resolved layout of a package: pure maths, no OCCT, computed ONCE per spec by :func:`resolve`.

:class:`Layout` holds everything derived from the parameters that more than one feature needs: the z stack,
the footprint (the ONE rectangle that makes the heat-sink sides coplanar with the encapsulant's and the
carrier's), the fitted ball and bump arrays (requested vs realised), chip pads, wires, bond fingers, QFN
leads, the attach areas and the first-surface texture sites. The cross-field rules (:mod:`pkgcad.rules`)
judge a Layout before any geometry is made; builders, the manifest, the mockup, thermal, KiCad and the strip
read it; nothing else calls the maths below.

Frame: millimetres, z up, carrier bottom at z = 0, package centred on x = y = 0.
Rectangles are :class:`~pkgcad.rect.Rect` ``(cx, cy, sx, sy)``; points are tuples or ``(n, 2|3)`` numpy arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .rect import Rect
from .spec import PackageSpec

# the four sides of a square die or body, as outward unit normals, in the order +x, +y, -x, -y
SIDES: tuple[tuple[int, int], ...] = ((1, 0), (0, 1), (-1, 0), (0, -1))
SIDE_NAMES = ("+x", "+y", "-x", "-y")


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


@dataclass(frozen=True)
class SphereCut:
    """A sphere of ``diameter`` centred at z = ``centre`` on each site of an array, cut flat at z = ``bottom`` and
    z = ``top`` [mm]: a solder ball or bump as built."""

    diameter: float
    bottom: float
    top: float
    centre: float

    @property
    def height(self) -> float:
        return self.top - self.bottom

    def radius_at(self, z: float) -> float:
        """Radius of the sphere's section at height ``z`` [mm] (0 at a pole; the flat's radius at a cut)."""
        return math.sqrt(max((self.diameter / 2) ** 2 - (z - self.centre) ** 2, 0.0))


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


@dataclass(frozen=True, eq=False)
class Sites:
    """A ball or bump array fitted to its region: the count asked for and what is realised. ``error`` says why
    no array fits (``grid`` is then None and there are no points); :mod:`pkgcad.rules` turns it into the
    one-line refusal."""

    key: str  # the spec section: "bumps" or "balls"
    requested: int
    region: tuple[float, float]
    pattern: str
    grid: GridArray | None
    error: str = ""
    points: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))

    @property
    def realised(self) -> int:
        return len(self.points)

    def note(self) -> str:
        """A line for the user when the array realised differs from the count asked for, else ``""``."""
        if self.grid is None or self.realised == self.requested:
            return ""
        peripheral = ", peripheral" if self.grid.rows else ""
        return (f"note: {self.key}.count = {self.requested} met by the nearest array that fits: {self.realised} "
                f"({self.grid.nx} x {self.grid.ny}{peripheral})")


def _sites(key: str, count: int, pitch: float, diameter: float, region: tuple[float, float],
           pattern: str) -> Sites:
    try:
        grid = fit_array(count, pitch, diameter, region, pattern)
    except ValueError as exc:
        return Sites(key, count, region, pattern, None, str(exc))
    return Sites(key, count, region, pattern, grid, points=grid.points())


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
    def name(self) -> str:
        return f"wire_{self.index:03d}"

    @property
    def angle_deg(self) -> float:
        return math.degrees(math.atan2(self.end[1] - self.start[1], self.end[0] - self.start[0]))


@dataclass(frozen=True)
class Finger:
    """A substrate bond finger under a wire end, long side radial: ``rect`` in plan, ``angle_deg`` the turn of
    the one finger shape (long side along x) that puts it there."""

    index: int
    rect: Rect
    angle_deg: float


@dataclass(frozen=True)
class Lead:
    """A QFN lead flush with the body side: ``rect`` in plan, ``bond`` where a wire lands on it."""

    index: int
    side: int
    rect: Rect
    bond: tuple[float, float]


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


def _chip_pads(spec: PackageSpec) -> list[tuple[int, float, float]]:
    """(side, x, y) of every chip pad, wire order."""
    w = spec.wires
    pads = []
    for side, n in enumerate(split_sides(w.count)):
        half = (spec.chip.size[0] if side % 2 == 0 else spec.chip.size[1]) / 2
        for a in along_side(n, w.pitch):
            pads.append((side, *_side_point(side, half - w.pad_inset, float(a))))
    return pads


def _leads(spec: PackageSpec, rim: tuple[float, float]) -> list[Lead]:
    """Every QFN lead, flush with the body side (or running ``rim`` on past it to a sawn outline that large), in
    lead order, with the point a third of the lead length in from its inner end where a wire lands."""
    ld = spec.leads
    out: list[Lead] = []
    for side, n in enumerate(split_sides(ld.count)):
        half = (spec.carrier.size[0] if side % 2 == 0 else spec.carrier.size[1]) / 2
        more = rim[side % 2]
        length = ld.length + more
        for a in along_side(n, ld.pitch):
            cx, cy = _side_point(side, half - ld.length / 2 + more / 2, float(a))
            sx, sy = (length, ld.width) if side % 2 == 0 else (ld.width, length)
            bond = _side_point(side, half - ld.length + ld.length / 3, float(a))
            out.append(Lead(len(out), side, Rect(cx, cy, sx, sy), bond))
    return out


def _wires(spec: PackageSpec, st: Stack, leads: list[Lead]) -> list[Wire]:
    """Every bonding wire, from chip pad to bond finger (substrate) or lead (QFN)."""
    w = spec.wires
    pads = _chip_pads(spec)
    ends_by_side: list[list[tuple[float, float]]] = [[] for _ in range(4)]
    if spec.qfn:
        for lead in leads:
            ends_by_side[lead.side].append(lead.bond)
        land_z = spec.carrier.thickness
    else:
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
    """Indices of ``n_used`` consecutive items centred in ``n_total``. With more used than there are (a spec
    the rules refuse) the indices wrap around, so the layout stays total."""
    first = (n_total - n_used) // 2
    return [(first + i) % max(n_total, 1) for i in range(n_used)]


def _fingers(spec: PackageSpec, wires: list[Wire]) -> list[Finger]:
    """Substrate bond fingers under each wire end, long side radial."""
    w = spec.wires
    out = []
    for wire in wires:
        ang = math.radians(wire.angle_deg)
        radial_x = abs(math.cos(ang)) > 0.5
        sx, sy = (w.finger_length, w.finger_width) if radial_x else (w.finger_width, w.finger_length)
        out.append(Finger(wire.index, Rect(wire.end[0], wire.end[1], sx, sy), 0.0 if sx == w.finger_length else 90.0))
    return out


# --------------------------------------------------------------------------------------------- stack
def _stack(spec: PackageSpec) -> Stack:
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


# --------------------------------------------------------------------------------------- attach areas
def _chip_bond_area(spec: PackageSpec) -> tuple[float, float]:
    """The part of the die top free for bonding the heat sink: inside the pad ring (wire bond)."""
    sx, sy = spec.chip.size
    if not spec.wirebond:
        return (sx, sy)
    w = spec.wires
    ring = 2 * (w.pad_inset + w.diameter + spec.rules.min_gap)
    return (sx - ring, sy - ring)


def _adhesive_size(spec: PackageSpec, bond_area: tuple[float, float]) -> tuple[float, float]:
    if spec.adhesive.size is not None:
        return spec.adhesive.size
    if spec.heat_sink.connecting_portion.enabled:
        return spec.heat_sink.connecting_portion.size
    if spec.buffer_pad.enabled:
        return spec.buffer_pad.size
    return bond_area


def _attach_size(spec: PackageSpec, adhesive: tuple[float, float]) -> tuple[float, float]:
    """Footprint of whatever the heat sink's first surface (or pedestal) bonds to."""
    cp = spec.heat_sink.connecting_portion
    if cp.enabled:
        return cp.size
    if spec.buffer_pad.enabled:
        return spec.buffer_pad.size
    return adhesive


# -------------------------------------------------------------------------------------------- texture
@dataclass(frozen=True, eq=False)
class Texture:
    """The first surface's texture: asperities (roughened: x, y, protrusion depth), grooves (corrugated:
    rectangles in plan) or pockets (uneven: centres); ``protrusion`` is how far it reaches below the flat first
    surface, ``recess`` how deep into the heat sink above it."""

    kind: str
    asperities: np.ndarray
    grooves: tuple[Rect, ...]
    pockets: np.ndarray
    protrusion: float
    recess: float

    @property
    def count(self) -> int:
        return {"roughened": len(self.asperities), "corrugated": len(self.grooves),
                "uneven": len(self.pockets)}.get(self.kind, 0)


def _zone_ok(spec: PackageSpec, attach: tuple[float, float], x: np.ndarray, y: np.ndarray,
             half_feature: float) -> np.ndarray:
    """Mask of feature centres that keep off the sides and the attach area."""
    hs = spec.heat_sink
    bx, by = spec.carrier.size[0] / 2 - hs.edge_margin, spec.carrier.size[1] / 2 - hs.edge_margin
    ax, ay = (s / 2 + hs.keepout for s in attach)
    inside = (np.abs(x) + half_feature <= bx) & (np.abs(y) + half_feature <= by)
    clear = (np.abs(x) - half_feature >= ax) | (np.abs(y) - half_feature >= ay)
    return inside & clear


def _roughness_sites(spec: PackageSpec, attach: tuple[float, float]) -> np.ndarray:
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
    keep = _zone_ok(spec, attach, x, y, r.diameter / 2)
    return np.column_stack([x[keep], y[keep], depth[keep]])


def _grooves(spec: PackageSpec, attach: tuple[float, float]) -> list[Rect]:
    """Corrugation grooves as rectangles in plan, interrupted over the attach area."""
    hs = spec.heat_sink
    c = hs.corrugated
    along_y = c.direction == "y"
    span_across = spec.carrier.size[0] if along_y else spec.carrier.size[1]
    span_along = spec.carrier.size[1] if along_y else spec.carrier.size[0]
    n = int((span_across - 2 * hs.edge_margin - c.width) // c.pitch) + 1
    centres = along_side(max(n, 0), c.pitch)
    a_across, a_along = attach if along_y else attach[::-1]
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
            out.append(Rect(u, mid, c.width, length) if along_y else Rect(mid, u, length, c.width))
    return out


def _pockets(spec: PackageSpec, attach: tuple[float, float]) -> np.ndarray:
    """(n, 2) centres of the dimples or square pockets of an uneven first surface."""
    u = spec.heat_sink.uneven
    nx = int(spec.carrier.size[0] // u.pitch) + 1
    ny = int(spec.carrier.size[1] // u.pitch) + 1
    pts = GridArray(nx, ny, u.pitch, None).points()
    keep = _zone_ok(spec, attach, pts[:, 0], pts[:, 1], u.size / 2)
    return pts[keep]


def _texture(spec: PackageSpec, attach: tuple[float, float]) -> Texture:
    hs = spec.heat_sink
    kind = hs.first_surface
    none2, none3 = np.zeros((0, 2)), np.zeros((0, 3))
    if kind == "roughened":
        return Texture(kind, _roughness_sites(spec, attach), (), none2, hs.roughened.height, 0.0)
    if kind == "corrugated":
        return Texture(kind, none3, tuple(_grooves(spec, attach)), none2, 0.0, hs.corrugated.depth)
    if kind == "uneven":
        return Texture(kind, none3, (), _pockets(spec, attach), 0.0, hs.uneven.depth)
    return Texture(kind, none3, (), none2, 0.0, 0.0)


# --------------------------------------------------------------------------------------------- layout
@dataclass(frozen=True, eq=False)
class Layout:
    """Everything derived from a spec that the rules, builders and readers need, in mm (see module doc).

    ``footprint`` is THE rectangle of the carrier, the heat sink, the interface layer and the mold envelope:
    one rectangle, so their sides are coplanar (claims 1, 12) and the heat sink's area equals the carrier's
    (claims 2, 13)."""

    spec: PackageSpec
    stack: Stack
    footprint: Rect
    chip: Rect
    bond_area: tuple[float, float]  # die top free for the heat sink's bond (inside the pad ring)
    adhesive: Rect
    attach: Rect  # what the first surface (or the connecting portion) bonds to
    connecting_portion: Rect | None
    buffer_pad: Rect | None
    die_pad: Rect | None  # QFN
    leads: tuple[Lead, ...]  # QFN
    chip_pads: tuple[tuple[int, float, float], ...]  # wire bond: (side, x, y)
    wires: tuple[Wire, ...]
    fingers: tuple[Finger, ...]  # substrate + wire bond
    bumps: Sites | None  # flip chip
    balls: Sites | None  # substrate with balls
    texture: Texture

    @property
    def wirebond(self) -> bool:
        return self.spec.wirebond

    @property
    def qfn(self) -> bool:
        return self.spec.qfn

    @property
    def rim(self) -> tuple[float, float]:
        """How far the footprint reaches beyond the package as designed (``spec.carrier.size``) on each side,
        along x and y [mm]: 0 but for a sawn unit of a strip whose kerf is narrower than its street
        (:meth:`resized`)."""
        (_cx, _cy, fx, fy), (sx, sy) = self.footprint, self.spec.carrier.size
        return ((fx - sx) / 2, (fy - sy) / 2)

    def resized(self, size: tuple[float, float]) -> Layout:
        """This package with the outline ``size`` [mm], re-resolved (:func:`resolve` with ``outline``): the
        footprint (carrier, heat sink, interface layer, mold) becomes ``size`` about the same centre, a QFN's
        leads run on to the new sides, and everything made for the package as designed (chip, arrays, wires,
        fingers, texture sites, the leads' inner ends) stays where it is. What a strip's saw leaves when its
        kerf is narrower than its street. Judge it with :func:`pkgcad.rules.check` like any layout."""
        return resolve(self.spec, outline=size)

    @property
    def mold_bottom(self) -> float:
        """Where the encapsulant starts: the carrier top, or the package bottom for a QFN (the lead frame is
        held in the mold, its bottom exposed)."""
        return 0.0 if self.qfn else self.stack.carrier_top

    @property
    def ball_z(self) -> SphereCut | None:
        """The solder balls' z range: cut flat on the substrate's underside (z = 0), resting on the board with
        the sphere's pole at z = -balls.height (the seating plane). None without balls."""
        if self.balls is None:
            return None
        b = self.spec.balls
        return SphereCut(b.diameter, -b.height, 0.0, -b.height + b.diameter / 2)

    @property
    def bump_z(self) -> SphereCut | None:
        """The flip-chip bumps' z range: from the carrier top to the chip bottom, cut symmetrically (flats on
        carrier and chip). None for a wire bond."""
        if self.bumps is None:
            return None
        d = self.spec.bumps.diameter
        st = self.stack
        return SphereCut(d, st.carrier_top, st.chip_bottom, (st.carrier_top + st.chip_bottom) / 2)

    @property
    def seating_plane(self) -> float:
        """The package's lowest z [mm]: the balls' poles, or the carrier bottom (z = 0) without balls."""
        bz = self.ball_z
        return bz.bottom if bz is not None else 0.0

    @property
    def bounds(self) -> tuple[float, float, float, float, float, float]:
        """The package's bounding box ``(xmin, ymin, zmin, xmax, ymax, zmax)`` [mm]: the footprint, from the
        seating plane to the interface layer's top."""
        cx, cy, sx, sy = self.footprint
        return (cx - sx / 2, cy - sy / 2, self.seating_plane, cx + sx / 2, cy + sy / 2, self.stack.interface_top)

    def notes(self) -> list[str]:
        """Lines for the user about what was realised differently from what was asked."""
        return [n for s in (self.bumps, self.balls) if s is not None and (n := s.note())]


def resolve(spec: PackageSpec, outline: tuple[float, float] | None = None) -> Layout:
    """The layout of a field-valid ``spec``. Total: it never raises for a spec the field limits accept; what
    cannot be laid out (an array that does not fit) is recorded for :func:`pkgcad.rules.check` to refuse.

    ``outline``: the footprint's size if not ``carrier.size`` (a sawn unit with a rim, :meth:`Layout.resized`);
    only the footprint and the leads' outer ends follow it."""
    st = _stack(spec)
    sx, sy = spec.carrier.size
    ox, oy = outline if outline is not None else (sx, sy)
    bond = _chip_bond_area(spec)
    adhesive = _adhesive_size(spec, bond)
    attach = _attach_size(spec, adhesive)
    cp, bp = spec.heat_sink.connecting_portion, spec.buffer_pad
    leads = _leads(spec, ((ox - sx) / 2, (oy - sy) / 2)) if spec.qfn else []
    wires = _wires(spec, st, leads) if spec.wirebond else []
    bumps = balls = None
    if not spec.wirebond:
        bu = spec.bumps
        bumps = _sites("bumps", bu.count, bu.pitch, bu.diameter, spec.chip.size, bu.pattern)
    if not spec.qfn and spec.balls.count:
        ba = spec.balls
        region = (sx - 2 * spec.rules.saw_margin, sy - 2 * spec.rules.saw_margin)
        balls = _sites("balls", ba.count, ba.pitch, ba.diameter, region, ba.pattern)
    return Layout(
        spec=spec,
        stack=st,
        footprint=Rect(0.0, 0.0, ox, oy),
        chip=Rect(0.0, 0.0, *spec.chip.size),
        bond_area=bond,
        adhesive=Rect(0.0, 0.0, *adhesive),
        attach=Rect(0.0, 0.0, *attach),
        connecting_portion=Rect(0.0, 0.0, *cp.size) if cp.enabled else None,
        buffer_pad=Rect(0.0, 0.0, *bp.size) if bp.enabled else None,
        die_pad=Rect(0.0, 0.0, *spec.die_pad.size) if spec.qfn else None,
        leads=tuple(leads),
        chip_pads=tuple(_chip_pads(spec)) if spec.wirebond else (),
        wires=tuple(wires),
        fingers=tuple(_fingers(spec, wires)) if spec.wirebond and not spec.qfn else (),
        bumps=bumps,
        balls=balls,
        texture=_texture(spec, attach),
    )
