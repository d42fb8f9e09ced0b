"""One small function per claim element. Each takes the loaded model and the tolerance [mm] and returns
rows: claim(s), element, measured value, tolerance, pass/fail and a one-line detail."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from itertools import pairwise

import numpy as np
import trimesh

from ..materials import INTERFACE_MATERIALS, MATERIALS
from .geom import (
    AXES,
    closed_and_oriented,
    first_axis_hit,
    horizontal_faces,
    overlap_area,
    side_faces,
    tri_area,
    vertex_components,
    xy_box,
)
from .loader import Model

#: Parts the encapsulant must hide (claims 1 / 12: "encapsulating the chip" and what hangs on it).
HIDDEN_ROLES = ("chip", "wire", "bump", "buffer_pad", "buffer_pad_attach", "die_attach", "adhesive")


@dataclass
class Row:
    claims: str
    element: str
    measured: str
    tolerance: str
    passed: bool
    detail: str = ""

    @property
    def status(self) -> str:
        return "PASS" if self.passed else "FAIL"

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "status": self.status}


def _um(mm: float) -> str:
    return f"{mm * 1000:.1f} µm"


def _grid(lo: float, hi: float, n: int, inset: float) -> np.ndarray:
    lo, hi = lo + inset, hi - inset
    if hi <= lo:
        return np.array([(lo + hi) / 2])
    return lo + (np.arange(n) + 0.5) * (hi - lo) / n


# ------------------------------------------------------------------------------------------ exposure
def interface_exposure(m: Model, tol: float, n: int = 48) -> list[Row]:
    """Seen from above, every ray over the heat-sink footprint hits the interface layer first."""
    hs = m.mesh("heat_sink")
    (x0, y0), (x1, y1) = xy_box(hs)
    inset = max(5 * tol, 1e-3)
    xs, ys = _grid(x0, x1, n, inset), _grid(y0, y1, n, inset)
    pts = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    il = m.scene.index(m.groups("interface_layer"))
    others = [i for i in range(len(m.scene.names)) if i not in il]
    hit = m.scene.first_hit(2, 1.0, pts, prefer=others)  # a coincident skin counts against exposure
    ok = np.isin(hit, il)
    frac = ok.mean()
    detail = "whole second surface covered by the interface layer, nothing above it"
    if not ok.all():
        names = {m.scene.names[i] if i >= 0 else "nothing" for i in hit[~ok]}
        detail = f"{(~ok).sum()} of {len(ok)} rays from above hit {', '.join(sorted(names))} first"
    return [Row(m.base_claim, "interface layer exposed (from above)", f"{frac * 100:.2f} %", "100 %",
                bool(ok.all()), detail)]


def side_exposure(m: Model, tol: float, n: int = 32) -> list[Row]:
    """From each of the four sides, rays that would meet the heat sink's outer side meet it first."""
    hs = m.mesh("heat_sink")
    hs_ids = m.scene.index(m.groups("heat_sink"))
    others = [i for i in range(len(m.scene.names)) if i not in hs_ids]
    lo, hi = hs.bounds
    inset = max(5 * tol, 2e-3)
    rows = []
    for side, (axis, sign) in AXES.items():
        other = 1 - axis
        ts, zs = _grid(lo[other], hi[other], n, inset), _grid(lo[2], hi[2], n, inset)
        tt, zz = (a.ravel() for a in np.meshgrid(ts, zs))
        pts = np.column_stack([tt, zz])  # (the other horizontal axis, z): ascending axis order
        # the heat sink's own outer side: lines whose first hit on the heat sink alone is near its extreme
        own, at = first_axis_hit(hs.triangles, np.zeros(len(hs.faces), dtype=np.int64), axis, sign, pts)
        extreme = hi[axis] if sign > 0 else -lo[axis]
        on_side = np.flatnonzero((own >= 0) & (at * sign >= extreme - 0.02 - tol))
        if not len(on_side):
            rows.append(Row(m.base_claim, f"heat-sink side {side} exposed", "no side face", "100 %", False,
                            "no heat-sink side face found"))
            continue
        first = m.scene.first_hit(axis, sign, pts[on_side], prefer=others)
        ok = np.isin(first, hs_ids)
        detail = f"{len(on_side)} rays on the side face"
        if not ok.all():
            names = {m.scene.names[i] if i >= 0 else "nothing" for i in first[~ok]}
            detail = f"{(~ok).sum()} of {len(ok)} rays hit {', '.join(sorted(names))} before the heat sink"
        rows.append(Row(m.base_claim, f"heat-sink side {side} exposed", f"{ok.mean() * 100:.2f} %", "100 %",
                        bool(ok.all()), detail))
    return rows


def coplanarity(m: Model, tol: float, max_angle_deg: float = 0.1) -> list[Row]:
    """Each heat-sink side face and the encapsulant's side edge on that side lie in one plane."""
    hs, enc = m.mesh("heat_sink"), m.mesh("encapsulant")
    rows = []
    for side in AXES:
        th, nh, ah = side_faces(hs, side)
        te, ne, ae = side_faces(enc, side)
        if not len(th) or not len(te):
            missing = "heat sink" if not len(th) else "encapsulant"
            rows.append(Row(m.base_claim, f"coplanar side {side}", "n/a", _um(tol), False,
                            f"no {missing} side face on {side}"))
            continue
        nh_ = (nh * ah[:, None]).sum(axis=0)
        ne_ = (ne * ae[:, None]).sum(axis=0)
        nh_, ne_ = nh_ / np.linalg.norm(nh_), ne_ / np.linalg.norm(ne_)
        angle = float(np.degrees(np.arccos(np.clip(nh_ @ ne_, -1.0, 1.0))))
        pe = (te.mean(axis=1) * ae[:, None]).sum(axis=0) / ae.sum()
        ph = (th.mean(axis=1) * ah[:, None]).sum(axis=0) / ah.sum()
        off = max(float(np.abs((th.reshape(-1, 3) - pe) @ ne_).max()),
                  float(np.abs((te.reshape(-1, 3) - ph) @ nh_).max()))
        ok = off <= tol and angle <= max_angle_deg
        detail = "heat-sink side face and encapsulant side edge in one plane"
        if not ok:
            axis, sign = AXES[side]
            dh, de = th[:, :, axis].max() * sign, te[:, :, axis].max() * sign
            detail = (f"heat-sink side at {'xy'[axis]}={sign * dh:+.4f}, encapsulant side at "
                      f"{'xy'[axis]}={sign * de:+.4f} mm ({'heat sink inside' if dh < de else 'heat sink proud'})")
        rows.append(Row(m.base_claim, f"coplanar side {side}", f"{_um(off)}, {angle:.3f}°",
                        f"{_um(tol)}, {max_angle_deg}°", ok, detail))
    return rows


# ----------------------------------------------------------------------------------------- footprint
def footprint(m: Model, tol: float) -> list[Row]:
    """Claims 2 / 13: the heat sink's footprint equals the chip carrier's (QFN: die pad + leads)."""
    claim = "13" if m.base_claim == "12" else "2"
    if int(claim) not in m.claims:
        return []
    h, c = xy_box(m.mesh("heat_sink")), xy_box(m.mesh("carrier"))
    edge = float(np.abs(h - c).max())
    area = float(np.prod(h[1] - h[0]) - np.prod(c[1] - c[0]))
    ok = edge <= tol
    detail = (f"heat sink {h[1, 0] - h[0, 0]:.4f} x {h[1, 1] - h[0, 1]:.4f}, carrier "
              f"{c[1, 0] - c[0, 0]:.4f} x {c[1, 1] - c[0, 1]:.4f} mm; largest edge offset {_um(edge)}")
    return [Row(claim, "footprint = carrier footprint", f"Δarea {area:+.5f} mm²", f"edges {_um(tol)}", ok,
                detail)]


# --------------------------------------------------------------------------------------- stack order
def _contact(lower: trimesh.Trimesh, upper: trimesh.Trimesh, tol: float) -> tuple[float, float, float]:
    """(gap, contact area, area of the smaller of the two facing faces) between the top of ``lower`` and
    the bottom of ``upper``."""
    zt, zb = lower.bounds[1, 2], upper.bounds[0, 2]
    top = horizontal_faces(lower, zt, True, tol)
    bot = horizontal_faces(upper, zb, False, tol)
    smaller = min(tri_area(top), tri_area(bot))
    gap = float(zb - zt)
    area = overlap_area(top, bot) if abs(gap) <= tol else 0.0
    return gap, area, smaller


def _contact_row(claims: str, name: str, lower: trimesh.Trimesh, upper: trimesh.Trimesh, tol: float,
                 full: bool = False) -> Row:
    gap, area, smaller = _contact(lower, upper, tol)
    ok = abs(gap) <= tol and area > 0 and (not full or area >= 0.99 * smaller)
    detail = f"gap {_um(gap)}, contact {area:.4f} of {smaller:.4f} mm²"
    if abs(gap) > tol:
        detail = f"{'gap' if gap > 0 else 'overlap'} of {_um(abs(gap))} between them: not touching"
    elif not ok:
        detail = f"contact only {area:.4f} mm² of {smaller:.4f} mm² facing area"
    return Row(claims, name, f"{area:.4f} mm², gap {_um(gap)}", f"gap {_um(tol)}", ok, detail)


def stack_order(m: Model, tol: float) -> list[Row]:
    """Chip between carrier and heat sink; chip mounted on the carrier."""
    car, chip, hs = m.mesh("carrier"), m.mesh("chip"), m.mesh("heat_sink")
    c1 = m.base_claim
    ct, (zc0, zc1), hb = car.bounds[1, 2], chip.bounds[:, 2], hs.bounds[0, 2]
    cb, chb = xy_box(car), xy_box(chip)
    inside = bool(np.all(chb[0] >= cb[0] - tol) and np.all(chb[1] <= cb[1] + tol))
    ok = ct <= zc0 + tol and zc1 <= hb + tol and inside
    rows = [Row(c1, "chip between carrier and heat sink",
                f"carrier top {ct:.4f} ≤ chip {zc0:.4f}–{zc1:.4f} ≤ heat sink {hb:.4f}", _um(tol), ok,
                "" if inside else "chip reaches outside the carrier footprint")]
    if m.has("die_attach"):
        rows.append(_contact_row(c1, "carrier → die attach", car, m.mesh("die_attach"), tol))
        rows.append(_contact_row(c1, "die attach → chip", m.mesh("die_attach"), chip, tol, full=True))
    return rows


def wire_connection(m: Model, tol: float) -> list[Row]:
    """Bonding wires end on the chip top and on a bond finger / lead top (claims 5, 8, 16, 18)."""
    wires = m.manifest.get("layout", {}).get("wires", [])
    if m.embodiment.get("connection") != "wirebond" or not wires:
        return []
    claim = {("substrate", "1"): "5", ("qfn", "1"): "8", ("substrate", "12"): "16", ("qfn", "12"): "18"}.get(
        (str(m.embodiment.get("carrier")), m.base_claim), m.base_claim)
    starts = np.array([w["start"] for w in wires], dtype=float)
    ends = np.array([w["end"] for w in wires], dtype=float)
    land = m.mesh("bond_finger", "carrier") if m.has("bond_finger") else m.mesh("carrier")
    d_chip = trimesh.proximity.closest_point(m.mesh("chip"), starts)[1]
    d_land = trimesh.proximity.closest_point(land, ends)[1]
    wmesh = m.mesh("wire")
    d_wire = trimesh.proximity.closest_point(wmesh, np.vstack([starts, ends]))[1] if m.has("wire") else None
    rows = []
    for name, d, what in (("wire ends on chip", d_chip, "chip"), ("wire ends on finger/lead", d_land, "land")):
        bad = np.flatnonzero(d > tol)
        detail = f"{len(d)} wires"
        if len(bad):
            detail = f"{len(bad)} wire ends off the {what}, e.g. {wires[bad[0]]['name']} by {_um(d[bad[0]])}"
        rows.append(Row(claim, name, f"max {_um(float(d.max()))}", _um(tol), not len(bad), detail))
    if d_wire is not None:
        bad = np.flatnonzero(d_wire > tol)
        rows.append(Row(claim, "wire meshes reach their ends", f"max {_um(float(d_wire.max()))}", _um(tol),
                        not len(bad), f"{len(bad)} of {len(d_wire)} wire end points not on a wire mesh"
                        if len(bad) else f"{len(d_wire)} end points"))
    return rows


def bump_connection(m: Model, tol: float) -> list[Row]:
    """Solder bumps touch the chip bottom and the carrier top (claim 6)."""
    if m.embodiment.get("connection") != "flipchip" or not m.has("bump"):
        return []
    bumps = m.mesh("bump")
    ct, cb = m.mesh("carrier").bounds[1, 2], m.mesh("chip").bounds[0, 2]
    n, label = vertex_components(bumps)
    z = bumps.vertices[:, 2]
    lo = np.full(n, np.inf)
    hi = np.full(n, -np.inf)
    np.minimum.at(lo, label, z)
    np.maximum.at(hi, label, z)
    d_bot, d_top = np.abs(lo - ct), np.abs(hi - cb)
    worst = float(max(d_bot.max(), d_top.max()))
    bad = int(((d_bot > tol) | (d_top > tol)).sum())
    detail = f"{n} bumps from carrier top {ct:.4f} to chip bottom {cb:.4f}"
    if bad:
        detail = f"{bad} of {n} bumps do not touch both carrier top and chip bottom"
    claim = "6" if m.base_claim == "1" else m.base_claim
    return [Row(claim, "bumps touch chip and carrier", f"max offset {_um(worst)}", _um(tol), not bad, detail)]


# ---------------------------------------------------------------------------------------- attachment
def attachment(m: Model, tol: float) -> list[Row]:
    """The first surface meets the chip through adhesive (11/20), the connecting portion (10) or the buffer
    pad (12), and where the claims say so the rest of the first surface is spaced from the chip."""
    attach = m.embodiment.get("attach", "adhesive")
    chip, hs = m.mesh("chip"), m.mesh("heat_sink")
    chain = [("chip", chip)]
    if attach == "buffer_pad":
        chain += [(r, m.mesh(r)) for r in ("buffer_pad_attach", "buffer_pad") if m.has(r)]
    if m.has("adhesive"):
        chain.append(("adhesive", m.mesh("adhesive")))
    chain.append(("heat sink", hs))
    adh_claim = "20" if m.base_claim == "12" else "11"
    claim = {"buffer_pad": "12", "connecting_portion": "10"}.get(attach, adh_claim)
    rows = []
    for (ln, lo), (un, up) in pairwise(chain):
        c = adh_claim if "adhesive" in (ln, un) and attach == "adhesive" else claim
        rows.append(_contact_row(c, f"{ln} → {un} attached", lo, up, tol, full=True))
    chip_top = chip.bounds[1, 2]
    zmin = hs.bounds[0, 2]
    if attach == "connecting_portion":
        down = hs.face_normals[:, 2] < -0.999
        rest = hs.triangles[down & np.all(hs.triangles[:, :, 2] > zmin + tol, axis=1)]
        gap = float(rest[:, :, 2].min() - chip_top) if len(rest) else float("nan")
        ok = len(rest) > 0 and gap > tol
        rows.append(Row("10", "rest of first surface spaced from chip", f"spacing {_um(gap)}", f"> {_um(tol)}",
                        bool(ok), "first surface outside the connecting portion clears the chip top"
                        if ok else "first surface outside the connecting portion does not clear the chip"))
        portion = horizontal_faces(hs, zmin, False, tol)
        chip_top_faces = horizontal_faces(chip, chip_top, True, tol)
        pa = tri_area(portion)
        over = overlap_area(portion, chip_top_faces) / pa if pa else 0.0
        rows.append(Row("10", "connecting portion over the chip", f"{over * 100:.2f} %", "100 %",
                        over >= 0.99, "connecting portion lies at the position of the chip" if over >= 0.99 else
                        f"only {over * 100:.1f} % of the connecting portion's face lies over the chip"))
    elif attach == "buffer_pad":
        gap = float(zmin - chip_top)
        rows.append(Row("12", "first surface spaced from chip", f"spacing {_um(gap)}", f"> {_um(tol)}",
                        gap > tol, "buffer pad holds the first surface off the chip" if gap > tol else
                        "first surface is not spaced from the chip"))
    return rows


# ------------------------------------------------------------------------------ encapsulation, fill
def encapsulation(m: Model, tol: float, n: int = 32) -> list[Row]:
    """The chip (and wires, bumps, buffer pad, attach layers) are not visible from any of six directions."""
    hidden = m.scene.index(m.groups(*HIDDEN_ROLES))
    lo, hi = m.scene.bounds
    seen: dict[str, int] = {}
    total = 0
    for axis in range(3):
        u, v = [a for a in range(3) if a != axis]
        us, vs = _grid(lo[u], hi[u], n, 1e-4), _grid(lo[v], hi[v], n, 1e-4)
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
    return [Row(m.base_claim, "chip and interconnects enclosed", f"{bad} of {total} rays see them", "0", not bad,
                detail)]


def fill(m: Model, tol: float, n: int = 4000, seed: int = 0) -> list[Row]:
    """Random points between the carrier top (QFN: the lead-frame bottom) and the heat sink's top, within the
    heat-sink footprint: every point must lie inside exactly one part (no void, no overlap)."""
    hs = m.mesh("heat_sink")
    if m.embodiment.get("carrier") == "qfn":
        z0 = float(m.mesh("carrier").bounds[0, 2])
    else:
        z0 = float(m.mesh("carrier").bounds[1, 2])
    (x0, y0), (x1, y1) = xy_box(hs)
    z1 = float(hs.bounds[1, 2])
    rng = np.random.default_rng(seed)
    pts = rng.uniform([x0, y0, z0], [x1, y1, z1], size=(n, 3))
    count = m.scene.inside_counts(pts).sum(axis=1)
    flagged = np.flatnonzero(count != 1)
    if len(flagged):  # tolerate points within tol of a surface
        dist = trimesh.proximity.closest_point(m.scene.mesh, pts[flagged])[1]
        flagged = flagged[dist > tol]
    void, over = int((count[flagged] == 0).sum()), int((count[flagged] > 1).sum())
    vol = (x1 - x0) * (y1 - y0) * (z1 - z0)
    detail = f"{n} points (seed {seed}) in {vol:.3f} mm³ from z={z0:.3f} to {z1:.3f}"
    if flagged.size:
        p = pts[flagged[0]]
        detail = (f"{void} points in no part, {over} in two or more, e.g. ({p[0]:.3f}, {p[1]:.3f}, {p[2]:.3f}) "
                  f"in {count[flagged[0]]} parts")
    return [Row(m.base_claim, "gap filled: no void, no overlap",
                f"void {void / n * 100:.2f} % ({void / n * vol:.4f} mm³), overlap {over / n * 100:.2f} %",
                f"0 points beyond {_um(tol)}", not flagged.size, detail)]


# ---------------------------------------------------------------------------------------- materials
def interface_material(m: Model, tol: float) -> list[Row]:
    """Interface layer of an allowed material (3 / 14) adhering to mold compound less than the heat sink."""
    il, hs = m.material_of("interface_layer"), m.material_of("heat_sink")
    rows = []
    mat_claim = "14" if m.base_claim == "12" else "3"
    if int(mat_claim) in m.claims:
        ok = il in INTERFACE_MATERIALS
        rows.append(Row(mat_claim, "interface-layer material allowed", str(il), "/".join(INTERFACE_MATERIALS), ok,
                        "" if ok else f"{il!r} is not gold, chromium, nickel, their alloy or PTFE"))
    a_il = MATERIALS[il].mold_adhesion if il in MATERIALS else float("nan")
    a_hs = MATERIALS[hs].mold_adhesion if hs in MATERIALS else float("nan")
    ok = bool(a_il < a_hs)
    rows.append(Row(m.base_claim, "interface layer adheres less than first surface",
                    f"{a_il:.2f} < {a_hs:.2f}", "strictly lower", ok,
                    f"mold adhesion {il} {a_il:.2f}, {hs} {a_hs:.2f}"))
    return rows


# ------------------------------------------------------------------------------------------ texture
def texture(m: Model, tol: float) -> list[Row]:
    """Claims 9 / 19: the first surface is roughened, corrugated or uneven: true / projected area > 1."""
    kind = m.embodiment.get("first_surface", "flat")
    if kind == "flat":
        return []
    hs = m.mesh("heat_sink")
    (x0, y0), (x1, y1) = xy_box(hs)
    zmax = hs.bounds[1, 2]
    c = hs.triangles_center
    n = hs.face_normals
    top = (n[:, 2] > 0.999) & (np.abs(c[:, 2] - zmax) <= tol)
    outer = np.zeros(len(c), dtype=bool)
    for axis, sign in AXES.values():
        ext = hs.bounds[1 if sign > 0 else 0, axis]
        outer |= (np.abs(n[:, axis] - sign) < 1e-3) & (np.abs(c[:, axis] - ext) <= tol)
    keep = ~top & ~outer
    proj = (x1 - x0) * (y1 - y0)
    if m.embodiment.get("attach") == "connecting_portion":
        portion = horizontal_faces(hs, hs.bounds[0, 2], False, tol)
        (px0, py0), (px1, py1) = portion[:, :, :2].reshape(-1, 2).min(0), portion[:, :, :2].reshape(-1, 2).max(0)
        pad = 0.002
        inside = ((c[:, 0] > px0 - pad) & (c[:, 0] < px1 + pad) & (c[:, 1] > py0 - pad) & (c[:, 1] < py1 + pad))
        keep &= ~inside
        proj -= (px1 - px0) * (py1 - py0)
    ratio = float(hs.area_faces[keep].sum() / proj)
    claim = "19" if m.base_claim == "12" else "9"
    return [Row(claim, f"first surface {kind}", f"area ratio {ratio:.4f}", "> 1", ratio > 1 + 1e-6,
                "true / projected area of the first surface (connecting portion excluded)")]


# ------------------------------------------------------------------------------------------- hygiene
#: Small round parts lose more volume to tessellation at normal quality (a 25 µm wire: ~1 %, balls ~2.6 %).
CURVED_VOL_TOL = {"wire": 0.05, "ball": 0.05, "bump": 0.05}


def hygiene(m: Model, tol: float, vol_tol: float = 0.01) -> list[Row]:
    """Every part file watertight, consistently wound, positive volume equal to the manifest's (1 %; 5 % for
    wires, balls and bumps, whose tessellation is coarse relative to their size)."""
    rows = []
    for group, mesh in m.meshes.items():
        vtol = CURVED_VOL_TOL.get(m.roles[group], vol_tol)
        want = sum(r["volume_total_mm3"] for r in m.part_rows(group))
        vol = float(mesh.volume)
        problems = []
        if not closed_and_oriented(mesh.faces):  # the slower trimesh checks only to say what is wrong
            if not mesh.is_watertight:
                problems.append("not watertight")
            if not mesh.is_winding_consistent:
                problems.append("inconsistent winding")
            problems = problems or ["an edge is shared by more than two faces"]
        if vol <= 0:
            problems.append("volume not positive")
        rel = abs(vol - want) / want if want else float("inf")
        if rel > vtol:
            problems.append(f"volume {vol:.6f} vs manifest {want:.6f} mm³")
        rows.append(Row("-", f"mesh {group}", f"{vol:.5f} mm³ ({rel * 100:+.2f} %)", f"{vtol * 100:.0f} %",
                        not problems, "; ".join(problems) or "watertight, consistent winding"))
    return rows


ELEMENTS: tuple[Callable[[Model, float], list[Row]], ...] = (
    hygiene, interface_exposure, side_exposure, coplanarity, footprint, stack_order, wire_connection,
    bump_connection, attachment, encapsulation, fill, interface_material, texture,
)
