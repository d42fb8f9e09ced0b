"""manifest.json: what a folder holds and what was built, for people and for every reader of outputs
(``pkgcad check``, views, report, thermal, KiCad, sweeps). Its schema is :class:`pkgcad.reader.schema.Manifest`;
the writer validates against it before writing."""

from __future__ import annotations

from typing import Any

import numpy as np
import trimesh

from .. import __version__, claims
from ..layout import Layout, Sites
from ..materials import mass_g
from ..package import Package
from ..roles import Role
from .options import MeshQuality


def part_rows(pkg: Package, local_bounds: dict[str, np.ndarray] | None = None) -> list[dict[str, Any]]:
    """One summary row per part definition; ``local_bounds`` maps part names to their mesh's (2, 3) bounds."""
    rows = []
    for p in pkg.parts:
        v = p.volume()
        lo, hi = p.bbox((local_bounds or {}).get(p.name))
        rows.append({
            "name": p.name,
            "role": str(p.role),
            "material": p.material,
            "group": p.group,
            "count": p.count,
            "instances": [pl.name for pl in p.placements],
            "volume_mm3": round(v, 9),
            "volume_total_mm3": round(v * p.count, 9),
            "mass_g": round(mass_g(p.material, v * p.count), 9),
            "bbox_mm": [lo, hi],
        })
    return rows


def _array(sites: Sites | None) -> dict[str, Any] | None:
    if sites is None or sites.grid is None:
        return None
    return {"requested": sites.requested, "realised": sites.realised, "grid": [sites.grid.nx, sites.grid.ny],
            "pitch_mm": sites.grid.pitch, "peripheral_rows": sites.grid.rows}


def layout_section(lay: Layout) -> dict[str, Any]:
    """The layout facts readers use: wire end points, the arrays (requested vs realised), the footprint."""
    return {
        "footprint_mm": list(lay.footprint),
        "wires": [{"name": w.name, "start": list(w.start), "end": list(w.end)} for w in lay.wires],
        "bumps": _array(lay.bumps),
        "balls": _array(lay.balls),
        "texture": {"kind": lay.texture.kind, "features": lay.texture.count},
        "connecting_portion_mm": list(lay.connecting_portion) if lay.connecting_portion else None,
    }


def manifest(pkg: Package, files: dict[str, int], timings: dict[str, float], quality: MeshQuality,
             meshes: dict[str, trimesh.Trimesh] | None = None, step_mode: str = "assembly") -> dict[str, Any]:
    lay, spec = pkg.layout, pkg.spec
    emb = claims.embodiment(spec)
    rows = part_rows(pkg, {k: m.bounds for k, m in (meshes or {}).items()})
    return {
        "tool": "pkgcad",
        "version": __version__,
        "units": {"length": "mm", "volume": "mm^3", "mass": "g"},
        "name": pkg.name,
        "title": spec.meta.title,
        "claims": list(claims.embodied(emb)),
        "embodiment": emb.as_dict(),
        "parameters": spec.model_dump(mode="json"),
        "realized": {
            "wires": pkg.count(Role.WIRE),
            "bumps": pkg.count(Role.BUMP),
            "balls": pkg.count(Role.BALL),
            "leads": sum(p.count for p in pkg.parts if p.name == "lead"),
            "texture_features": lay.texture.count,
        },
        "stack_mm": dict(vars(lay.stack)),
        "layout": layout_section(lay),
        "parts": rows,
        "totals": {
            "instances": pkg.instance_count(),
            "volume_mm3": round(sum(r["volume_total_mm3"] for r in rows), 6),
            "mass_g": round(sum(r["mass_g"] for r in rows), 6),
        },
        "mesh_quality": {"name": quality.name, "linear_mm": quality.linear, "angular_rad": quality.angular},
        "step_mode": step_mode,
        "files": [{"path": p, "bytes": n} for p, n in sorted(files.items())],
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
    }
