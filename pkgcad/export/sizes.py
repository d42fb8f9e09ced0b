"""What each ``--quality`` gives for one model: triangles, STL and GLB sizes and export times, measured by
exporting the meshes for real into a scratch folder (``pkgcad show --sizes``)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import interrupts
from ..package import Package
from .options import QUALITIES
from .writer import write_package


def measure_qualities(pkg: Package, progress: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """One row per quality: chordal deviation [mm] and angle [rad], triangles of the whole-package STL, bytes
    of all STL files with every instance (``--stl all``: per part + whole package) and of the GLB, and seconds
    to tessellate and write them."""
    say = progress or (lambda _stage: None)
    rows = []
    with tempfile.TemporaryDirectory(prefix="pkgcad-quality-") as tmp:
        interrupts.register(tmp)  # gigabytes, for a big model: removed on Ctrl-C too
        for q in QUALITIES.values():
            say(f"measuring quality {q.name}")
            data = write_package(pkg, Path(tmp) / q.name, q, formats=("stl", "glb"), stl="all")
            files = {f["path"]: f["bytes"] for f in data["files"]}
            t = data["timings_s"]
            rows.append({
                "quality": q.name,
                "linear_mm": q.linear,
                "angular_rad": q.angular,
                "triangles": (files[f"{pkg.name}.stl"] - 84) // 50,
                "stl_bytes": sum(n for p, n in files.items() if p.endswith(".stl")),
                "glb_bytes": files[f"{pkg.name}.glb"],
                "seconds": round(t["tessellate_s"] + t["stl_s"] + t["glb_s"], 3),
            })
        interrupts.unregister(tmp)
    return rows
