"""The ``pkgcad`` command line: parse, call the library, print. All lengths are millimetres."""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from . import __version__, view
from .check.loader import CheckInputError
from .check.report import DEFAULT_TOL, check_folder, print_table
from .check.report import as_json as rows_json
from .export_options import QUALITIES, STEP_MODES
from .load import describe, load_spec, resolve_template, template_paths
from .rules import SpecError
from .runner import Options, Result, build_job, build_to
from .spec import MAX_BALLS, MAX_BUMPS, MAX_LEADS, MAX_TEXTURE_FEATURES, MAX_WIRES, PackageSpec

app = typer.Typer(
    help="Parametric CAD models (STEP, STL, GLB) of the exposed-heat-sink package of US 6,844,622 B2. "
    "All lengths are millimetres.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", metavar="KEY=VALUE",
                 help="Override a parameter, e.g. --set heat_sink.thickness=0.25 --set chip.size=[3,3] (mm). "
                 "Repeatable."),
]


def _fail(message: str, code: int) -> typer.Exit:
    err.print(f"error: {message}", markup=False)
    return typer.Exit(code)


def _load(template: str, sets: list[str] | None) -> PackageSpec:
    try:
        return load_spec(template, sets or ())
    except SpecError as exc:
        raise _fail(str(exc), 2) from None


@app.command("list")
def list_templates() -> None:
    """The bundled templates, one line each: name, embodiment, claims it shows."""
    for path in template_paths():
        spec = _load(str(path), None)
        claims = ",".join(str(c) for c in spec.meta.claims)
        out.print(f"{spec.meta.name:<24} claims {claims:<20} {spec.meta.title}", markup=False)


@app.command()
def show(
    template: Annotated[str, typer.Argument(help="Template name (see `pkgcad list`) or path to a .toml file.")],
    sets: SetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the resolved parameters as JSON (with --sizes: "
                                          "{parameters, mesh_qualities}).")] = False,
    sizes: Annotated[bool, typer.Option("--sizes", help="Build the model and measure, per --quality, the "
                                        "triangles, STL and GLB sizes and export seconds (takes a few s).")] = False,
) -> None:
    """Every parameter of a template: name, value, unit (mm), allowed range and meaning."""
    spec = _load(template, sets)
    qualities = _measure_qualities(spec) if sizes else None
    if as_json:
        params = spec.model_dump(mode="json")
        data = params if qualities is None else {"parameters": params, "mesh_qualities": qualities}
        out.print(json.dumps(data, indent=2), markup=False)
        return
    unused = spec.unused_sections()
    out.print(f"{spec.meta.name}: {spec.meta.title}  (lengths in mm; dimmed rows are not used here)")
    out.print(f"{'parameter':<38} {'value':<20} {'unit':<4} {'allowed':<34} meaning", style="bold")
    for row in describe(spec):
        value = json.dumps(list(row.value) if isinstance(row.value, tuple) else row.value)
        style = "dim" if row.section in unused else None
        out.print(f"{row.key:<38} {value:<20} {row.unit:<4} {row.allowed:<34} {row.meaning}", style=style,
                  markup=False)
    out.print(f"hard limits: bumps <= {MAX_BUMPS}, balls <= {MAX_BALLS}, wires <= {MAX_WIRES}, "
              f"leads <= {MAX_LEADS}, texture features <= {MAX_TEXTURE_FEATURES}", markup=False)
    if qualities is None:
        out.print("--quality (STL/GLB): " + ", ".join(f"{q.name} {q.linear:g} mm / {q.angular:g} rad"
                                                       for q in QUALITIES.values())
                  + "; add --sizes to measure triangles, file sizes and times for this model", markup=False)
        return
    out.print(f"{'--quality':<10} {'deviation':>10} {'angle':>7} {'triangles':>11} {'STL MB':>8} {'GLB MB':>8} "
              f"{'seconds':>8}", style="bold")
    for q in qualities:
        out.print(f"{q['quality']:<10} {q['linear_mm']:>7g} mm {q['angular_rad']:>3g} rad {q['triangles']:>11,} "
                  f"{q['stl_bytes'] / 1e6:>8.2f} {q['glb_bytes'] / 1e6:>8.2f} {q['seconds']:>8.2f}", markup=False)
    out.print("STL MB: the per-part files plus the whole-package file; seconds: tessellate + write STL + GLB "
              "(the STEP does not depend on --quality)", markup=False)


def _measure_qualities(spec: PackageSpec) -> list[dict[str, Any]]:
    from .build import BuildError, build_package
    from .quality import measure_qualities

    try:
        with err.status(f"{spec.meta.name}: building", spinner="dots") as status:
            say = lambda stage: status.update(f"{spec.meta.name}: {stage}")  # noqa: E731
            return measure_qualities(build_package(spec, progress=say), progress=say)
    except BuildError as exc:
        raise _fail(f"{spec.meta.name}: {exc}", 1) from None


@app.command()
def build(
    template: Annotated[str | None, typer.Argument(help="Template name or .toml path (omit with --all).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Build every bundled template, one folder each.")] = False,
    output: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder. Default: outputs/<name>; "
                                                 "with --all the parent folder (default outputs/).")] = None,
    sets: SetOpt = None,
    quality: Annotated[str, typer.Option(help="STL/GLB tessellation: draft | normal | fine "
                                         "(chordal deviation 0.02 / 0.005 / 0.001 mm).")] = "normal",
    compress: Annotated[bool, typer.Option("--compress", help="Also write the STEP gzip-compressed as "
                                           "<name>.stpZ (FreeCAD and KiCad read it).")] = False,
    step_mode: Annotated[str, typer.Option("--step-mode", help="; ".join(
        f"{k}: {v}" for k, v in STEP_MODES.items()) + ".")] = "assembly",
    jobs_n: Annotated[int | None, typer.Option("--jobs", "-j", help="Parallel build processes for --all "
                                               "(default: all cores).")] = None,
    check_: Annotated[bool, typer.Option("--check", help="After building, run `pkgcad check` on the output; "
                                         "exit 1 if any claim element fails.")] = False,
    report_: Annotated[bool, typer.Option("--report", help="Also write OUT/report.html (`pkgcad report`).")] = False,
) -> None:
    """Build STEP, GLB, per-part STL and manifest.json for a template (mm). Exit 2 on bad input."""
    if quality not in QUALITIES:
        raise _fail(f"--quality = {quality!r}: choose one of {' | '.join(QUALITIES)}", 2)
    if step_mode not in STEP_MODES:
        raise _fail(f"--step-mode = {step_mode!r}: choose one of {' | '.join(STEP_MODES)}", 2)
    if jobs_n is not None and not 1 <= jobs_n <= 64:
        raise _fail(f"--jobs = {jobs_n}: allowed 1 to 64", 2)
    if all_ == (template is not None):
        raise _fail("give a template name or path, or --all (not both)", 2)
    if report_:
        try:
            view.require_viewer()  # no bundle: say so before building
        except view.ViewInputError as exc:
            raise _fail(str(exc), 2) from None
    root = output or Path("outputs")
    targets: list[tuple[str, Path | None]] = (
        [(str(p), None) for p in template_paths()] if all_ else [(str(template), output)]
    )
    options = Options(quality=quality, compress=compress, step_mode=step_mode)
    work = []
    for name, dest in targets:
        spec = _load(name, sets)
        work.append((spec, dest or root / spec.meta.name, options))
    results = _run_parallel(work, jobs_n or os.cpu_count() or 1) if len(work) > 1 else [_run_one(*work[0])]
    failed = 0
    for res in results:
        for note in res.notes:
            err.print(note, markup=False)
        if res.code:
            err.print(f"error: {res.summary}", markup=False)
            failed += 1
            continue
        out.print(res.summary, markup=False)
        if check_:
            failed += _check_one(res.dest, DEFAULT_TOL, as_json=False) > 0
        if report_:
            _report_one(res.dest)
    if failed:
        raise typer.Exit(1)


def _run_one(spec: PackageSpec, dest: Path, options: Options) -> Result:
    """One build with a spinner naming the stage it is in."""
    with err.status(f"{spec.meta.name}: starting", spinner="dots") as status:
        return build_to(spec, dest, options, progress=lambda stage: status.update(f"{spec.meta.name}: {stage}"))


def _run_parallel(work: list[tuple[PackageSpec, Path, Options]], n: int) -> list[Result]:
    """Builds in ``n`` processes with a progress bar; results in the order of ``work``."""
    results: dict[int, Result] = {}
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=err, transient=False) as bar:
        task = bar.add_task(f"building {len(work)} models in {min(n, len(work))} processes", total=len(work))
        # spawn, not fork: OCCT's thread pool does not survive a fork once this process has used it
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(n, len(work)), mp_context=ctx) as pool:
            futures = {pool.submit(build_job, w): i for i, w in enumerate(work)}
            for fut in as_completed(futures):
                i = futures[fut]
                results[i] = fut.result()
                bar.update(task, advance=1, description=f"built {results[i].name}")
    return [results[i] for i in range(len(work))]


def _check_one(folder: Path, tol: float, as_json: bool) -> int:
    """Check one output folder and print the rows; returns the number of failing elements."""
    try:
        rows = check_folder(folder, tol)
    except CheckInputError as exc:
        raise _fail(str(exc), 2) from None
    if as_json:
        out.print(rows_json(rows), markup=False)
    else:
        print_table(rows, out, title=f"pkgcad check {folder}")
    return sum(not r.passed for r in rows)


@app.command()
def check(
    folder: Annotated[Path, typer.Argument(help="A pkgcad output folder (manifest.json + parts/*.stl).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as a JSON list.")] = False,
    tol: Annotated[float, typer.Option("--tol", help="Geometric tolerance for planes and contacts, mm.")] = (
        DEFAULT_TOL),
) -> None:
    """Judge every claim element on the EXPORTED files: exit 0 all pass, 1 any fails, 2 unusable input."""
    if not tol > 0:
        raise _fail(f"--tol = {tol}: must be a positive length in mm", 2)
    if _check_one(folder, tol, as_json):
        raise typer.Exit(1)


@app.command()
def section(
    folder: Annotated[Path, typer.Argument(help="A pkgcad output folder (manifest.json + parts/*.stl).")],
    plane: Annotated[str, typer.Option(help="Cutting plane: xz (front) | yz (side) | xy (top).")] = "xz",
    at: Annotated[float | None, typer.Option(help="Where the plane cuts, mm along its normal (y for xz, x for "
                                             "yz, z for xy). Default: through the middle.")] = None,
    output: Annotated[Path | None, typer.Option("--out", "-o", help="The .svg or .png to write. Default: "
                                                "FOLDER/section_<plane>.svg.")] = None,
    labels: Annotated[bool, typer.Option("--labels", help="Leader labels naming each part, like a patent "
                                         "figure.")] = False,
    zoom_z: Annotated[float, typer.Option("--zoom-z", help="Vertical exaggeration (1-100) for the thin layers; "
                                          "a vertical scale bar in mm shows it.")] = 1.0,
    width: Annotated[int, typer.Option(help="Picture width in px (200-8000); the height follows.")] = 1200,
) -> None:
    """A cross-section of the exported model: each part filled with its material colour, legend, mm scale."""
    _view(lambda: view.section_folder(folder, plane, at, output, width, zoom_z, labels))


@app.command()
def render(
    folder: Annotated[Path, typer.Argument(help="A pkgcad output folder (manifest.json + parts/*.stl).")],
    output: Annotated[Path | None, typer.Option("--out", "-o", help="The .png to write. Default: "
                                                "FOLDER/render.png.")] = None,
    size: Annotated[str, typer.Option(help="WIDTHxHEIGHT in px.")] = "1024x768",
    cut_away: Annotated[bool, typer.Option("--cut/--no-cut", help="Cut away the front quadrant to show the "
                                           "sections.")] = True,
    zoom_z: Annotated[float, typer.Option("--zoom-z", help="Vertical exaggeration (1-100).")] = 1.0,
) -> None:
    """An isometric PNG preview, drawn offscreen (no screen, no GPU needed)."""
    _view(lambda: view.render_folder(folder, output, size, cut_away, zoom_z))


@app.command()
def report(
    folder: Annotated[Path, typer.Argument(help="A pkgcad output folder (manifest.json + parts/*.stl + GLB).")],
    output: Annotated[Path | None, typer.Option("--out", "-o", help="The .html to write. Default: "
                                                "FOLDER/report.html.")] = None,
    tol: Annotated[float, typer.Option("--tol", help="Tolerance of the claim check, mm.")] = DEFAULT_TOL,
) -> None:
    """One self-contained HTML page: 3D view, sections, parameters, parts (volume, mass), claim check."""
    if not tol > 0:
        raise _fail(f"--tol = {tol}: must be a positive length in mm", 2)
    _view(lambda: view.report_folder(folder, output, tol)[0])


def _report_one(folder: Path) -> None:
    _view(lambda: view.report_folder(folder)[0])


def _view(job: Callable[[], str]) -> None:
    try:
        out.print(job(), markup=False)
    except (CheckInputError, view.ViewInputError) as exc:
        raise _fail(str(exc), 2) from None


@app.command()
def mockup(
    template: Annotated[str, typer.Argument(help="Template name (see `pkgcad list`) or path to a .toml file.")],
    output: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder. Default: "
                                                 "outputs/<name>-mockup.")] = None,
    sets: SetOpt = None,
    scale: Annotated[float, typer.Option("--scale", help="Enlargement: printed mm per package mm (1 to 200).")] = (
        20.0),
    min_feature: Annotated[float, typer.Option("--min-feature", help="Least printable feature, mm on the print "
                                               "(0.1 to 5); thinner features are thickened.")] = 0.4,
    bed: Annotated[str, typer.Option("--bed", help="Printer bed in mm: WIDTHxDEPTH, or WIDTHxDEPTHxHEIGHT to "
                                       "check heights too.")] = "256x256",
    cutaway: Annotated[bool, typer.Option("--cutaway", help="One piece with a quarter cut away to show the "
                                          "stack.")] = False,
    section: Annotated[bool, typer.Option("--section", help="With --cutaway: cut away the front half.")] = False,
    exploded: Annotated[bool, typer.Option("--exploded", help="Lay the pieces out side by side on the bed "
                                           "(as many plates as it takes).")] = False,
) -> None:
    """A print kit for an enlarged mockup: one STL per piece, kit.3mf (one object per material colour),
    kit.json and kit.md (mm). Exit 2 on bad input, 1 if the geometry fails."""
    from .mockup.options import make_options

    try:
        options = make_options(scale, min_feature, bed, cutaway, section, exploded)
    except SpecError as exc:
        raise _fail(str(exc), 2) from None
    spec = _load(template, sets)
    dest = output or Path("outputs") / f"{spec.meta.name}-mockup"
    from .build import BuildError
    from .mockup.kit import make_kit, write_kit
    from .mockup.solids import MeshError

    try:
        with err.status(f"{spec.meta.name}: starting", spinner="dots") as status:
            say = lambda stage: status.update(f"{spec.meta.name} mockup: {stage}")  # noqa: E731
            kit = make_kit(spec, options, progress=say)
            data = write_kit(kit, dest, progress=say)
    except SpecError as exc:
        raise _fail(str(exc), 2) from None
    except (BuildError, MeshError) as exc:
        raise _fail(f"{spec.meta.name}: {exc}", 1) from None
    size = sum(f["bytes"] for f in data["files"])
    thick = f", {len(data['thickened'])} features thickened" if data["thickened"] else ""
    out.print(f"{spec.meta.name}: {len(data['pieces'])} pieces at {scale:g}x{thick} -> {dest} "
              f"({size / 1e6:.1f} MB, {sum(data['timings_s'].values()):.1f} s)", markup=False)


@app.command()
def sweep(
    template: Annotated[str, typer.Argument(help="Template name (see `pkgcad list`) or path to a .toml file.")],
    grid: Annotated[list[str] | None, typer.Option("--grid", metavar="KEY=V1,V2,...", help="Sweep a parameter "
                    "over these values (mm for lengths), e.g. --grid heat_sink.thickness=0.2,0.3 or "
                    "--grid chip.size=[2,2],[3,3]. Repeatable: every combination is a variant.")] = None,
    random_n: Annotated[int | None, typer.Option("--random", metavar="N", help="Instead of a grid: N variants "
                        "drawn uniformly from the --range values.")] = None,
    ranges: Annotated[list[str] | None, typer.Option("--range", metavar="KEY=LO:HI", help="With --random: the "
                      "interval of a number parameter (a size such as chip.size is drawn square). Repeatable.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed of --random (the same seed draws the same variants, so "
                                      "a rerun resumes).")] = 1,
    sets: SetOpt = None,
    do: Annotated[str, typer.Option("--do", help="Steps per variant, comma-separated: build (always), check, "
                                    "report, thermal, kicad.")] = "build,check",
    workers: Annotated[int | None, typer.Option("--workers", help="Local cluster: worker processes, one thread "
                                                "each (default: one per core).")] = None,
    scheduler: Annotated[str | None, typer.Option("--scheduler", metavar="tcp://HOST:PORT", help="Run on this "
                         "dask scheduler (or its --scheduler-file JSON) instead; -o must be a path every "
                         "worker sees.")] = None,
    output: Annotated[Path | None, typer.Option("--out", "-o", help="Sweep folder (default "
                                                "outputs/<template>-sweep); a rerun resumes it.")] = None,
    quality: Annotated[str, typer.Option(help="STL/GLB tessellation: draft | normal | fine.")] = "normal",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate every variant (no geometry): how many are "
                                          "valid, which rules refuse the rest. Writes nothing.")] = False,
    dashboard: Annotated[bool, typer.Option("--dashboard/--no-dashboard", help="Serve the dask dashboard of the "
                                            "local cluster (port 8787, or a free one) and print its address.")] = True,
) -> None:
    """Design-space sweep on Dask: every variant built (and checked...) into OUT/<variant-id>/, with
    results.parquet/.csv (one row per variant; mm, mm^3, g, s), plots/ and index.html. Exit 2 on bad input,
    1 if a variant failed."""
    import signal

    from .sweep import SweepRequest, refusals, run_sweep
    from .sweep.progress import RichProgress

    req = SweepRequest(template, tuple(grid or ()), random_n, tuple(ranges or ()), seed, tuple(sets or ()), do,
                       workers, scheduler, output, quality, dry_run=dry_run, dashboard=":8787" if dashboard else None)

    def terminated(signum: int, frame: object) -> None:
        raise _Terminated()

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        res = run_sweep(req, RichProgress(err))
    except SpecError as exc:
        raise _fail(str(exc), 2) from None
    except _Terminated:
        err.print("terminated: the finished variants are kept; rerun the same command to resume", markup=False)
        raise typer.Exit(143) from None
    except KeyboardInterrupt:
        err.print("interrupted: the finished variants are kept; rerun the same command to resume", markup=False)
        raise typer.Exit(130) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    plan = res.plan
    name = Path(plan.template).stem
    dup = f" ({plan.duplicates} duplicates merged)" if plan.duplicates else ""
    out.print(f"{name}: {len(plan.variants)} variants{dup}: {len(plan.valid)} valid, {len(plan.invalid)} refused "
              "by the rules", markup=False)
    for n, key, example in refusals(plan):
        out.print(f"  {n:>6} refused by {key}, e.g. {example}", markup=False)
    if res.folder is None:
        return
    out.print(f"ran {res.ran} ({res.failed} failed, {res.check_failed} with failing claim elements), "
              f"skipped {res.skipped} already done -> {res.folder}/ ({', '.join(p.name for p in res.files.values())})",
              markup=False)
    if res.failed:
        raise typer.Exit(1)


class _Terminated(BaseException):
    """SIGTERM during a sweep: unwind (the finished rows stay, the table is compiled), exit 143."""


@app.command()
def version() -> None:
    """Print the version."""
    out.print(f"pkgcad {__version__}")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


__all__ = ["app", "main", "resolve_template"]
