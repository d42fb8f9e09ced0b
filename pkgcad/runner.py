"""Build one layout into one folder and say how it went: the unit of work of ``pkgcad build``, serial or in a
pool of processes. Kept free of printing so it can run in a worker; a result carries the lines to print.

The build options are validated here (:func:`make_options`), in the library, not in the CLI.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import bounds
from .conformal.options import DEFAULT_SIZE as MESH_SIZE
from .errors import DiskFullError, GeometryError, InputError, kernel_failure
from .export.options import DEFAULT_STL, QUALITIES, STEP_MODES, STL_MODES, mesh_quality
from .export.outpath import (
    check_free_space,
    check_name_lengths,
    check_output_folder,
    check_output_parent,
    read_stamp,
)
from .export.staging import clean_stale
from .layout import Layout
from .pool import run_jobs
from .templates import load_layout, template_paths


@dataclass(frozen=True)
class Options:
    quality: str = "normal"
    compress: bool = False
    step_mode: str = "assembly"  # see export.options.STEP_MODES
    mesh_check: bool = False  # after the build, gmsh on the conformal STEP (pkgcad.conformal.check_folder)
    mesh_size: float = MESH_SIZE  # mm, largest tetrahedron edge of the mesh check
    stl: str = DEFAULT_STL  # which STL files, see export.options.STL_MODES


def make_options(quality: str = "normal", compress: bool = False, step_mode: str = "assembly",
                 mesh_check: bool = False, mesh_size: float | None = None, stl: str = DEFAULT_STL) -> Options:
    """Build options, or an :class:`InputError` naming the option and the choices. The mesh check needs the
    conformal STEP (the other modes do not share contact faces); ``--mesh-size`` needs the mesh check."""
    mesh_quality(quality)
    if step_mode not in STEP_MODES:
        raise InputError("--step-mode", step_mode, f"choose one of {' | '.join(STEP_MODES)}")
    if stl not in STL_MODES:
        raise InputError("--stl", stl, f"choose one of {' | '.join(STL_MODES)}")
    if mesh_check and step_mode != "conformal":
        raise InputError("--step-mode", step_mode, "--mesh-check meshes the conformal STEP only (the other STEP "
                         "modes do not share contact faces)", "add --step-mode conformal")
    if mesh_size is not None:
        if not mesh_check:
            raise InputError("--mesh-size", mesh_size, "applies to --mesh-check only",
                             "add --mesh-check --step-mode conformal")
        bounds.check("build --mesh-size", mesh_size)
    return Options(quality, compress, step_mode, mesh_check, MESH_SIZE if mesh_size is None else mesh_size, stl)


Job = tuple[Layout, Path, Options]


def plan_builds(template: str | None, all_: bool, output: Path | None, sets: Sequence[str],
                options: Options) -> list[Job]:
    """Every build ``pkgcad build`` was asked for, judged before any geometry: the template(s) and overrides
    (rules included) and the output folders (:mod:`pkgcad.export.outpath`). Raises :class:`InputError`."""
    if all_ == (template is not None):
        raise InputError("pkgcad build", template or "", "give a template name or path, or --all (not both)")
    if all_:
        root = check_output_parent(output or Path("outputs"))
        layouts = [load_layout(str(p), sets) for p in template_paths()]
        dests = [root / lay.spec.meta.name for lay in layouts]
    else:
        layouts = [load_layout(str(template), sets)]
        dests = [output or Path("outputs") / layouts[0].spec.meta.name]
    jobs = []
    for lay, dest in zip(layouts, dests, strict=True):
        path = check_output_folder(dest, "build").path
        name = lay.spec.meta.name  # <name>.step, .stpZ, .glb, .stl inside the folder
        check_name_lengths(path, [f"{name}.stpZ"], "meta.name", value=name)
        jobs.append((lay, path, options))
    return jobs


def check_sizes(jobs: Sequence[Job], yes: bool = False) -> None:
    """Refuse, before any geometry, a build estimated to write gigabytes unless ``yes``, or more than the file
    system holding its output has free (see :mod:`pkgcad.export.estimate`)."""
    from .export.estimate import check_size

    need = {}
    for lay, dest, options in jobs:
        need[dest] = check_size(lay, QUALITIES[options.quality], yes, QUALITIES, stl=options.stl).bytes
    check_free_space(need)


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
    from .export.writer import write_package
    from .geometry import build_package

    t0 = time.perf_counter()
    name = lay.spec.meta.name
    res = Result(name, dest, notes=lay.notes())
    try:
        pkg = build_package(lay, progress=progress)
        step_writer = None
        if options.step_mode == "conformal":  # the conformal model is made a layer above the exporters
            from .conformal.step import write_step as conformal_step

            step_writer = conformal_step
        manifest = write_package(pkg, dest, QUALITIES[options.quality], stl=options.stl, compress=options.compress,
                                 step_mode=options.step_mode, step_writer=step_writer, progress=progress)
    except GeometryError as exc:
        res.code, res.summary = 1, f"{name}: {exc}"
        return res
    except DiskFullError as exc:  # the estimate says roughly what was needed
        res.code, res.summary = 1, f"{name}: {exc.with_need(estimate_bytes(lay, options))}"
        return res
    except OSError as exc:  # another failure to write (an I/O error, permissions changed meanwhile)
        res.code, res.summary = 1, f"{name}: could not write {dest}: {exc.strerror or exc}"
        return res
    except Exception as exc:
        if not kernel_failure(exc):
            raise  # a bug: the CLI says "internal error" (never "could not build the model")
        res.code, res.summary = 1, f"{name}: could not build the model: {type(exc).__name__}: {exc}"
        return res
    res.seconds = time.perf_counter() - t0
    stamp = read_stamp(dest)
    kept = stamp.views_kept if stamp is not None else []
    if kept:
        res.notes.append(f"note: kept {len(kept)} picture(s) drawn into {dest} from the previous model: "
                         f"{', '.join(kept[:4])}{' ...' if len(kept) > 4 else ''} (redraw them to show this one)")
    size = sum(f["bytes"] for f in manifest["files"])
    res.summary = (f"{name}: {len(pkg.parts)} parts, {pkg.instance_count()} instances, "
                   f"{manifest['totals']['mass_g']:.4f} g -> {dest} ({size / 1e6:.1f} MB, {res.seconds:.1f} s)")
    return res


def estimate_bytes(lay: Layout, options: Options) -> int:
    from .export.estimate import estimate

    return estimate(lay, QUALITIES[options.quality]).bytes


def build_job(job: tuple[Layout, Path, Options]) -> Result:
    """``build_to`` for a process pool."""
    return build_to(*job)


def build_many(work: list[tuple[Layout, Path, Options]], jobs: int,
               done: Callable[[Result], None] | None = None) -> list[Result]:
    """Every build of ``work`` in ``jobs`` processes (:func:`pkgcad.pool.run_jobs`); ``done`` hears each result as
    it comes. Results in the order of ``work``. On Ctrl-C / SIGTERM the workers end (they remove their own staged
    folders), then any folder a worker killed harder left goes; the interrupt line names the models written."""

    def cleanup() -> list[str]:
        for folder in {dest.parent for _lay, dest, _o in work}:
            clean_stale(folder)
        me = os.getpid()
        return [str(dest) for _lay, dest, _o in work if getattr(read_stamp(dest), "ppid", None) == me]

    return run_jobs(build_job, work, jobs, what="the models", cleanup=cleanup,
                    dead="a build process ended abruptly (out of memory? killed?); run the failing template alone "
                    "to see why", done=(lambda _i, res: done(res)) if done else None)
