"""The naive way, for comparison only: how package generators commonly build a model.

Every instance is its own copied solid (no instancing), the encapsulant is cut one tool at a time, and all parts
are united one at a time into ONE fused solid, which is written to STEP and STL. Same parts, same shapes, same
tolerances as pkgcad; only the way of building and writing differs. Used by ``bench/scale.py --naive``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import cadquery as cq
from OCP.BRepBuilderAPI import BRepBuilderAPI_Copy

from pkgcad.export.options import MeshQuality
from pkgcad.geometry.encapsulant import held_parts, mold
from pkgcad.package import Package


def copies(pkg: Package) -> list[cq.Shape]:
    """Every instance as its own solid (a deep copy, so nothing is shared)."""
    return [cq.Shape.cast(BRepBuilderAPI_Copy(s.wrapped).Shape())
            for p in pkg.parts if p.role != "encapsulant"
            for s in p.placed()]


def naive(pkg: Package, out: Path, quality: MeshQuality) -> dict[str, Any]:
    """Build ``pkg``'s parts the naive way into ``out`` (STEP + STL). Returns seconds per stage and sizes."""
    t0 = time.perf_counter()
    envelope, tools = mold(pkg.layout, held_parts(pkg.layout, pkg.parts))
    enc = envelope
    for tool in tools:  # one cut per tool
        enc = enc.cut(cq.Shape.cast(BRepBuilderAPI_Copy(tool.wrapped).Shape()))
    t1 = time.perf_counter()
    parts = copies(pkg)
    body = enc
    for s in parts:  # one union per instance
        body = body.fuse(s)
    t2 = time.perf_counter()
    step = out / "naive.step"
    cq.exporters.export(cq.Workplane().add(body), str(step), opt={"write_pcurves": False})
    t3 = time.perf_counter()
    stl = out / "naive.stl"
    body.exportStl(str(stl), tolerance=quality.linear, angularTolerance=quality.angular, relative=False)
    t4 = time.perf_counter()
    return {"encapsulant_s": t1 - t0, "union_s": t2 - t1, "step_s": t3 - t2, "stl_s": t4 - t3,
            "total_s": t4 - t0, "step_bytes": step.stat().st_size, "triangles": (stl.stat().st_size - 84) // 50}
