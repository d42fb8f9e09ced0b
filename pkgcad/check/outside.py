"""Claim elements seen from outside the package: the interface layer on the whole second surface and exposed,
the heat-sink sides exposed and coplanar with the encapsulant's side edges, the footprint, the interface
layer's material and adhesion, and the first surface's texture."""

from __future__ import annotations

import numpy as np

from ..materials import INTERFACE_MATERIALS, MATERIALS
from ..reader.model import Model
from ..reader.scene import first_axis_hit
from .geom import AXES, horizontal_faces, side_faces_of, tri_area, xy_box
from .inside import contact
from .rows import Row, grid, um


# --------------------------------------------------------------------------------- interface layer
def interface_contact(m: Model, tol: float) -> list[Row]:
    """"The second surface is formed with an interface layer thereon": the layer's underside lies on the heat
    sink's top face over the WHOLE second surface, so a lifted, partial or shifted layer fails."""
    hs, il = m.numpy_mesh("heat_sink"), m.numpy_mesh("interface_layer")
    gap, area, _smaller = contact(hs, il, tol)
    second = tri_area(horizontal_faces(hs, hs.bounds[1, 2], True, tol))
    cover = area / second if second else 0.0
    ok = abs(gap) <= tol and cover >= 0.99
    detail = f"the layer covers {cover * 100:.2f} % of the {second:.3f} mm² second surface, gap {um(gap)}"
    if abs(gap) > tol:
        detail = f"the layer's underside is {um(gap)} {'above' if gap > 0 else 'into'} the second surface"
    return [Row("interface_on_second_surface", "interface layer on the whole second surface",
                f"{cover * 100:.2f} %, gap {um(gap)}", f"≥ 99 %, gap {um(tol)}", ok, detail)]


# ------------------------------------------------------------------------------------------ exposure
def interface_exposure(m: Model, tol: float, n: int = 48) -> list[Row]:
    """Seen from above, every ray over the heat-sink footprint hits the interface layer first."""
    hs = m.numpy_mesh("heat_sink")
    (x0, y0), (x1, y1) = xy_box(hs)
    inset = max(5 * tol, 1e-3)
    xs, ys = grid(x0, x1, n, inset), grid(y0, y1, n, inset)
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
    return [Row("interface_exposed", "interface layer exposed (from above)", f"{frac * 100:.2f} %", "100 %",
                bool(ok.all()), detail)]


def side_exposure(m: Model, tol: float, n: int = 32) -> list[Row]:
    """From each of the four sides, rays that would meet the heat sink's outer side meet it first."""
    hs = m.numpy_mesh("heat_sink")
    hs_ids = m.scene.index(m.groups("heat_sink"))
    others = [i for i in range(len(m.scene.names)) if i not in hs_ids]
    lo, hi = hs.bounds
    inset = max(5 * tol, 2e-3)
    rows = []
    for side, (axis, sign) in AXES.items():
        other = 1 - axis
        ts, zs = grid(lo[other], hi[other], n, inset), grid(lo[2], hi[2], n, inset)
        tt, zz = (a.ravel() for a in np.meshgrid(ts, zs))
        pts = np.column_stack([tt, zz])  # (the other horizontal axis, z): ascending axis order
        # the heat sink's own outer side: lines whose first hit on the heat sink alone is near its extreme
        own, at = first_axis_hit(hs.triangles, np.zeros(len(hs.faces), dtype=np.int64), axis, sign, pts)
        extreme = hi[axis] if sign > 0 else -lo[axis]
        on_side = np.flatnonzero((own >= 0) & (at * sign >= extreme - 0.02 - tol))
        if not len(on_side):
            rows.append(Row("sides_exposed", f"heat-sink side {side} exposed", "no side face", "100 %", False,
                            "no heat-sink side face found"))
            continue
        first = m.scene.first_hit(axis, sign, pts[on_side], prefer=others)
        ok = np.isin(first, hs_ids)
        detail = f"{len(on_side)} rays on the side face"
        if not ok.all():
            names = {m.scene.names[i] if i >= 0 else "nothing" for i in first[~ok]}
            detail = f"{(~ok).sum()} of {len(ok)} rays hit {', '.join(sorted(names))} before the heat sink"
        rows.append(Row("sides_exposed", f"heat-sink side {side} exposed", f"{ok.mean() * 100:.2f} %", "100 %",
                        bool(ok.all()), detail))
    return rows


def coplanarity(m: Model, tol: float, max_angle_deg: float = 0.1) -> list[Row]:
    """Each heat-sink side face and the encapsulant's side edge on that side lie in one plane."""
    hs = [b for g in m.groups("heat_sink") for b in m.blocks[g]]
    enc = [b for g in m.groups("encapsulant") for b in m.blocks[g]]
    rows = []
    for side in AXES:
        th, nh, ah = side_faces_of(hs, side)
        te, ne, ae = side_faces_of(enc, side)
        if not len(th) or not len(te):
            missing = "heat sink" if not len(th) else "encapsulant"
            rows.append(Row("coplanar_sides", f"coplanar side {side}", "n/a", um(tol), False,
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
        rows.append(Row("coplanar_sides", f"coplanar side {side}", f"{um(off)}, {angle:.3f}°",
                        f"{um(tol)}, {max_angle_deg}°", ok, detail))
    return rows


def footprint(m: Model, tol: float) -> list[Row]:
    """Claims 2 / 13: the heat sink's footprint equals the chip carrier's (QFN: die pad + leads)."""
    h, c = m.bounds("heat_sink")[:, :2], m.bounds("carrier")[:, :2]
    edge = float(np.abs(h - c).max())
    area = float(np.prod(h[1] - h[0]) - np.prod(c[1] - c[0]))
    ok = edge <= tol
    detail = (f"heat sink {h[1, 0] - h[0, 0]:.4f} x {h[1, 1] - h[0, 1]:.4f}, carrier "
              f"{c[1, 0] - c[0, 0]:.4f} x {c[1, 1] - c[0, 1]:.4f} mm; largest edge offset {um(edge)}")
    return [Row("footprint_equal", "footprint = carrier footprint", f"Δarea {area:+.5f} mm²", f"edges {um(tol)}", ok,
                detail)]


# ---------------------------------------------------------------------------------------- materials
def interface_material(m: Model, tol: float) -> list[Row]:
    """Interface layer of an allowed material (3 / 14) adhering to mold compound less than the heat sink."""
    il, hs = m.material_of("interface_layer"), m.material_of("heat_sink")
    ok = il in INTERFACE_MATERIALS
    rows = [Row("interface_material", "interface-layer material allowed", str(il), "/".join(INTERFACE_MATERIALS),
                ok, "" if ok else f"{il!r} is not gold, chromium, nickel, their alloy or PTFE")]
    a_il = MATERIALS[il].mold_adhesion if il in MATERIALS else float("nan")
    a_hs = MATERIALS[hs].mold_adhesion if hs in MATERIALS else float("nan")
    ok = bool(a_il < a_hs)
    rows.append(Row("interface_adheres_less", "interface layer adheres less than first surface",
                    f"{a_il:.2f} < {a_hs:.2f}", "strictly lower", ok,
                    f"mold adhesion {il} {a_il:.2f}, {hs} {a_hs:.2f}"))
    return rows


# ------------------------------------------------------------------------------------------ texture
def texture(m: Model, tol: float) -> list[Row]:
    """Claims 9 / 19: the first surface is roughened, corrugated or uneven: true / projected area > 1."""
    kind = m.embodiment.get("first_surface", "flat")
    if kind == "flat":
        return []
    hs = m.numpy_mesh("heat_sink")
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
    return [Row("first_surface_textured", f"first surface {kind}", f"area ratio {ratio:.4f}", "> 1", ratio > 1 + 1e-6,
                "true / projected area of the first surface (connecting portion excluded)")]
