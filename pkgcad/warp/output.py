"""Files of a warp run: warp.json (the stable names), warp.vtu (ParaView: displacement per temperature, von Mises
per temperature, part ids) and deformed.png (a section through the middle drawn deformed, the displacement
exaggerated by a stated factor, coloured by the vertical displacement in um, every part outlined and named).
Written into a folder the caller owns (a staged folder).

The JEDEC / JEITA allowance for the ball pitch is written beside the result (:func:`allowance`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import meshio
import numpy as np

from pkgcad.layout import Layout
from pkgcad.warp.run import CORNER_DISTANCE_MM, WarpRun

ALLOWANCES = (
    (1.0, -200.0, 200.0, "about 0.2 mm at 1.0 mm pitch and above (JEDEC / JEITA ED-7306 published values)"),
    (0.8, -140.0, 230.0, "-0.14 / +0.23 mm at 0.8 mm pitch (JEDEC); JEITA ED-7306 +-0.17 mm"),
)
"""(least pitch mm, concave limit um, convex limit um, what it is), largest pitch first: the values issue 21 quotes
from JEDEC and JEITA ED-7306; below 0.8 mm pitch none is given here."""


def allowance(lay: Layout) -> dict[str, Any] | None:
    """The warpage allowance for the package's ball pitch (um, signed as warpage_board_um), None without balls or
    below 0.8 mm pitch."""
    balls = lay.balls
    if balls is None or balls.grid is None or not balls.realised:
        return None
    pitch = balls.grid.pitch
    for least, lo, hi, what in ALLOWANCES:
        if pitch >= least - 1e-9:
            return {"ball_pitch_mm": pitch, "concave_limit_um": lo, "convex_limit_um": hi, "source": what}
    return None


def summary(run: WarpRun, lay: Layout) -> dict[str, Any]:
    """warp.json's content (without the parts table)."""
    allow = allowance(lay)
    rows = []
    for r in run.results:
        d = r.to_dict()
        if allow is not None:
            d["within_allowance"] = allow["concave_limit_um"] <= r.warpage_board_um <= allow["convex_limit_um"]
        rows.append(d)
    fm = run.mesh
    return {
        "package": run.model.name,
        "units": {"length": "mm", "warpage": "um", "stress": "MPa", "temperature": "degC"},
        "stress_free_c": run.stress_free_c,
        "sign": "warpage_board_um and warpage_top_um: + convex (the corners down, the middle up, package upright; "
                "JESD22-B112), - concave",
        "supports": "free body; 3-2-1 supports remove the rigid-body modes only (their reaction is reported)",
        "bond_stress_corner_distance_mm": CORNER_DISTANCE_MM,
        "allowance": allow,
        "temperatures": rows,
        "parts": [{"part_id": i, "name": n, "material": run.model.parts[n].label} for i, n in enumerate(fm.part_names)],
        "mesh": {"preset": run.preset, "tetrahedra": fm.n_elements, "vertices": fm.n_nodes,
                 "elements": "quadratic tetrahedra (P2) on the pipeline's mesh"},
        "notes": list(run.model.notes),
        "seconds": run.seconds,
    }


def write_vtu(path: Path, run: WarpRun) -> None:
    fm = run.mesh
    mesh = meshio.Mesh(
        points=fm.mesh.p.T,
        cells=[("tetra", fm.mesh.t.T.astype(np.int64))],
        point_data={f"u_{r.temperature_c:g}C_mm": r.displacement for r in run.results},
        cell_data={"part_id": [fm.part_of_element.astype(np.int32)],
                   **{f"von_mises_{r.temperature_c:g}C_MPa": [r.von_mises] for r in run.results}},
    )
    meshio.write(path, mesh, file_format="vtu")


def deformed_png(path: Path, run: WarpRun, index: int = 0, max_aspect: float = 3.0,
                 width_px: int = 1400) -> dict[str, Any]:
    """A section through the package's middle (the x-z plane at the centre y) drawn deformed: every point of the
    section moved by its displacement (less the section's mean: the rigid translation the supports fix) times a
    stated factor (the vertical displacement's range drawn as a fifth of the package's thickness), coloured by the
    vertical displacement (um), every part outlined and named where the
    deformed section puts it, the undeformed outline dashed behind. z is drawn exaggerated (packages are flat) and
    the axis says by how much; the factor multiplies both displacement components, so shapes stay true to the
    solution."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pkgcad.solvers.plane import outline_parts, sample_plane

    r = run.results[index]
    fm = run.mesh
    p, u = fm.mesh.p, r.displacement
    height = float(p[2].max() - p[2].min())
    span = float(u[:, 2].max() - u[:, 2].min()) or 1.0
    factor = float(f"{0.2 * height / span:.2g}")
    at = 0.5 * float(p[1].min() + p[1].max())
    u0, u1, z0, z1 = float(p[0].min()), float(p[0].max()), float(p[2].min()), float(p[2].max())
    # room for the deformed shape: the largest displacement drawn, on every side
    pad = factor * float(np.abs(u[:, [0, 2]] - u[:, [0, 2]].mean(axis=0)).max())
    stretch = max(1.0, (u1 - u0) / max(z1 - z0, 1e-12) / max_aspect)
    nu = width_px
    nz = max(80, round(nu * (z1 - z0) * stretch / (u1 - u0)))
    gu, gz = np.linspace(u0, u1, nu), np.linspace(z0, z1, nz)
    sampled, part = sample_plane(fm, u[:, [0, 2]], "y", at, gu, gz)  # x and z displacement in one pass
    ux, uz = sampled[..., 0], sampled[..., 1]
    # the supports fix a rigid translation that means nothing: the section's mean displacement is taken off, so the
    # deformed section sits over the undeformed one and the colours read up (+) and down (-) from its mean
    ux, uz = ux - np.nanmean(ux), uz - np.nanmean(uz)
    grid_u, grid_z = np.meshgrid(gu, gz)
    x_drawn = grid_u + factor * np.nan_to_num(ux)
    z_drawn = grid_z + factor * np.nan_to_num(uz)
    fig, ax = plt.subplots(figsize=(12, 12 / max_aspect * 0.9 + 1.6), dpi=120)
    ax.contour(np.pad(grid_u, 1, mode="edge"), np.pad(grid_z, 1, mode="edge"), np.pad(part >= 0, 1).astype(float),
               levels=[0.5], colors="0.6", linewidths=0.7, linestyles="dashed")
    shown = ax.pcolormesh(x_drawn, z_drawn, np.ma.masked_invalid(1000.0 * uz), shading="nearest", cmap="coolwarm",
                          rasterized=True)
    named = outline_parts(ax, part, gu, gz, fm.part_names, color="black", du=factor * ux, dz=factor * uz)
    bar = fig.colorbar(shown, ax=ax, orientation="horizontal", shrink=0.6, pad=0.16, aspect=40)
    bar.set_label("vertical displacement from the section's mean (um)")
    ax.set_aspect(stretch)
    ax.set_xlim(u0 - pad - 0.02 * (u1 - u0), u1 + pad + 0.02 * (u1 - u0))
    ax.set_ylim(z0 - pad - 0.05 * (z1 - z0), z1 + pad + 0.05 * (z1 - z0))
    ax.set_xlabel(f"x (mm), section at y = {at:.3f} mm (the middle); dashed: undeformed")
    ax.set_ylabel(f"z (mm, drawn x{stretch:.1f})" if stretch > 1 else "z (mm)")
    ax.set_title(f"{run.model.name} at {r.temperature_c:g} degC (stress-free {run.stress_free_c:g} degC): "
                 f"displacement drawn x {factor:g}; board-side warpage {r.warpage_board_um:+.1f} um "
                 f"({'convex' if r.warpage_board_um > 0 else 'concave'})", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return {"file": path.name, "exaggeration": factor, "z_drawn": stretch, "temperature_c": r.temperature_c,
            "view": f"section at y = {at:.3f} mm, seen from -y", "parts": named}


def write_all(directory: Path, run: WarpRun, lay: Layout) -> list[Path]:
    """warp.json, warp.vtu and deformed.png into ``directory`` (which must exist)."""
    doc = summary(run, lay)
    written = [directory / "warp.json", directory / "warp.vtu", directory / "deformed.png"]
    write_vtu(written[1], run)
    doc["vtu"] = {"file": written[1].name, "point_data": "u_<T>C_mm: displacement (mm) per temperature",
                  "cell_data": "part_id indexes 'parts'; von_mises_<T>C_MPa at element centroids"}
    doc["picture"] = deformed_png(written[2], run)
    doc["parameters"] = lay.spec.model_dump(mode="json")
    written[0].write_text(json.dumps(doc, indent=2) + "\n")
    return written


def summary_lines(d: dict[str, Any]) -> list[str]:
    """What `pkgcad warp` prints."""
    allow = d["allowance"]
    lines = [f"{d['package']}: stress-free at {d['stress_free_c']:g} degC; warpage + convex (corners down), um"]
    if allow is not None:
        lines.append(f"  allowance at {allow['ball_pitch_mm']:g} mm ball pitch: {allow['concave_limit_um']:+g} / "
                     f"{allow['convex_limit_um']:+g} um ({allow['source']})")
    lines.append("   T degC   board um   top um   chip s1 MPa   bond shear MPa   heat sink vM MPa")
    for r in d["temperatures"]:
        bond = f"{r['bond_shear_max_mpa']:14.1f}" if r["bond_shear_max_mpa"] is not None else "           n/a"
        hs = f"{r['heat_sink_von_mises_max_mpa']:16.1f}" if r["heat_sink_von_mises_max_mpa"] is not None else (
            "             n/a")
        ok = "" if "within_allowance" not in r else ("  ok" if r["within_allowance"] else "  OUTSIDE allowance")
        lines.append(f"  {r['temperature_c']:7g}  {r['warpage_board_um']:+9.1f}  {r['warpage_top_um']:+7.1f}  "
                     f"{r['chip_stress_max_mpa']:12.1f}  {bond}  {hs}{ok}")
    m = d["mesh"]
    lines.append(f"  mesh {m['preset']}: {m['tetrahedra']:,} tetrahedra (P2); {d['seconds']['total']:.1f} s")
    return lines
