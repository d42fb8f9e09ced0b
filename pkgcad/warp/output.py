"""Files of a warp run: warp.json (the stable names), warp.vtu (ParaView: displacement per temperature, von Mises
per temperature, part ids) and deformed.png (a section through the middle, the displacement exaggerated by a stated
factor, coloured by the vertical displacement in um). Written into a folder the caller owns (a staged folder).

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


def deformed_png(path: Path, run: WarpRun, index: int = 0) -> dict[str, Any]:
    """The package seen from the side (-y): every mesh vertex at its deformed place, the displacement exaggerated
    so that the vertical displacement's range is a fifth of the package's thickness, coloured by it (um)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    r = run.results[index]
    p, u = run.mesh.mesh.p, r.displacement
    height = float(p[2].max() - p[2].min())
    span = float(u[:, 2].max() - u[:, 2].min()) or 1.0
    factor = float(f"{0.2 * height / span:.2g}")
    near = np.argsort(-p[1])  # the front (low y) drawn last, on top
    fig, ax = plt.subplots(figsize=(9, 3.2), dpi=120)
    sc = ax.scatter(p[0, near] + factor * u[near, 0], p[2, near] + factor * u[near, 2], c=1000.0 * u[near, 2], s=3,
                    cmap="coolwarm")
    ax.scatter(p[0, near], p[2, near], s=0.3, c="0.75", zorder=0)
    fig.colorbar(sc, ax=ax, label="vertical displacement (um)")
    ax.set_xlabel("x (mm)")
    ax.set_ylabel("z (mm)")
    ax.set_title(f"{run.model.name} at {r.temperature_c:g} degC (stress-free {run.stress_free_c:g}), seen from -y: "
                 f"displacement x {factor:g}; board-side warpage {r.warpage_board_um:+.1f} um", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return {"file": path.name, "exaggeration": factor, "temperature_c": r.temperature_c, "view": "from -y"}


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
