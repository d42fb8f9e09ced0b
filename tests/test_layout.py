"""Pure layout maths (no OCCT): arrays, pads, leads, wires, z stack and first-surface texture."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from conftest import TEMPLATES, spec_of

from pkgcad.layout import GridArray, WirePath, fit_array, max_sites, resolve, split_sides

EPS = 1e-9


# ------------------------------------------------------------------------------------------- fit_array
def _assert_grid(arr: GridArray, pitch: float, diameter: float, region: tuple[float, float]) -> np.ndarray:
    pts = arr.points()
    assert pts.shape == (arr.count, 2)
    # centred on the origin
    assert pts.min(axis=0) == pytest.approx(-pts.max(axis=0), abs=EPS)
    # on a grid of the pitch: every coordinate is (i - (n - 1) / 2) * pitch
    for axis, n in ((0, arr.nx), (1, arr.ny)):
        steps = pts[:, axis] / pitch + (n - 1) / 2
        assert np.allclose(steps, np.round(steps), atol=1e-9)
        values = np.unique(np.round(pts[:, axis], 9))
        assert len(values) == n
        if n > 1:
            assert np.allclose(np.diff(values), pitch, atol=1e-9)
    # every site inside the region
    assert np.all(np.abs(pts[:, 0]) + diameter / 2 <= region[0] / 2 + EPS)
    assert np.all(np.abs(pts[:, 1]) + diameter / 2 <= region[1] / 2 + EPS)
    # no two sites closer than the pitch
    d = np.linalg.norm(pts[:, None, :] - pts[None, :, :], axis=-1) + np.eye(len(pts)) * 1e9
    assert d.min() >= pitch - EPS
    return pts


@pytest.mark.parametrize("count, nx", [(400, 20), (100, 10), (16, 4), (1, 1), (625, 25)])
def test_fit_array_full_square_counts_exact_and_square(count: int, nx: int) -> None:
    arr = fit_array(count, 0.2, 0.12, (5.0, 5.0), "full")
    assert (arr.nx, arr.ny, arr.rows) == (nx, nx, None)
    assert arr.count == count
    _assert_grid(arr, 0.2, 0.12, (5.0, 5.0))


def test_fit_array_full_follows_the_region_shape() -> None:
    arr = fit_array(200, 0.2, 0.12, (10.0, 5.0), "full")
    assert arr.count == 200
    assert arr.nx == 2 * arr.ny  # long side of the array along the long side of the region
    _assert_grid(arr, 0.2, 0.12, (10.0, 5.0))


@pytest.mark.parametrize("region", [(5.0, 5.0), (10.0, 5.0), (3.0, 7.0), (2.1, 2.1)])
def test_fit_array_full_is_nearest_within_a_row(region: tuple[float, float]) -> None:
    """For every count that fits, the array met is off by less than one row or column and fits."""
    pitch, dia = 0.2, 0.12
    most = max_sites(region[0], pitch, dia) * max_sites(region[1], pitch, dia)
    for count in range(1, most + 1):
        arr = fit_array(count, pitch, dia, region, "full")
        assert abs(arr.count - count) <= max(arr.nx, arr.ny), count
        assert arr.nx <= max_sites(region[0], pitch, dia) and arr.ny <= max_sites(region[1], pitch, dia)
    _assert_grid(fit_array(most // 3, pitch, dia, region, "full"), pitch, dia, region)


def test_fit_array_prefers_region_shape_to_nearest_count() -> None:
    """What fit_array's docstring promises: shape first, then count (not simply the nearest count)."""
    square = (5.0, 5.0)
    assert (lambda a: (a.nx, a.ny, a.count))(fit_array(10, 1.0, 0.5, square, "full")) == (3, 3, 9)  # not 2 x 5
    assert (lambda a: (a.nx, a.ny, a.count))(fit_array(12, 1.0, 0.5, square, "full")) == (3, 4, 12)
    ring = fit_array(2, 1.0, 0.5, square, "peripheral")  # at least one ring on the largest grid
    assert (ring.nx, ring.ny, ring.rows, ring.count) == (5, 5, 1, 16)


def test_fit_array_peripheral_rows() -> None:
    region = (5.0, 5.0)
    m = max_sites(5.0, 0.25, 0.12)
    assert m == 20
    one = fit_array(76, 0.25, 0.12, region, "peripheral")
    assert (one.nx, one.ny, one.rows, one.count) == (20, 20, 1, 76)
    two = fit_array(144, 0.25, 0.12, region, "peripheral")
    assert (two.rows, two.count) == (2, 400 - 16 * 16)
    for arr in (one, two):
        pts = _assert_grid(arr, 0.25, 0.12, region)
        # every site within `rows` rows of the array's edge
        ix = np.round(pts[:, 0] / 0.25 + (arr.nx - 1) / 2).astype(int)
        iy = np.round(pts[:, 1] / 0.25 + (arr.ny - 1) / 2).astype(int)
        edge = np.minimum.reduce([ix, iy, arr.nx - 1 - ix, arr.ny - 1 - iy])
        assert arr.rows is not None and edge.max() == arr.rows - 1
        assert len(set(zip(ix.tolist(), iy.tolist(), strict=True))) == arr.count


def test_fit_array_peripheral_is_nearest_row_count() -> None:
    region, pitch, dia = (5.0, 4.0), 0.25, 0.12
    # by hand: floor((5.0 - 0.12) / 0.25) + 1 = 20 sites across, floor((4.0 - 0.12) / 0.25) + 1 = 16 down
    mx, my = 20, 16
    assert (max_sites(region[0], pitch, dia), max_sites(region[1], pitch, dia)) == (mx, my)
    # r rows from the edge of the 20 x 16 grid: all of it less the (20 - 2r) x (16 - 2r) inside, r = 1 .. 8
    options = [mx * my - max(mx - 2 * r, 0) * max(my - 2 * r, 0) for r in range(1, 9)]
    assert options[0] == 2 * 20 + 2 * 14 and options[-1] == 320  # one ring: 68 sites; eight rows: the whole grid
    for count in range(1, mx * my + 1, 7):
        arr = fit_array(count, pitch, dia, region, "peripheral")
        assert abs(arr.count - count) == min(abs(o - count) for o in options)


@pytest.mark.parametrize("pattern", ["full", "peripheral"])
def test_fit_array_refuses_too_many_naming_the_max(pattern: str) -> None:
    with pytest.raises(ValueError, match=r"at most 625 fit"):
        fit_array(626, 0.2, 0.12, (5.0, 5.0), pattern)
    with pytest.raises(ValueError):
        fit_array(1, 0.2, 6.0, (5.0, 5.0), pattern)  # not even one site fits


def test_max_sites() -> None:
    assert max_sites(1.0, 0.25, 0.25) == 4
    assert max_sites(1.0, 0.25, 0.26) == 3
    assert max_sites(0.1, 0.25, 0.2) == 0


# ------------------------------------------------------------------------------------------ split_sides
@pytest.mark.parametrize("count", [4, 5, 6, 7, 8, 31, 32, 33, 401])
def test_split_sides(count: int) -> None:
    sides = split_sides(count)
    assert len(sides) == 4 and sum(sides) == count
    assert max(sides) - min(sides) <= 1
    assert sides == sorted(sides, reverse=True)  # the remainder goes to the first sides


# ------------------------------------------------------------------------------------------- chip pads
@pytest.mark.parametrize("template, sets", [
    ("qfn", ()),
    ("wirebond-bga", ()),
    ("wirebond-bga", ("chip.size=[6.0, 4.0]", "wires.count=62")),
])
def test_chip_pads_inset_at_pitch_centred(template: str, sets: tuple[str, ...]) -> None:
    spec = spec_of(template, *sets)
    w, (cx, cy) = spec.wires, spec.chip.size
    pads = resolve(spec).chip_pads
    assert len(pads) == w.count
    per_side = split_sides(w.count)
    for side in range(4):
        pts = np.array([(x, y) for s, x, y in pads if s == side])
        assert len(pts) == per_side[side]
        normal = 0 if side % 2 == 0 else 1
        half = (cx if normal == 0 else cy) / 2
        sign = 1 if side < 2 else -1
        # inset from the die edge on its own side
        assert np.allclose(pts[:, normal], sign * (half - w.pad_inset), atol=EPS)
        along = np.sort(pts[:, 1 - normal])
        assert along.mean() == pytest.approx(0.0, abs=EPS)
        assert np.allclose(np.diff(along), w.pitch, atol=EPS)
        # on the die
        assert np.all(np.abs(pts[:, 0]) <= cx / 2 - w.pad_inset + EPS)
        assert np.all(np.abs(pts[:, 1]) <= cy / 2 - w.pad_inset + EPS)


# ---------------------------------------------------------------------------------------------- leads
@pytest.mark.parametrize("sets", [(), ("carrier.size=[6.0, 5.0]", "leads.count=36", "leads.pitch=0.4")])
def test_leads_flush_at_pitch(sets: tuple[str, ...]) -> None:
    spec = spec_of("qfn", *sets)
    ld, (bx, by) = spec.leads, spec.carrier.size
    leads = [(ld.side, ld.rect) for ld in resolve(spec).leads]
    assert len(leads) == ld.count
    per_side = split_sides(ld.count)
    for side in range(4):
        rects = np.array([r for s, r in leads if s == side])
        assert len(rects) == per_side[side]
        normal = 0 if side % 2 == 0 else 1
        half = (bx if normal == 0 else by) / 2
        sign = 1 if side < 2 else -1
        # length along the normal, width along the side
        assert np.allclose(rects[:, 2 + normal], ld.length) and np.allclose(rects[:, 3 - normal], ld.width)
        # outer end flush with the body side
        outer = rects[:, normal] + sign * rects[:, 2 + normal] / 2
        assert np.allclose(outer, sign * half, atol=EPS)
        along = np.sort(rects[:, 1 - normal])
        assert along.mean() == pytest.approx(0.0, abs=EPS)
        assert np.allclose(np.diff(along), ld.pitch, atol=EPS)
    # lead rectangles never meet one another
    r = np.array([r for _s, r in leads])
    for i in range(len(r)):
        for j in range(i + 1, len(r)):
            gap_x = abs(r[i, 0] - r[j, 0]) - (r[i, 2] + r[j, 2]) / 2
            gap_y = abs(r[i, 1] - r[j, 1]) - (r[i, 3] + r[j, 3]) / 2
            assert max(gap_x, gap_y) > 0, (i, j)


# ---------------------------------------------------------------------------------------------- wires
@pytest.mark.parametrize("template, sets", [
    ("qfn", ()),
    ("qfn", ("wires.count=20",)),
    ("wirebond-bga", ()),
    ("buffer-pad", ()),
    ("wirebond-bga", ("chip.size=[6.0, 4.0]", "wires.count=62")),
])
def test_wires_start_on_pads_end_on_landing(template: str, sets: tuple[str, ...]) -> None:
    spec = spec_of(template, *sets)
    st = resolve(spec).stack
    wires = resolve(spec).wires
    pads = resolve(spec).chip_pads
    assert len(wires) == spec.wires.count
    assert [w.index for w in wires] == list(range(len(wires)))
    land_z = spec.carrier.thickness if spec.qfn else st.carrier_top + spec.wires.finger_thickness
    pad_xy = sorted((round(x, 9), round(y, 9)) for _s, x, y in pads)
    assert sorted((round(w.start[0], 9), round(w.start[1], 9)) for w in wires) == pad_xy
    for w in wires:
        assert w.start[2] == pytest.approx(st.chip_top)
        assert w.end[2] == pytest.approx(land_z)
        dx, dy = w.end[0] - w.start[0], w.end[1] - w.start[1]
        assert w.path.length == pytest.approx(math.hypot(dx, dy))
        assert w.path.drop == pytest.approx(land_z - st.chip_top)
        assert w.path.height == pytest.approx(spec.wires.loop_height)
        assert w.path.radius == pytest.approx(spec.wires.bend_radius)
        # outward: the end lies farther from the package centre than the start
        assert math.hypot(*w.end[:2]) > math.hypot(*w.start[:2])
    if spec.qfn:
        rects = [r for _s, r in [(ld.side, ld.rect) for ld in resolve(spec).leads]]
        for w in wires:
            on = [r for r in rects if abs(w.end[0] - r[0]) <= r[2] / 2 and abs(w.end[1] - r[1]) <= r[3] / 2]
            assert len(on) == 1, f"wire {w.index} does not land on exactly one lead"
        # each lead takes at most one wire
        ends = {(round(w.end[0], 9), round(w.end[1], 9)) for w in wires}
        assert len(ends) == len(wires)
    else:
        fingers = [f.rect for f in resolve(spec).fingers]
        assert len(fingers) == len(wires)
        for w, f in zip(wires, fingers, strict=True):
            assert w.path.length == pytest.approx(spec.wires.span)
            assert (f[0], f[1]) == pytest.approx(w.end[:2])
            radial_x = abs(w.end[0] - w.start[0]) > abs(w.end[1] - w.start[1])
            want = (spec.wires.finger_length, spec.wires.finger_width)
            assert (f[2], f[3]) == pytest.approx(want if radial_x else want[::-1])


@pytest.mark.parametrize("path", [
    WirePath(0.9, 0.08, -0.3, 0.04),
    WirePath(0.5, 0.2, 0.0, 0.1),
    WirePath(2.0, 0.15, -0.5, 0.05),
    WirePath(0.2, 0.1, -0.2, 0.1),  # bends meet: no straight in the middle
])
def test_wire_polyline(path: WirePath) -> None:
    pts = path.polyline()
    assert pts[0] == pytest.approx([0.0, 0.0, 0.0])
    assert pts[-1] == pytest.approx([path.length, 0.0, path.drop])
    assert pts[:, 2].max() == pytest.approx(path.height)
    assert np.all(pts[:, 1] == 0.0)
    assert np.all(np.diff(pts[:, 0]) >= -EPS)  # never turns back
    # both ends vertical
    assert pts[1, 0] == pytest.approx(0.0) and pts[-2, 0] == pytest.approx(path.length)
    # the polyline is a chord approximation of the centre line: slightly shorter than the true length
    r, h = path.radius, path.height
    true = (h - r) + (h - r - path.drop) + (path.length - 2 * r) + math.pi * r
    chord = float(np.linalg.norm(np.diff(pts, axis=0), axis=1).sum())
    assert true * 0.99 <= chord <= true + EPS


def test_wire_key_groups_equal_paths() -> None:
    assert WirePath(0.9, 0.08, -0.3, 0.04).key() == WirePath(0.9 + 1e-9, 0.08, -0.3, 0.04).key()
    assert WirePath(0.9, 0.08, -0.3, 0.04).key() != WirePath(0.91, 0.08, -0.3, 0.04).key()


# ---------------------------------------------------------------------------------------------- stack
STACK_CASES = [
    ("qfn", ()),
    ("wirebond-bga", ()),
    ("flipchip-bga", ()),
    ("buffer-pad", ()),
    ("connecting-portion", ()),
    ("textured-first-surface", ()),
    ("qfn", ("buffer_pad.enabled=true", "buffer_pad.size=[1.5, 1.5]", "buffer_pad.thickness=0.1",
             "adhesive.thickness=0.03")),
]


@pytest.mark.parametrize("template, sets", STACK_CASES)
def test_stack_levels(template: str, sets: tuple[str, ...]) -> None:
    spec = spec_of(template, *sets)
    st = resolve(spec).stack
    assert st.carrier_top == pytest.approx(spec.carrier.thickness)
    under = spec.die_attach.thickness if spec.wirebond else spec.bumps.height
    assert st.chip_bottom - st.carrier_top == pytest.approx(under)
    assert st.chip_top - st.chip_bottom == pytest.approx(spec.chip.thickness)
    z = st.chip_top
    if spec.buffer_pad.enabled:
        assert st.buffer_bottom is not None and st.buffer_top is not None
        assert st.buffer_bottom - st.chip_top == pytest.approx(spec.buffer_pad.attach_thickness)
        assert st.buffer_top - st.buffer_bottom == pytest.approx(spec.buffer_pad.thickness)
        z = st.buffer_top
    else:
        assert st.buffer_bottom is None and st.buffer_top is None
    assert st.adhesive_bottom == pytest.approx(z)
    assert st.adhesive_top - st.adhesive_bottom == pytest.approx(spec.adhesive.thickness)
    cp = spec.heat_sink.connecting_portion
    assert st.first_surface - st.adhesive_top == pytest.approx(cp.height if cp.enabled else 0.0)
    assert st.second_surface - st.first_surface == pytest.approx(spec.heat_sink.thickness)
    assert st.interface_top - st.second_surface == pytest.approx(spec.interface_layer.thickness)
    levels = [0.0, st.carrier_top, st.chip_bottom, st.chip_top, st.buffer_bottom, st.buffer_top,
              st.adhesive_bottom, st.adhesive_top, st.first_surface, st.second_surface, st.interface_top]
    levels = [v for v in levels if v is not None]
    assert all(b >= a for a, b in itertools.pairwise(levels))
    assert st.chip_top > st.chip_bottom > st.carrier_top > 0 and st.interface_top > st.second_surface


@pytest.mark.parametrize("template", [t for t in TEMPLATES if spec_of(t).wirebond])
def test_wire_loops_clear_the_first_surface(template: str) -> None:
    spec = spec_of(template)
    st = resolve(spec).stack
    top = max(w.start[2] + w.path.polyline()[:, 2].max() for w in resolve(spec).wires)
    lowest = st.first_surface - resolve(spec).texture.protrusion
    assert lowest - (top + spec.wires.diameter / 2) >= spec.rules.min_gap - EPS


# --------------------------------------------------------------------------------------------- texture
def _attach_rect(spec) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    hs = spec.heat_sink
    ax, ay = resolve(spec).attach[2:]
    return ax / 2 + hs.keepout, ay / 2 + hs.keepout


def _assert_features_clear(spec, cx, cy, hx, hy) -> None:  # type: ignore[no-untyped-def]
    """Features centred (cx, cy) with half sizes (hx, hy) keep off the sides and the attach area."""
    hs = spec.heat_sink
    bx, by = spec.carrier.size[0] / 2 - hs.edge_margin, spec.carrier.size[1] / 2 - hs.edge_margin
    assert np.all(np.abs(cx) + hx <= bx + EPS), "texture inside the edge margin"
    assert np.all(np.abs(cy) + hy <= by + EPS), "texture inside the edge margin"
    ax, ay = _attach_rect(spec)
    clear = (np.abs(cx) - hx >= ax - EPS) | (np.abs(cy) - hy >= ay - EPS)
    assert np.all(clear), "texture over the attach area"


TEXTURE_BASES = [
    ("textured-first-surface", ()),  # flip chip with a connecting portion
    ("flipchip-bga", ("adhesive.thickness=0.06",)),  # attach area = the chip
    ("wirebond-bga", ("adhesive.thickness=0.16",)),  # attach area inside the pad ring
    ("qfn", ("adhesive.thickness=0.16", "heat_sink.edge_margin=0.5", "heat_sink.keepout=0.3")),
]


@pytest.mark.parametrize("template, sets", TEXTURE_BASES)
@pytest.mark.parametrize("direction", ["x", "y"])
def test_grooves_stay_out(template: str, sets: tuple[str, ...], direction: str) -> None:
    spec = spec_of(template, *sets, "heat_sink.first_surface=corrugated",
                   f"heat_sink.corrugated.direction={direction}")
    g = np.array(resolve(spec).texture.grooves)
    assert len(g) > 0
    _assert_features_clear(spec, g[:, 0], g[:, 1], g[:, 2] / 2, g[:, 3] / 2)
    c = spec.heat_sink.corrugated
    width = g[:, 2] if direction == "y" else g[:, 3]
    assert np.allclose(width, c.width)
    # groove lines at the pitch, centred
    across = np.unique(np.round(g[:, 0] if direction == "y" else g[:, 1], 9))
    assert np.allclose(np.diff(across), c.pitch) and across.mean() == pytest.approx(0.0, abs=EPS)
    assert resolve(spec).texture.count == len(g)


@pytest.mark.parametrize("template, sets", TEXTURE_BASES)
@pytest.mark.parametrize("style", ["dimples", "steps"])
def test_pockets_stay_out(template: str, sets: tuple[str, ...], style: str) -> None:
    spec = spec_of(template, *sets, "heat_sink.first_surface=uneven", f"heat_sink.uneven.style={style}")
    p = resolve(spec).texture.pockets
    assert len(p) > 0
    half = spec.heat_sink.uneven.size / 2
    _assert_features_clear(spec, p[:, 0], p[:, 1], half, half)
    d = np.linalg.norm(p[:, None] - p[None], axis=-1) + np.eye(len(p)) * 1e9
    assert d.min() >= spec.heat_sink.uneven.pitch - EPS


@pytest.mark.parametrize("template, sets", TEXTURE_BASES)
def test_roughness_sites_stay_out_and_apart(template: str, sets: tuple[str, ...]) -> None:
    extra = ("adhesive.thickness=0.2",) if template == "wirebond-bga" else ()
    spec = spec_of(template, *sets, *extra, "heat_sink.first_surface=roughened")
    r = spec.heat_sink.roughened
    s = resolve(spec).texture.asperities
    assert s.shape[1] == 3 and len(s) > 0
    _assert_features_clear(spec, s[:, 0], s[:, 1], r.diameter / 2, r.diameter / 2)
    assert np.all((s[:, 2] >= 0.5 * r.height - EPS) & (s[:, 2] <= r.height + EPS))
    d = np.linalg.norm(s[:, None, :2] - s[None, :, :2], axis=-1) + np.eye(len(s)) * 1e9
    assert d.min() >= r.diameter - EPS, "asperities overlap"
    # about the asked density over the textured area
    area = np.prod(spec.carrier.size)
    assert len(s) <= r.density * area + EPS
    assert resolve(spec).texture.protrusion == pytest.approx(r.height)


def test_roughness_is_seeded() -> None:
    a = resolve(spec_of("textured-first-surface", "heat_sink.first_surface=roughened")).texture.asperities
    b = resolve(spec_of("textured-first-surface", "heat_sink.first_surface=roughened")).texture.asperities
    c = resolve(spec_of("textured-first-surface", "heat_sink.first_surface=roughened",
                                       "heat_sink.roughened.seed=8")).texture.asperities
    assert np.array_equal(a, b)
    assert a.shape[1] == c.shape[1] and not (a.shape == c.shape and np.allclose(a, c))


def test_flat_surface_has_no_texture() -> None:
    spec = spec_of("flipchip-bga")
    assert resolve(spec).texture.count == 0
    assert resolve(spec).texture.protrusion == 0 and resolve(spec).texture.recess == 0


# ---------------------------------------------------------------------------------------- attach areas
def test_attach_areas() -> None:
    wb = spec_of("wirebond-bga")
    w = wb.wires
    ring = 2 * (w.pad_inset + w.diameter + wb.rules.min_gap)
    assert resolve(wb).bond_area == pytest.approx((6.0 - ring, 6.0 - ring))
    assert resolve(wb).adhesive[2:] == pytest.approx(resolve(wb).bond_area)
    fc = spec_of("flipchip-bga")
    assert resolve(fc).bond_area == pytest.approx(fc.chip.size)
    cp = spec_of("connecting-portion")
    assert resolve(cp).attach[2:] == pytest.approx(cp.heat_sink.connecting_portion.size)
    bp = spec_of("buffer-pad")
    assert resolve(bp).attach[2:] == pytest.approx(bp.buffer_pad.size)
    sized = spec_of("connecting-portion", "adhesive.size=[3.0, 2.0]")
    assert resolve(sized).adhesive[2:] == pytest.approx((3.0, 2.0))


# ----------------------------------------------------------------------------- ball and bump z ranges, bounds
def test_ball_and_bump_z_ranges_seating_plane_and_bounds_by_hand() -> None:
    """flipchip-bga (templates/flipchip-bga.toml): balls d 0.5, h 0.4 under a 0.36 mm substrate; bumps d 0.12,
    h 0.09; chip 0.3, adhesive 0.03, plate 0.3, gold 0.002; footprint 10 x 10."""
    lay = resolve(spec_of("flipchip-bga"))
    assert lay.ball_z is not None and lay.bump_z is not None
    # the ball: flat on the substrate's underside, pole on the board 0.4 below it, centre 0.25 above the pole
    assert (lay.ball_z.bottom, lay.ball_z.top, lay.ball_z.diameter) == pytest.approx((-0.4, 0.0, 0.5))
    assert lay.ball_z.centre == pytest.approx(-0.15)  # -0.4 + 0.25
    assert lay.ball_z.radius_at(-0.4) == pytest.approx(0.0, abs=1e-9)  # the pole
    assert lay.ball_z.radius_at(0.0) == pytest.approx(math.sqrt(0.25**2 - 0.15**2))  # 0.2: the pad flat
    # the bump: from the substrate top 0.36 to the chip bottom 0.45, centred at 0.405, flats of equal radius
    assert (lay.bump_z.bottom, lay.bump_z.top, lay.bump_z.centre) == pytest.approx((0.36, 0.45, 0.405))
    assert lay.bump_z.radius_at(0.36) == pytest.approx(math.sqrt(0.06**2 - 0.045**2))
    assert lay.bump_z.radius_at(0.45) == pytest.approx(lay.bump_z.radius_at(0.36))
    assert lay.seating_plane == pytest.approx(-0.4)
    top = 0.36 + 0.09 + 0.3 + 0.03 + 0.3 + 0.002
    assert lay.bounds == pytest.approx((-5.0, -5.0, -0.4, 5.0, 5.0, top))
    # qfn: no balls, no bumps; the lead frame's bottom (z = 0) is the seating plane; 5 x 5 body
    q = resolve(spec_of("qfn"))
    assert q.ball_z is None and q.bump_z is None and q.seating_plane == 0.0
    assert q.bounds[:5] == pytest.approx((-2.5, -2.5, 0.0, 2.5, 2.5))
    # wirebond-bga: 100 balls d 0.5, h 0.4 under 12 x 12; no bumps
    w = resolve(spec_of("wirebond-bga"))
    assert w.bump_z is None and w.ball_z is not None and w.ball_z.centre == pytest.approx(-0.15)
    assert w.bounds[:3] == pytest.approx((-6.0, -6.0, -0.4))


def test_a_ball_soldered_to_a_board_pad_keeps_its_solder_and_wets_both_pads_by_hand() -> None:
    """flipchip-bga's ball (d 0.5, h 0.4: a spherical cap of height 0.4, radius 0.25) soldered to a 0.4 mm board
    pad. Its volume is the cap's, pi h^2 (3 R - h) / 3 = pi 0.16 0.35 / 3; the joint is the zone of a sphere
    through the substrate pad circle (r 0.2 at z = 0) and the board pad circle (r 0.2 at z = -H) holding that
    volume: pi H (3 a^2 + 3 b^2 + H^2) / 6 = V, here H^3 + 0.24 H = 0.112 -> H = 0.32441 (checked by bisection
    below); symmetric pads put the centre at -H / 2."""
    lay = resolve(spec_of("flipchip-bga"))
    cap = math.pi * 0.4**2 * (3 * 0.25 - 0.4) / 3
    assert lay.ball_z is not None and lay.ball_z.volume == pytest.approx(cap, rel=1e-12)
    lo, hi = 0.0, 0.4
    for _ in range(60):  # H^3 + 3 (0.2^2 + 0.2^2) H - 6 V / pi = 0, increasing in H
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if mid**3 + 0.24 * mid - 6 * cap / math.pi < 0 else (lo, mid)
    joint = lay.ball_joint(0.4)
    assert joint is not None
    assert (joint.top, joint.bottom, joint.centre) == pytest.approx((0.0, -lo, -lo / 2), abs=1e-9)
    assert joint.bottom == pytest.approx(-0.32441, abs=1e-5)  # collapsed from 0.4
    assert joint.radius_at(0.0) == pytest.approx(0.2) and joint.radius_at(joint.bottom) == pytest.approx(0.2)
    assert joint.diameter == pytest.approx(2 * math.sqrt(0.2**2 + (lo / 2) ** 2))
    assert joint.volume == pytest.approx(cap, rel=1e-12)
    assert math.pi * lo * (3 * 0.04 + 3 * 0.04 + lo**2) / 6 == pytest.approx(cap, rel=1e-9)
    # a pad of diameter 0 is the ball as built (a pole on the board); a wider pad spreads it flatter
    unsoldered = lay.ball_joint(0.0)
    assert unsoldered is not None and (unsoldered.bottom, unsoldered.centre) == pytest.approx((-0.4, -0.15))
    wide = lay.ball_joint(0.45)
    assert wide is not None and wide.bottom > joint.bottom and wide.volume == pytest.approx(cap, rel=1e-12)
    assert resolve(spec_of("qfn")).ball_joint(0.4) is None
    with pytest.raises(ValueError, match="board pad"):
        lay.ball_joint(0.6)
