"""``pkgcad sweep`` as one library call: check the request, plan the variants, run the valid ones on Dask
(skipping those a previous run finished), record every row as it lands, compile table, plots and summary."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..claims import claims_of_spec
from ..errors import InputError
from ..export.options import STEP_MODES, mesh_quality
from ..export.staging import clean_stale, staged_dir
from . import engine, folder
from .plots import write_plots
from .results import collect, to_table, write_table
from .steps import STEPS, StepOptions
from .summary import write_summary
from .task import RECORD, Job, run_variant
from .variants import Plan, Variant, make_plan, refusals

MAX_WORKERS = 256


@dataclass(frozen=True)
class SweepRequest:
    template: str
    grids: tuple[str, ...] = ()
    random_n: int | None = None
    ranges: tuple[str, ...] = ()
    seed: int = 1
    sets: tuple[str, ...] = ()
    do: str = "build,check"
    workers: int | None = None  # local cluster size; default: one per core
    scheduler: str | None = None  # tcp://HOST:PORT or a scheduler JSON file
    out: Path | None = None  # default outputs/<template>-sweep
    quality: str = "normal"
    step_mode: str = "assembly"
    dry_run: bool = False
    dashboard: str | None = ":8787"  # the local cluster's dashboard address; None: no dashboard
    keep: str = "all"  # what each variant's folder keeps, see folder.KEEP


@dataclass
class SweepResult:
    plan: Plan
    steps: tuple[str, ...]
    folder: Path | None = None
    ran: int = 0
    skipped: int = 0
    failed: int = 0  # status "error": a step failed or the worker died
    check_failed: int = 0  # built and checked, some claim element fails
    files: dict[str, Path] = field(default_factory=dict)
    dashboard: str = ""
    workers: int = 0


class Progress(Protocol):
    def start(self, todo: int, skipped: int, workers: int, dashboard: str) -> None: ...
    def advance(self, row: dict[str, Any]) -> None: ...
    def stop(self) -> None: ...


class _Silent:
    def start(self, todo: int, skipped: int, workers: int, dashboard: str) -> None:
        pass

    def advance(self, row: dict[str, Any]) -> None:
        pass

    def stop(self) -> None:
        pass


def parse_steps(do: str) -> tuple[str, ...]:
    """``--do build,check,...`` in run order, build first always; unknown or unavailable steps refused."""
    names = [n.strip() for n in do.split(",") if n.strip()]
    if not names:
        raise InputError("--do", do, f"name at least one step: {', '.join(STEPS)}")
    for n in names:
        if n not in STEPS:
            raise InputError("--do", do, f"unknown step {n!r}; steps: {', '.join(STEPS)}")
        why = STEPS[n].available()
        if why is not None:
            usable = [s for s in STEPS if STEPS[s].available() is None]
            raise InputError("--do", do, f"step {n!r} is not available: {why}; available: {', '.join(usable)}")
    return tuple(s for s in STEPS if s in names or s == "build")


def check_request(req: SweepRequest) -> tuple[tuple[str, ...], Plan]:
    """Every bad option raises :class:`InputError` here, before any work or any file."""
    steps = parse_steps(req.do)
    mesh_quality(req.quality)
    if req.step_mode not in STEP_MODES:
        raise InputError("--step-mode", req.step_mode, f"choose one of {' | '.join(STEP_MODES)}")
    if req.keep not in folder.KEEP:
        raise InputError("--keep", req.keep, f"choose one of {' | '.join(folder.KEEP)}")
    if req.workers is not None and req.scheduler:
        raise InputError("--workers", req.workers, "a running scheduler brings its own workers: give --workers or "
                        "--scheduler, not both")
    if req.workers is not None and not 1 <= req.workers <= MAX_WORKERS:
        raise InputError("--workers", req.workers, f"allowed 1 to {MAX_WORKERS}")
    plan = make_plan(req.template, req.sets, req.grids, req.random_n, req.ranges, req.seed)
    return steps, plan


def default_folder(plan: Plan) -> Path:
    return Path("outputs") / f"{Path(plan.template).stem}-sweep"


def run_sweep(req: SweepRequest, progress: Progress | None = None) -> SweepResult:
    """Plan, run and compile a sweep (see the module docstring). Bad input raises :class:`InputError` before
    anything is written; an interrupt leaves every finished variant's row, and a compiled table, behind."""
    steps, plan = check_request(req)
    res = SweepResult(plan, steps)
    if req.dry_run:
        return res
    out = Path(req.out) if req.out else default_folder(plan)
    folder.check_usable(out)  # refuse a foreign folder before starting any process
    options = StepOptions(req.quality, req.step_mode)
    settings = {"quality": req.quality, "step_mode": req.step_mode}
    files = tuple(f for s in steps for f in STEPS[s].files)
    bar = progress or _Silent()
    todo: list[Variant] = []
    adopted: list[dict[str, Any]] = []  # finished by a worker after the last run's client stopped listening
    for v in plan.valid:
        if folder.done(out, v.id, steps, files, settings, req.keep):
            continue
        got = folder.adoptable(out, v.id, steps, files, settings, RECORD, req.keep)
        if got is None:
            todo.append(v)
        else:
            adopted.append(_row(v, out, steps, settings, got))
    res.skipped = len(plan.valid) - len(todo)
    jobs = [Job(v.id, v.spec, str((out / v.id).resolve()), steps, options, req.keep) for v in todo if v.spec]
    by_id = {v.id: v for v in todo}

    def landed(job: Job, result: dict[str, Any] | None, exc: BaseException | None) -> None:
        got = result if result is not None else {"status": "error", "error": engine.died(exc or RuntimeError())}
        row = _row(by_id[job.id], out, steps, settings, got)
        folder.write_row(out, row)
        res.ran += 1
        res.failed += row["status"] == "error"
        res.check_failed += row.get("check_pass") is False
        bar.advance(row)

    try:
        _run(req, plan, res, out, jobs, steps, settings, adopted, landed, bar)
    finally:  # a local worker stopped mid-variant (an interrupt) leaves its staged folder: this host's dead ones go
        clean_stale(out)
    return res


def _run(req: SweepRequest, plan: Plan, res: SweepResult, out: Path, jobs: list[Job], steps: tuple[str, ...],
         settings: dict[str, Any], adopted: list[dict[str, Any]],
         landed: Callable[[Job, dict[str, Any] | None, BaseException | None], None], bar: Progress) -> None:
    with ExitStack() as stack:
        client = None
        if jobs or req.scheduler:  # nothing to run on a local cluster: start none
            client = stack.enter_context(engine.connect(req.workers or os.cpu_count() or 1, req.scheduler,
                                                        req.dashboard))
            res.dashboard, res.workers = engine.dashboard_link(client, req.dashboard), engine.worker_count(client)
        folder.claim(out, _definition(req, plan, steps))
        res.folder = out
        for v in plan.invalid:
            folder.write_row(out, _row(v, out, steps, settings, {"status": "invalid", "error": str(v.error)}))
        for row in adopted:
            folder.write_row(out, row)
        bar.start(len(jobs), res.skipped, res.workers, res.dashboard)
        stopped = True
        try:
            if client is not None and jobs:
                engine.run_tasks(client, run_variant, jobs, lambda j: f"variant-{j.id}", landed)
            stopped = False
        finally:
            bar.stop()
            res.files = compile_results(out, plan, plots=not stopped)  # interrupted: be quick, no plots


def _row(v: Variant, out: Path, steps: Sequence[str], settings: dict[str, Any], got: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"id": v.id, **v.params}
    if v.spec is not None:
        row["claims"] = ",".join(str(c) for c in claims_of_spec(v.spec))
    row.update(got)
    if v.spec is not None:
        row.update(steps=list(steps), **settings, path=str((out / v.id).resolve()))
    return row


def _definition(req: SweepRequest, plan: Plan, steps: tuple[str, ...]) -> dict[str, Any]:
    return {"template": plan.template, "sweep": plan.kind, "keys": plan.keys, "grids": list(req.grids),
            "random": req.random_n, "ranges": list(req.ranges), "seed": req.seed, "sets": list(req.sets),
            "steps": list(steps), "quality": req.quality, "step_mode": req.step_mode, "keep": req.keep,
            "variants": len(plan.variants)}


def compile_results(out: Path, plan: Plan, plots: bool = True) -> dict[str, Path]:
    """results.parquet + results.csv, plots/*.png and index.html from the row files of ``plan``'s variants."""
    rows = collect(out, plan)
    parquet, csv = write_table(out, to_table(rows, plan.keys))
    pngs: list[Path] = []
    if plots:
        with staged_dir(out / "plots") as tmp:
            pngs = [out / "plots" / p.name for p in write_plots(tmp, rows, plan.keys)]
    title = f"pkgcad sweep of {Path(plan.template).stem}: {len(plan.variants)} variants ({plan.kind} over " \
            f"{', '.join(plan.keys)})"
    index = write_summary(out, title, rows, plan.keys, refusals(plan), pngs)
    return {"parquet": parquet, "csv": csv, "index": index}
