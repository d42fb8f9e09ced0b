"""Write a KiCad library folder: ``LIB.pretty`` (footprints), ``LIB.3dshapes`` (STEP + WRL), README.md.

All land patterns are computed (and any impossible one refused, :class:`InputError`) before anything is
written; the folder is written in a staged temporary folder that replaces ``out`` only when complete, and only
if ``out`` is absent, empty or an earlier ``pkgcad kicad`` library (it holds our marker file).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import InputError
from ..export.outpath import check_output_folder
from ..layout import Layout
from . import footprint, readme, source
from .land import Land, land
from .vrml import write_wrl

MARKER = ".pkgcad-kicad.json"


@dataclass(frozen=True)
class Options:
    lib: str = "pkgcad"
    density: str = "N"
    wrl: bool = True
    thermal_vias: bool = False
    model_dir: str = "${KIPRJMOD}"  # what the model lines start with
    quality: str = "draft"  # WRL tessellation (pkgcad's --quality; 0.02 mm is plenty on screen)
    jobs: int = 0  # processes for the models (0: one per core, at most one per model)


def check_lib_name(name: str) -> None:
    if not name or any(c in name for c in '/\\:"*?<>| ') or name.startswith("."):
        raise InputError("--lib", name, "a KiCad library nickname: letters, digits, '-', '_', '.'; no spaces or "
                        "path characters")


def plan(lays: list[Layout], options: Options) -> list[tuple[Layout, Land]]:
    """Every footprint of the library, named; raises :class:`InputError` for the first impossible one. Two
    packages that would get one name (same outside, different inside) each get their template name appended."""
    check_lib_name(options.lib)
    lands = [(lay, land(lay, options.density, options.thermal_vias)) for lay in lays]
    seen = Counter(ld.name for _lay, ld in lands)
    for lay, ld in lands:
        if seen[ld.name] > 1:
            ld.name += f"_{lay.spec.meta.name}"
            ld.model_name += f"_{lay.spec.meta.name}"
    return lands


def model_job(job: tuple[Layout, Path, bool, str]) -> dict[str, Any]:
    """Build one package and write ``<base>.step`` (and ``.wrl``) with z = 0 on the board top; seconds taken.
    A top-level function, so a process pool can run it."""
    lay, base, wrl, quality = job
    t0 = time.perf_counter()
    pkg = source.lifted(source.build(lay), source.board_lift(lay))
    t1 = time.perf_counter()
    source.write_step(pkg, base.with_name(base.name + ".step"))
    t2 = time.perf_counter()
    out: dict[str, Any] = {"seconds": {"build": round(t1 - t0, 3), "step": round(t2 - t1, 3)}}
    if wrl:
        out["wrl"] = write_wrl(pkg, base.with_name(base.name + ".wrl"), quality)
        out["seconds"]["wrl"] = round(time.perf_counter() - t2, 3)
    return out


def _run_models(jobs: list[tuple[Layout, Path, bool, str]], n: int,
                say: Callable[[str], None]) -> dict[str, dict[str, Any]]:
    """:func:`model_job` for every job, in up to ``n`` processes (spawned: OCCT's thread pool does not survive a
    fork); keyed by model name."""
    n = min(n or os.cpu_count() or 1, len(jobs))
    results: dict[str, dict[str, Any]] = {}
    if n <= 1:
        for job in jobs:
            say(f"{job[0].spec.meta.name}: building, writing STEP{' and WRL' if job[2] else ''}")
            results[job[1].name] = model_job(job)
        return results
    with ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(model_job, job): job[1].name for job in jobs}
        for k, fut in enumerate(as_completed(futures), 1):
            results[futures[fut]] = fut.result()
            say(f"{k}/{len(jobs)} models written ({n} processes)")
    return results


def write_library(lays: list[Layout], out: Path, options: Options,
                  progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Write the library of the packages ``lays`` into ``out``; returns what went in (also written as the marker
    file)."""
    say = progress or (lambda _stage: None)
    lands = plan(lays, options)
    check_output_folder(out, "kicad")  # before any work: the output guard
    lib = options.lib
    entries: list[dict[str, Any]] = []
    with source.staged_dir(out) as tmp:
        pretty, shapes = tmp / f"{lib}.pretty", tmp / f"{lib}.3dshapes"
        pretty.mkdir()
        shapes.mkdir()
        jobs: dict[str, tuple[Layout, Path, bool, str]] = {}
        for lay, ld in lands:
            ext = "wrl" if options.wrl else "step"
            model = f"{options.model_dir}/{lib}.3dshapes/{ld.model_name}.{ext}"
            (pretty / f"{ld.name}.kicad_mod").write_text(footprint.kicad_mod(ld, model), encoding="utf-8")
            entries.append({"template": lay.spec.meta.name, "footprint": ld.name, "model": ld.model_name,
                            "kind": ld.kind, "pins": ld.pin_count, "copper_pads": len(ld.copper()),
                            "lift_mm": source.board_lift(lay)})
            jobs.setdefault(ld.model_name, (lay, shapes / ld.model_name, options.wrl, options.quality))
        done = _run_models(list(jobs.values()), options.jobs, say)
        for entry in entries:
            entry.update(done[entry["model"]])
        (tmp / "README.md").write_text(readme.text(lib, options, [ld for _lay, ld in lands]), encoding="utf-8")
        summary = {"tool": "pkgcad kicad", "version": __version__, "units": "mm", "library": lib,
                   "density": options.density, "thermal_vias": options.thermal_vias, "wrl": options.wrl,
                   "model_dir": options.model_dir, "footprints": entries}
        (tmp / MARKER).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary
