"""Claim elements inside the package: the carrier, the chip between carrier and heat sink, the electrical
connection (wires, bumps), how the heat sink is attached (adhesive, connecting portion, buffer pad), the chip
enclosed and the gap filled."""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from ..materials import BUFFER_CTE_TOLERANCE_PPM_K
from ..meshutil import Mesh, closest_distance, vertex_components
from ..reader.model import Model
from ..roles import HIDDEN
from .geom import horizontal_faces, overlap_area, tri_area, xy_box
from .rows import Row, grid, um


# ------------------------------------------------------------------------------------------- carrier
def carrier(m: Model, tol: float) -> list[Row]:
    """Claims 4 / 15: the chip carrier is a substrate (one body under the whole footprint, below the chip);
    claims 7 / 17: a QFN lead frame (a die pad under the chip and leads, each flush with a package side, every
    piece's underside exposed at the package bottom)."""
    car, hs, chip = m.bounds("carrier"), m.bounds("heat_sink"), m.bounds("chip")
    lo, hi = m.bodies("carrier")
    n = len(lo)
    foot = hs[:, :2]
    if m.embodiment.get("carrier") != "qfn":
        edge = float(np.abs(car[:, :2] - foot).max())
        below = bool(car[1, 2] <= chip[0, 2] + tol)
        ok = n == 1 and edge <= tol and below
        size = car[1] - car[0]
        detail = "one body under the whole footprint, below the chip"
        if not ok:
            detail = (f"{n} bodies" if n != 1 else "") + (f"; footprint edges off by {um(edge)}" if edge > tol else
                                                         "") + ("" if below else "; reaches above the chip bottom")
        return [Row("carrier_substrate", "chip carrier is a substrate",
                    f"{n} body, {size[0]:.4f} x {size[1]:.4f} x {size[2]:.4f} mm", f"edges {um(tol)}", ok,
                    detail.strip("; "))]
    cx, cy = chip[:, :2].mean(axis=0)
    pad = (lo[:, 0] <= cx) & (hi[:, 0] >= cx) & (lo[:, 1] <= cy) & (hi[:, 1] >= cy)
    flush = ((hi[:, 0] >= foot[1, 0] - tol) | (lo[:, 0] <= foot[0, 0] + tol)
             | (hi[:, 1] >= foot[1, 1] - tol) | (lo[:, 1] <= foot[0, 1] + tol))
    centres = (lo[:, :2] + hi[:, :2]) / 2
    seen = m.scene.first_hit(2, -1.0, centres)  # looking up from below the package
    exposed = np.isin(seen, m.scene.index(m.groups("carrier")))
    leads = int((~pad).sum())
    ok = int(pad.sum()) == 1 and leads >= 4 and bool(flush[~pad].all()) and bool(exposed.all())
    detail = f"die pad under the chip and {leads} leads flush with the sides, all exposed underneath"
    if not ok:
        detail = (f"{int(pad.sum())} pieces under the chip centre, {leads} leads, "
                  f"{int((~flush[~pad]).sum())} not flush with a side, {int((~exposed).sum())} not exposed below")
    return [Row("carrier_qfn", "chip carrier is a QFN lead frame", f"die pad + {leads} leads", f"{um(tol)}", ok,
                detail)]


# --------------------------------------------------------------------------------------- stack order
def contact(lower: Mesh, upper: Mesh, tol: float) -> tuple[float, float, float]:
    """(gap, contact area, area of the smaller of the two facing faces) between the top of ``lower`` and
    the bottom of ``upper``: the level of ``upper``'s downward flat faces nearest ``lower``'s top (a roughened
    first surface reaches below the face that meets the adhesive, away from it)."""
    zt = lower.bounds[1, 2]
    down = upper.face_normals[:, 2] < -0.999
    levels = upper.triangles[down][:, :, 2].mean(axis=1)
    zb = float(levels[np.argmin(np.abs(levels - zt))]) if len(levels) else upper.bounds[0, 2]
    top = horizontal_faces(lower, zt, True, tol)
    bot = horizontal_faces(upper, zb, False, tol)
    smaller = min(tri_area(top), tri_area(bot))
    gap = float(zb - zt)
    area = overlap_area(top, bot) if abs(gap) <= tol else 0.0
    return gap, area, smaller


def _contact_row(element: str, name: str, lower: Mesh, upper: Mesh, tol: float,
                 full: bool = False) -> Row:
    gap, area, smaller = contact(lower, upper, tol)
    ok = abs(gap) <= tol and area > 0 and (not full or area >= 0.99 * smaller)
    detail = f"gap {um(gap)}, contact {area:.4f} of {smaller:.4f} mm²"
    if abs(gap) > tol:
        detail = f"{'gap' if gap > 0 else 'overlap'} of {um(abs(gap))} between them: not touching"
    elif not ok:
        detail = f"contact only {area:.4f} mm² of {smaller:.4f} mm² facing area"
    return Row(element, name, f"{area:.4f} mm², gap {um(gap)}", f"gap {um(tol)}", ok, detail)


def stack_order(m: Model, tol: float) -> list[Row]:
    """Chip between carrier and heat sink; chip mounted on the carrier."""
    car, chip, hs = m.numpy_mesh("carrier"), m.numpy_mesh("chip"), m.numpy_mesh("heat_sink")
    ct, (zc0, zc1), hb = car.bounds[1, 2], chip.bounds[:, 2], hs.bounds[0, 2]
    cb, chb = xy_box(car), xy_box(chip)
    inside = bool(np.all(chb[0] >= cb[0] - tol) and np.all(chb[1] <= cb[1] + tol))
    ok = ct <= zc0 + tol and zc1 <= hb + tol and inside
    rows = [Row("chip_between", "chip between carrier and heat sink",
                f"carrier top {ct:.4f} ≤ chip {zc0:.4f}–{zc1:.4f} ≤ heat sink {hb:.4f}", um(tol), ok,
                "" if inside else "chip reaches outside the carrier footprint")]
    if m.has("die_attach"):
        rows.append(_contact_row("chip_mounted", "carrier → die attach", car, m.numpy_mesh("die_attach"), tol))
        rows.append(_contact_row("chip_mounted", "die attach → chip", m.numpy_mesh("die_attach"), chip, tol, full=True))
    elif not m.has("bump"):  # a screened model may set the chip on the carrier with no layer between
        rows.append(_contact_row("chip_mounted", "carrier → chip", car, chip, tol))
    return rows


def wire_connection(m: Model, tol: float) -> list[Row]:
    """Bonding wires end on the chip top and on a bond finger / lead top (claims 5, 8, 16, 18): the declared end
    points where the source has them (a manifest), else each wire body's nearest approach to the chip and to
    the fingers or leads (a screened STEP)."""
    if m.embodiment.get("connection") != "wirebond" or not (m.wires if m.wires is not None else m.has("wire")):
        return []
    land = m.numpy_mesh("bond_finger", "carrier") if m.has("bond_finger") else m.numpy_mesh("carrier")
    if m.wires is None:
        return _wire_bodies_connected(m, land, tol)
    wires = m.wires
    starts = np.array([w.start for w in wires], dtype=float)
    ends = np.array([w.end for w in wires], dtype=float)
    d_chip = closest_distance(m.numpy_mesh("chip"), starts)
    d_land = closest_distance(land, ends)
    wmesh = m.numpy_mesh("wire")
    d_wire = closest_distance(wmesh, np.vstack([starts, ends])) if m.has("wire") else None
    rows = []
    for name, d, what in (("wire ends on chip", d_chip, "chip"), ("wire ends on finger/lead", d_land, "land")):
        bad = np.flatnonzero(d > tol)
        detail = f"{len(d)} wires"
        if len(bad):
            detail = f"{len(bad)} wire ends off the {what}, e.g. {wires[bad[0]].name} by {um(d[bad[0]])}"
        rows.append(Row("wire_connection", name, f"max {um(float(d.max()))}", um(tol), not len(bad), detail))
    if d_wire is not None:
        bad = np.flatnonzero(d_wire > tol)
        rows.append(Row("wire_connection", "wire meshes reach their ends", f"max {um(float(d_wire.max()))}", um(tol),
                        not len(bad), f"{len(bad)} of {len(d_wire)} wire end points not on a wire mesh"
                        if len(bad) else f"{len(d_wire)} end points"))
    return rows


def body_gaps(m: Model, role: str, target: Mesh, reach: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """For every connected body of the groups with ``role``: its nearest approach [mm] to ``target`` (from its
    vertices: exact within ``reach`` of the target's box, the distance to that box beyond), and its centre."""
    lo, hi = target.bounds
    verts, owner, centres = [], [], []
    count = 0
    for g in m.groups(role):
        for b in m.blocks[g]:
            n, label = vertex_components(b.mesh)
            sums = np.zeros((n, 3))
            np.add.at(sums, label, b.vertices)
            mid = sums / np.bincount(label, minlength=n)[:, None]
            for s in b.shifts:
                verts.append(b.vertices + s)
                owner.append(label + count)
                centres.append(mid + s)
                count += n
    if not verts:
        return np.zeros(0), np.zeros((0, 3))
    v, own, mid = np.concatenate(verts), np.concatenate(owner), np.concatenate(centres)
    d = np.linalg.norm(np.maximum(0.0, np.maximum(lo - v, v - hi)), axis=1)
    near = np.flatnonzero(d <= reach)
    if len(near):
        d[near] = closest_distance(target, v[near])
    gap = np.full(len(mid), np.inf)
    np.minimum.at(gap, own, d)
    return gap, mid


def _wire_bodies_connected(m: Model, land: Mesh, tol: float) -> list[Row]:
    rows = []
    for name, target, what in (("wires touch the chip", m.numpy_mesh("chip"), "chip"),
                               ("wires touch a finger/lead", land, "fingers and leads")):
        d, mid = body_gaps(m, "wire", target)
        bad = np.flatnonzero(d > tol)
        detail = f"{len(d)} wire bodies"
        if len(bad):
            c = mid[bad[0]]
            detail = (f"{len(bad)} of {len(d)} wires do not reach the {what}, e.g. the wire at ({c[0]:.3f}, "
                      f"{c[1]:.3f}, {c[2]:.3f}) by {um(float(d[bad[0]]))}")
        rows.append(Row("wire_connection", name, f"max gap {um(float(d.max()))}", um(tol), not len(bad), detail))
    return rows


def bump_connection(m: Model, tol: float) -> list[Row]:
    """Solder bumps touch the chip bottom and the carrier top (claim 6)."""
    if m.embodiment.get("connection") != "flipchip" or not m.has("bump"):
        return []
    ct, cb = m.bounds("carrier")[1, 2], m.bounds("chip")[0, 2]
    lo3, hi3 = m.bodies("bump")
    n, lo, hi = len(lo3), lo3[:, 2], hi3[:, 2]
    d_bot, d_top = np.abs(lo - ct), np.abs(hi - cb)
    worst = float(max(d_bot.max(), d_top.max()))
    bad = int(((d_bot > tol) | (d_top > tol)).sum())
    detail = f"{n} bumps from carrier top {ct:.4f} to chip bottom {cb:.4f}"
    if bad:
        detail = f"{bad} of {n} bumps do not touch both carrier top and chip bottom"
    return [Row("bump_connection", "bumps touch chip and carrier", f"max offset {um(worst)}", um(tol), not bad, detail)]


# ---------------------------------------------------------------------------------------- attachment
def attachment(m: Model, tol: float) -> list[Row]:
    """The first surface meets the chip through adhesive (11/20), the connecting portion (10) or the buffer
    pad (12), and where the claims say so the rest of the first surface is spaced from the chip."""
    attach = m.embodiment.get("attach", "adhesive")
    chip, hs = m.numpy_mesh("chip"), m.numpy_mesh("heat_sink")
    chain = [("chip", chip)]
    if attach == "buffer_pad":
        chain += [(r, m.numpy_mesh(r)) for r in ("buffer_pad_attach", "buffer_pad") if m.has(r)]
    if m.has("adhesive"):
        chain.append(("adhesive", m.numpy_mesh("adhesive")))
    chain.append(("heat sink", hs))
    rows = []
    for (ln, lo), (un, up) in pairwise(chain):
        # a bond to or from the adhesive, or the chip straight on the heat sink: the attachment claim 1 names
        element = "adhesive_bond" if "adhesive" in (ln, un) or "buffer" not in ln + un else "buffer_pad_bond"
        rows.append(_contact_row(element, f"{ln} → {un} attached", lo, up, tol, full=True))
    chip_top = chip.bounds[1, 2]
    zmin = hs.bounds[0, 2]
    if attach == "connecting_portion":
        down = hs.face_normals[:, 2] < -0.999
        rest = hs.triangles[down & np.all(hs.triangles[:, :, 2] > zmin + tol, axis=1)]
        gap = float(rest[:, :, 2].min() - chip_top) if len(rest) else float("nan")
        ok = len(rest) > 0 and gap > tol
        rows.append(Row("rest_spaced", "rest of first surface spaced from chip", f"spacing {um(gap)}", f"> {um(tol)}",
                        bool(ok), "first surface outside the connecting portion clears the chip top"
                        if ok else "first surface outside the connecting portion does not clear the chip"))
        portion = horizontal_faces(hs, zmin, False, tol)
        chip_top_faces = horizontal_faces(chip, chip_top, True, tol)
        pa = tri_area(portion)
        over = overlap_area(portion, chip_top_faces) / pa if pa else 0.0
        rows.append(Row("connecting_portion_over_chip", "connecting portion over the chip", f"{over * 100:.2f} %",
                        "100 %",
                        over >= 0.99, "connecting portion lies at the position of the chip" if over >= 0.99 else
                        f"only {over * 100:.1f} % of the connecting portion's face lies over the chip"))
    elif attach == "buffer_pad":
        gap = float(zmin - chip_top)
        rows.append(Row("first_surface_spaced", "first surface spaced from chip", f"spacing {um(gap)}", f"> {um(tol)}",
                        gap > tol, "buffer pad holds the first surface off the chip" if gap > tol else
                        "first surface is not spaced from the chip"))
    return rows


def buffer_pad_cte(m: Model, tol: float) -> list[Row]:
    """Claim 12: the buffer pad is "made of a material having a similar thermal expansion coefficient to the
    chip" (within ``BUFFER_CTE_TOLERANCE_PPM_K``)."""
    if m.embodiment.get("attach") != "buffer_pad":
        return []
    bp, chip = m.material_of("buffer_pad"), m.material_of("chip")
    a, b = m.cte_of("buffer_pad"), m.cte_of("chip")
    if a is None or b is None:
        return [Row("buffer_pad_cte", "buffer pad CTE similar to the chip's", "unknown material", "", False,
                    f"buffer pad {bp!r}, chip {chip!r}: not in the materials table")]
    ok = abs(a - b) <= BUFFER_CTE_TOLERANCE_PPM_K
    return [Row("buffer_pad_cte", "buffer pad CTE similar to the chip's", f"{bp} {a:g} vs {chip} {b:g} ppm/K",
                f"± {BUFFER_CTE_TOLERANCE_PPM_K:g} ppm/K", ok, f"difference {abs(a - b):.2g} ppm/K")]


# ------------------------------------------------------------------------------ encapsulation, fill
def encapsulation(m: Model, tol: float, n: int = 32) -> list[Row]:
    """The chip (and wires, bumps, buffer pad, attach layers) are not visible from any of six directions."""
    hidden = m.scene.index(m.groups(*HIDDEN))
    lo, hi = m.scene.bounds
    seen: dict[str, int] = {}
    total = 0
    for axis in range(3):
        u, v = [a for a in range(3) if a != axis]
        us, vs = grid(lo[u], hi[u], n, 1e-4), grid(lo[v], hi[v], n, 1e-4)
        pts = np.stack(np.meshgrid(us, vs), axis=-1).reshape(-1, 2)
        for sign in (1.0, -1.0):
            hit = m.scene.first_hit(axis, sign, pts, prefer=hidden)  # flush with the surface counts as seen
            total += len(hit)
            for i in hit[np.isin(hit, hidden)]:
                key = f"{m.scene.names[i]} from {'+' if sign > 0 else '-'}{'xyz'[axis]}"
                seen[key] = seen.get(key, 0) + 1
    bad = sum(seen.values())
    detail = f"{total} rays from ±x, ±y, ±z" if not bad else "visible: " + ", ".join(
        f"{k} ({c} rays)" for k, c in sorted(seen.items()))
    return [Row("encapsulated", "chip and interconnects enclosed", f"{bad} of {total} rays see them", "0", not bad,
                detail)]


def fill(m: Model, tol: float, n: int = 4000, seed: int = 0) -> list[Row]:
    """Random points between the carrier top (QFN: the lead-frame bottom) and the heat sink's top, within the
    heat-sink footprint: every point must lie inside exactly one part (no void, no overlap)."""
    hs = m.bounds("heat_sink")
    z0 = float(m.bounds("carrier")[0 if m.embodiment.get("carrier") == "qfn" else 1, 2])
    (x0, y0), (x1, y1) = hs[:, :2]
    z1 = float(hs[1, 2])
    rng = np.random.default_rng(seed)
    pts = rng.uniform([x0, y0, z0], [x1, y1, z1], size=(n, 3))
    count = m.scene.inside_counts(pts).sum(axis=1)
    flagged = np.flatnonzero(count != 1)
    if len(flagged):  # tolerate points within tol of a surface
        flagged = flagged[m.scene.distance(pts[flagged], tol) > tol]
    void, over = int((count[flagged] == 0).sum()), int((count[flagged] > 1).sum())
    vol = (x1 - x0) * (y1 - y0) * (z1 - z0)
    detail = f"{n} points (seed {seed}) in {vol:.3f} mm³ from z={z0:.3f} to {z1:.3f}"
    if flagged.size:
        p = pts[flagged[0]]
        detail = (f"{void} points in no part, {over} in two or more, e.g. ({p[0]:.3f}, {p[1]:.3f}, {p[2]:.3f}) "
                  f"in {count[flagged[0]]} parts")
    return [Row("gap_filled", "gap filled: no void, no overlap",
                f"void {void / n * 100:.2f} % ({void / n * vol:.4f} mm³), overlap {over / n * 100:.2f} %",
                f"0 points beyond {um(tol)}", not flagged.size, detail)]
