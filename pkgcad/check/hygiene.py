"""File hygiene: every part file closed, consistently wound, with the volume the manifest states."""

from __future__ import annotations

from ..reader.folder import OutputFolder as Model
from .geom import closed_and_oriented
from .rows import Row

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
        rows.append(Row("", f"mesh {group}", f"{vol:.5f} mm³ ({rel * 100:+.2f} %)", f"{vtol * 100:.0f} %",
                        not problems, "; ".join(problems) or "watertight, consistent winding"))
    return rows
