"""What each ``--quality`` gives for one model: triangles, STL and GLB sizes and export times, measured by
exporting the meshes for real into a scratch folder (``pkgcad show --sizes``)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .. import interrupts
from ..package import Package
from .options import QUALITIES
from .writer import write_folder


@dataclass(frozen=True)
class QualitySizes:
    """What one ``--quality`` gives (see :func:`measure_qualities`); ``dataclasses.asdict`` is its JSON."""

    quality: str
    linear_mm: float
    angular_rad: float
    triangles: int
    stl_bytes: int
    glb_bytes: int
    seconds: float


def measure_qualities(pkg: Package, progress: Callable[[str], None] | None = None) -> list[QualitySizes]:
    """One row per quality: chordal deviation [mm] and angle [rad], triangles of the whole-package STL, bytes
    of all STL files with every instance (``--stl all``: per part + whole package) and of the GLB, and seconds
    to tessellate and write them."""
    say = progress or (lambda _stage: None)
    rows = []
    with tempfile.TemporaryDirectory(prefix="pkgcad-quality-") as tmp:
        interrupts.register(tmp)  # gigabytes, for a big model: removed on Ctrl-C too
        for q in QUALITIES.values():
            say(f"measuring quality {q.name}")
            written = write_folder(pkg, Path(tmp) / q.name, q, formats=("stl", "glb"), stl="all")
            files = {f.path: f.bytes for f in written.files}
            t = written.timings_s
            rows.append(QualitySizes(
                quality=q.name,
                linear_mm=q.linear,
                angular_rad=q.angular,
                triangles=(files[f"{pkg.name}.stl"] - 84) // 50,
                stl_bytes=sum(n for p, n in files.items() if p.endswith(".stl")),
                glb_bytes=files[f"{pkg.name}.glb"],
                seconds=round(t["tessellate_s"] + t["stl_s"] + t["glb_s"], 3),
            ))
        interrupts.unregister(tmp)
    return rows
