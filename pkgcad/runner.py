"""Build one layout into one folder and say how it went: the unit of work of ``pkgcad build``, serial or in a
pool of processes. Kept free of printing so it can run in a worker; a result carries the lines to print.

The build options are validated here (:func:`make_options`), in the library, not in the CLI.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .export.options import QUALITIES, STEP_MODES
from .layout import Layout

MAX_JOBS = 64


@dataclass(frozen=True)
class Options:
    quality: str = "normal"
    compress: bool = False
    step_mode: str = "assembly"  # see export.options.STEP_MODES


def make_options(quality: str = "normal", compress: bool = False, step_mode: str = "assembly") -> Options:
    """Build options, or an :class:`InputError` naming the option and the choices."""
    if quality not in QUALITIES:
        raise InputError("--quality", quality, f"choose one of {' | '.join(QUALITIES)}")
    if step_mode not in STEP_MODES:
        raise InputError("--step-mode", step_mode, f"choose one of {' | '.join(STEP_MODES)}")
    return Options(quality, compress, step_mode)


def check_jobs(jobs: int | None) -> None:
    if jobs is not None and not 1 <= jobs <= MAX_JOBS:
        raise InputError("--jobs", jobs, f"allowed 1 to {MAX_JOBS}")


@dataclass
class Result:
    name: str
    dest: Path
    code: int = 0  # 0 built, 1 the geometry kernel failed
    summary: str = ""
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def build_to(lay: Layout, dest: Path, options: Options, progress: Callable[[str], None] | None = None) -> Result:
    """Build ``lay`` and write it into ``dest``; never raises for a kernel failure (``code`` 1 instead)."""
    from .errors import GeometryError
    from .export.writer import write_package
    from .geometry import build_package

    t0 = time.perf_counter()
    name = lay.spec.meta.name
    res = Result(name, dest, notes=lay.notes())
    try:
        pkg = build_package(lay, progress=progress)
        manifest = write_package(pkg, dest, QUALITIES[options.quality], compress=options.compress,
                                 step_mode=options.step_mode, progress=progress)
    except GeometryError as exc:
        res.code, res.summary = 1, f"{name}: {exc}"
        return res
    except (InputError, KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # an OCCT failure deep inside a builder or exporter
        res.code, res.summary = 1, f"{name}: could not build the model: {type(exc).__name__}: {exc}"
        return res
    res.seconds = time.perf_counter() - t0
    size = sum(f["bytes"] for f in manifest["files"])
    res.summary = (f"{name}: {len(pkg.parts)} parts, {pkg.instance_count()} instances, "
                   f"{manifest['totals']['mass_g']:.4f} g -> {dest} ({size / 1e6:.1f} MB, {res.seconds:.1f} s)")
    return res


def build_job(job: tuple[Layout, Path, Options]) -> Result:
    """``build_to`` for a process pool."""
    return build_to(*job)


def build_many(work: list[tuple[Layout, Path, Options]], jobs: int,
               done: Callable[[Result], None] | None = None) -> list[Result]:
    """Every build of ``work`` in ``jobs`` processes; ``done`` hears each result as it comes. Results in the
    order of ``work``."""
    results: dict[int, Result] = {}
    # spawn, not fork: OCCT's thread pool does not survive a fork once this process has used it
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(jobs, len(work)), mp_context=ctx) as pool:
        futures = {pool.submit(build_job, w): i for i, w in enumerate(work)}
        for fut in as_completed(futures):
            i = futures[fut]
            results[i] = fut.result()
            if done:
                done(results[i])
    return [results[i] for i in range(len(work))]
