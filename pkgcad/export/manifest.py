"""manifest.json: what a folder holds and what was built, for people and for every reader of outputs
(``pkgcad check``, views, report, thermal, KiCad, sweeps). Its schema is :class:`pkgcad.reader.schema.Manifest`;
the writer validates against it before writing."""

from __future__ import annotations

from typing import Any

from .. import __version__, claims
from ..layout import Layout, Sites
from ..materials import mass_g
from ..package import Package, Part
from ..roles import Role
from ..tessellate import TiledMesh
from .options import MeshQuality

PARTS_LAYOUT = {"instanced": "instanced", "whole": "instanced", "parts": "every instance", "all": "every instance"}
"""How each ``--stl`` mode lays out the part files (see :func:`stl_layout`)."""


def part_rows(pkg: Package, meshes: dict[str, TiledMesh] | None = None, stl: bool = False) -> list[dict[str, Any]]:
    """One summary row per part definition; ``meshes`` (the parts' meshes) give the boxes, and with ``stl`` the
    rows say how the part's triangles lie in its group's STL (see :func:`stl_layout`)."""
    rows = []
    for p in pkg.parts:
        v = p.volume()
        tm = (meshes or {}).get(p.name)
        lo, hi = p.bbox(tm.bounds if tm is not None else None)
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
            **(stl_layout(p, tm) if stl and tm is not None else {}),
        })
    return rows


def stl_layout(part: Part, tm: TiledMesh) -> dict[str, Any]:
    """How ``part``'s triangles lie in ``parts/<group>.stl``, so a reader can judge one instance (or one
    distinct tile) and the shifts instead of walking every triangle. The group's file holds its parts in
    manifest order; with ``parts_layout`` "every instance" each part's instances in ``instances`` order (the
    reader proves them copies), with "instanced" each part's mesh ONCE, at its first placement (a tiled part:
    each distinct piece once, in piece order, at its first use):

    - ``triangles``: per instance, in the same order in every instance;
    - ``placements``: [x, y, z, angle_deg] per instance (mm, degrees): the instance is the part's own mesh turned
      by angle_deg about +z, then shifted by (x, y, z);
    - ``tiles`` (a part meshed in tiles): ``piece_triangles`` per distinct tile piece and ``uses`` [piece, dx, dy]
      in file order: the instance's triangles are those pieces shifted by (dx, dy) mm, one use after the other;
      a piece lacks the faces it shares with its neighbours, whose vertices are welded to theirs.
    """
    out: dict[str, Any] = {
        "triangles": tm.triangles,
        "placements": [[pl.x, pl.y, pl.z, pl.angle_deg] for pl in part.placements],
    }
    if tm.tiled:
        out["tiles"] = {"piece_triangles": [len(piece.faces) for piece, _shifts in tm.pieces],
                        "uses": [[k, dx, dy] for k, dx, dy in tm.uses]}
    return out


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
             meshes: dict[str, TiledMesh] | None = None, step_mode: str = "assembly", *,
             stl: str | None = None) -> dict[str, Any]:
    """The manifest's content; ``stl`` the ``--stl`` mode the part files were written in (None: none were)."""
    lay, spec = pkg.layout, pkg.spec
    emb = claims.embodiment(spec)
    rows = part_rows(pkg, meshes, stl is not None)
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
        **({"stl": stl, "parts_layout": PARTS_LAYOUT[stl]} if stl is not None else {}),
        "files": [{"path": p, "bytes": n} for p, n in sorted(files.items())],
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
    }
