"""Build one spec into one folder and say how it went: the unit of work of the CLI, serial or parallel.

Kept free of printing so it can run in a worker process; the result carries the lines to print.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .export_options import QUALITIES
from .spec import PackageSpec


@dataclass(frozen=True)
class Options:
    quality: str = "normal"
    compress: bool = False
    step_mode: str = "assembly"  # see export_options.STEP_MODES


@dataclass
class Result:
    name: str
    dest: Path
    code: int = 0  # 0 built, 1 the geometry kernel failed
    summary: str = ""
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def build_to(spec: PackageSpec, dest: Path, options: Options, progress: Callable[[str], None] | None = None) -> Result:
    """Build ``spec`` and write it into ``dest``; never raises for a kernel failure (``code`` 1 instead)."""
    from .build import BuildError, build_package
    from .export import write_package

    t0 = time.perf_counter()
    res = Result(spec.meta.name, dest)
    try:
        pkg = build_package(spec, progress=progress)
        manifest = write_package(pkg, dest, QUALITIES[options.quality], compress=options.compress,
                                 step_mode=options.step_mode, progress=progress)
    except BuildError as exc:
        res.code, res.summary = 1, f"{spec.meta.name}: {exc}"
        return res
    except Exception as exc:  # an OCCT failure deep inside a builder or exporter
        res.code, res.summary = 1, f"{spec.meta.name}: could not build the model: {type(exc).__name__}: {exc}"
        return res
    for part in pkg.parts:
        asked = part.info.get("requested")
        if asked is not None and asked != part.count:
            nx, ny = part.info["array"]
            res.notes.append(f"note: {part.role}s.count = {asked} met by the nearest array that fits: "
                             f"{part.count} ({nx} x {ny}{', peripheral' if part.info['rows'] else ''})")
    res.seconds = time.perf_counter() - t0
    size = sum(f["bytes"] for f in manifest["files"])
    res.summary = (f"{spec.meta.name}: {len(pkg.parts)} parts, {pkg.instance_count()} instances, "
                   f"{manifest['totals']['mass_g']:.4f} g -> {dest} ({size / 1e6:.1f} MB, {res.seconds:.1f} s)")
    return res


def build_job(job: tuple[PackageSpec, Path, Options]) -> Result:
    """``build_to`` for a process pool."""
    return build_to(*job)
