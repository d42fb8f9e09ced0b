"""Checks every piece must pass before a kit is written: printable meshes, not just pretty ones."""

from __future__ import annotations

from typing import Any

import manifold3d as mf
import trimesh

from ..errors import GeometryError
from .solids import MIN_HEIGHT, _heights, to_manifold

#: How far above z = 0 the lowest point may lie [mm].
Z_TOL = 1e-6


def mesh_report(mesh: trimesh.Trimesh, what: str, one_shell: bool = True) -> dict[str, Any]:
    """The checks as a dict for kit.json; raises :class:`~pkgcad.errors.GeometryError` naming the first that fails."""
    heights, _lengths = _heights(mesh.vertices, mesh.faces)
    degenerate = int((heights < MIN_HEIGHT).sum())
    shells = int(mesh.body_count)
    try:
        status = to_manifold(mesh, what).status()
    except GeometryError:
        status = mf.Error.NotManifold
    report = {
        "watertight": bool(mesh.is_watertight),
        "winding_consistent": bool(mesh.is_winding_consistent),
        "degenerate_faces": degenerate,
        "shells": shells,
        "genus": int((2 - mesh.euler_number) // 2) if shells == 1 else None,
        "volume_mm3": round(float(mesh.volume), 3),
        "min_z_mm": round(float(mesh.bounds[0, 2]), 9),
        "manifold3d": status.name,
        "triangles": len(mesh.faces),
    }
    problems = []
    if not report["watertight"]:
        problems.append("not watertight")
    if not report["winding_consistent"]:
        problems.append("inconsistent winding")
    if degenerate:
        problems.append(f"{degenerate} degenerate triangles")
    if one_shell and shells != 1:
        problems.append(f"{shells} shells")
    if not mesh.volume > 0:
        problems.append("volume not positive")
    if abs(mesh.bounds[0, 2]) > Z_TOL:
        problems.append(f"lowest point at z = {mesh.bounds[0, 2]:.6g} mm, not on the bed")
    if status != mf.Error.NoError:
        problems.append(f"manifold3d: {status.name}")
    if problems:
        raise GeometryError(what, ", ".join(problems))
    return report
