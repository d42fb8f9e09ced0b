"""The ``pkgcad`` command line: parse, call the library, print. All lengths are millimetres.

Errors are turned into exit codes in one place (:class:`_Commands`): :class:`~pkgcad.errors.InputError` -> one
line, exit 2; :class:`~pkgcad.errors.GeometryError` and :class:`~pkgcad.errors.RunError` -> one line, exit 1; a
full disk -> one line naming the folder and the free space, exit 1; anything else is a bug: one line ``internal
error in <command>: <type>: <message>``, exit 1, the traceback with ``--debug`` (or ``PKGCAD_DEBUG=1``).
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from . import __version__, claims
from .bounds import DEFAULT_TOL
from .conformal.options import DEFAULT_SIZE as MESH_SIZE
from .errors import EXIT_GEOMETRY, EXIT_INPUT, InputError, PkgcadError, RunError, disk_full
from .export.options import DEFAULT_STL, QUALITIES, STEP_MODES, STL_MODES
from .layout import Layout
from .mockup.options import DEFAULT_BED as MOCKUP_BED
from .mockup.options import DEFAULT_MIN_FEATURE as MOCKUP_MIN_FEATURE
from .mockup.options import DEFAULT_SCALE as MOCKUP_SCALE
from .params import describe
from .pool import check_jobs
from .progress import bar, spinner
from .runner import Options, Result, build_many, build_to, check_sizes, make_options, plan_builds
from .spec import MAX_BALLS, MAX_BUMPS, MAX_LEADS, MAX_TEXTURE_FEATURES, MAX_WIRES
from .strip.run import DEFAULT_FLASH, DEFAULT_RAIL, DEFAULT_STREET, plan_strip, run_strip
from .templates import load_layout, template_paths

if TYPE_CHECKING:
    from .export.sizes import QualitySizes

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


DEBUG_ENV = "PKGCAD_DEBUG"


class _Commands(TyperGroup):
    """Every command's errors become exit codes here, one line each (see the module doc)."""

    def invoke(self, ctx: Any) -> Any:
        from typer.exceptions import TyperException

        try:
            return super().invoke(ctx)
        except InputError as exc:
            err.print(f"error: {exc}", markup=False)
            raise typer.Exit(EXIT_INPUT) from None
        except PkgcadError as exc:
            err.print(f"error: {exc}", markup=False)
            raise typer.Exit(exc.exit_code) from None
        except (TyperException, typer.Exit, typer.Abort):
            raise  # usage errors and exit codes on their way out (typer's Exit is a RuntimeError)
        except Exception as exc:
            self._unexpected(ctx, exc)

    @staticmethod
    def _unexpected(ctx: Any, exc: Exception) -> None:
        """An exception pkgcad did not raise on purpose: a full disk, another OS error, or a bug (one line each;
        the traceback only with --debug)."""
        if _debug[0] or os.environ.get(DEBUG_ENV, "") not in ("", "0"):
            import traceback

            traceback.print_exception(exc)
        if isinstance(exc, OSError) and exc.errno in _DISK_FULL:
            where = Path(exc.filename).parent if exc.filename else Path.cwd()
            err.print(f"error: {_disk_full_at(where)}", markup=False)
            raise typer.Exit(EXIT_GEOMETRY) from None
        if isinstance(exc, OSError) and exc.errno is not None:  # the system refused a read or write meanwhile
            what = f" {exc.filename}" if exc.filename else ""
            err.print(f"error: could not read or write{what}: {exc.strerror or exc}", markup=False)
            raise typer.Exit(EXIT_GEOMETRY) from None
        command = ctx.invoked_subcommand or "pkgcad"
        text = " ".join(str(exc).split())[:300] or "(no message)"
        err.print(f"internal error in {command}: {type(exc).__name__}: {text}; this is a bug in pkgcad: run "
                  f"`pkgcad --debug {command} ...` (or set {DEBUG_ENV}=1) to see where, and report it",
                  markup=False)
        raise typer.Exit(EXIT_GEOMETRY) from None

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The command list with each command's first sentence whole (click would cut it at 45 characters)."""
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                text = " ".join((cmd.help or "").split())
                rows.append((name, text.split(". ")[0].rstrip(".") + "."))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


_DISK_FULL = (28, 122)  # ENOSPC, EDQUOT


def _disk_full_at(where: Path) -> RunError:
    import shutil

    probe = where
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        free: int | None = shutil.disk_usage(probe).free
    except OSError:
        free = None
    return disk_full(where, free)


app = typer.Typer(
    cls=_Commands,
    help="Parametric CAD models (STEP, STL, GLB) of the exposed-heat-sink package of US 6,844,622 B2. "
    "All lengths are millimetres.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # click's help: flags without a "<bool>", text wrapped by sentence, nothing cut
)


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", envvar=DEBUG_ENV, help="Print the traceback of an "
                                        "internal error (a bug), e.g. pkgcad --debug build qfn.")] = False,
) -> None:
    """Parametric CAD models (STEP, STL, GLB) of the exposed-heat-sink package of US 6,844,622 B2. All lengths
    are millimetres."""
    _debug[0] = debug


_debug = [False]  # --debug of the command being run

AnalysisSources = Annotated[
    list[str] | None,
    typer.Argument(metavar="TEMPLATE|OUTPUT_DIR...", help="A template name or .toml path, or a pkgcad output folder "
                   "(its manifest's parameters). With --compare: any number of templates (default: every bundled "
                   "one)."),
]
"""The analysed packages of ``thermal`` and ``warp`` (read by :func:`_analysis_inputs`)."""
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", metavar="KEY=VALUE",
                 help="Override a parameter, e.g. --set heat_sink.thickness=0.25 --set chip.size=[3,3] (mm). "
                 "Repeatable."),
]


def _load(template: str, sets: list[str] | None) -> Layout:
    return load_layout(template, sets or ())


def _analysis_inputs(command: str, sources: list[str] | None, sets: list[str] | None, compare: bool,
                     output: Path | None) -> tuple[list[Layout], Path]:
    """The layouts an analysis (``thermal``, ``warp``) runs on: one template or output folder, or with
    ``--compare`` those given (default: every bundled template); and its output folder, judged by the output
    guard (default ``outputs/<name>-<command>``, ``outputs/<command>-compare``)."""
    from .export.outpath import check_output_folder
    from .thermal.inputs import load_input

    names = list(sources or ())
    if not compare and len(names) != 1:
        raise InputError(f"pkgcad {command}", " ".join(names), "give one template or output folder (several only "
                         "with --compare)")
    if compare:
        lays = [load_input(n, sets or ()) for n in names] or [_load(str(p), sets) for p in template_paths()]
    else:
        lays = [load_input(names[0], sets or ())]
    default = Path("outputs") / (f"{command}-compare" if compare else f"{lays[0].spec.meta.name}-{command}")
    return lays, check_output_folder(output or default, command).path


@app.command("list")
def list_templates() -> None:
    """The bundled templates, one line each: name, the claims it embodies (derived), title."""
    for path in template_paths():
        lay = _load(str(path), None)
        nums = ",".join(str(c) for c in claims.claims_of_spec(lay.spec))
        out.print(f"{lay.spec.meta.name:<24} claims {nums:<24} {lay.spec.meta.title}", markup=False)


@app.command("claims")
def list_claims() -> None:
    """The 20 claims of US 6,844,622 B2 (short text), the bundled templates embodying each, and the check
    elements that prove each."""
    embodying: dict[int, list[str]] = {n: [] for n in claims.CLAIMS}
    for path in template_paths():
        lay = _load(str(path), None)
        for n in claims.claims_of_spec(lay.spec):
            embodying[n].append(lay.spec.meta.name)
    for n, c in claims.CLAIMS.items():
        dep = f"(on {c.parent}) " if c.parent else ""
        out.print(f"claim {n:>2} {dep}{c.text}", style="bold", markup=False)
        out.print(f"  templates: {', '.join(embodying[n]) or 'none'}", markup=False)
        out.print(f"  proved by: {', '.join(c.elements)}", markup=False)


@app.command()
def show(
    template: Annotated[str, typer.Argument(help="Template name (see `pkgcad list`) or path to a .toml file.")],
    sets: SetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the resolved parameters as JSON (with --sizes: "
                                          "{parameters, mesh_qualities}).")] = False,
    sizes: Annotated[bool, typer.Option("--sizes", help="Build the model and measure, per --quality, the "
                                        "triangles, STL and GLB sizes and export seconds (takes a few s).")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="With --sizes: measure even a model estimated to write "
                                      "more than 2 GB.")] = False,
) -> None:
    """Every parameter of a template: name, value, unit (mm), allowed range and meaning."""
    lay = _load(template, sets)
    if sizes:
        from .export.estimate import check_measure

        check_measure(lay, yes, QUALITIES)
    spec = lay.spec
    qualities = _measure_qualities(lay) if sizes else None
    if as_json:
        params = spec.model_dump(mode="json")
        data = params if qualities is None else {"parameters": params,
                                                 "mesh_qualities": [dataclasses.asdict(q) for q in qualities]}
        out.print(json.dumps(data, indent=2), markup=False)
        return
    out.print(f"{spec.meta.name}: {spec.meta.title}  (lengths in mm; dimmed rows are not used here)")
    out.print(f"claims embodied: {', '.join(str(c) for c in claims.claims_of_spec(spec))}", markup=False)
    out.print(f"{'parameter':<38} {'value':<20} {'unit':<4} {'allowed':<34} meaning", style="bold")
    for row in describe(spec):
        out.print(f"{row.key:<38} {row.value_text:<20} {row.unit:<4} {row.allowed:<34} {row.meaning}",
                  style=None if row.used else "dim", markup=False)
    out.print(f"hard limits: bumps <= {MAX_BUMPS}, balls <= {MAX_BALLS}, wires <= {MAX_WIRES}, "
              f"leads <= {MAX_LEADS}, texture features <= {MAX_TEXTURE_FEATURES}", markup=False)
    for note in lay.notes():
        out.print(note, markup=False)
    if qualities is None:
        out.print("--quality (STL/GLB): " + ", ".join(f"{q.name} {q.linear:g} mm / {q.angular:g} rad"
                                                       for q in QUALITIES.values())
                  + "; add --sizes to measure triangles, file sizes and times for this model", markup=False)
        return
    out.print(f"{'--quality':<10} {'deviation':>10} {'angle':>7} {'triangles':>11} {'STL MB':>8} {'GLB MB':>8} "
              f"{'seconds':>8}", style="bold")
    for q in qualities:
        out.print(f"{q.quality:<10} {q.linear_mm:>7g} mm {q.angular_rad:>3g} rad {q.triangles:>11,} "
                  f"{q.stl_bytes / 1e6:>8.2f} {q.glb_bytes / 1e6:>8.2f} {q.seconds:>8.2f}", markup=False)
    out.print("STL MB: the per-part files plus the whole-package file; seconds: tessellate + write STL + GLB "
              "(the STEP does not depend on --quality)", markup=False)


def _measure_qualities(lay: Layout) -> list[QualitySizes]:
    from .export.sizes import measure_qualities
    from .geometry import build_package

    with spinner(err, lay.spec.meta.name, "building") as say:
        return measure_qualities(build_package(lay, progress=say), progress=say)


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
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Build even a model estimated to write more than 2 GB "
                                      "(otherwise refused before building, exit 2, with the estimate).")] = False,
    mesh_check: Annotated[bool, typer.Option("--mesh-check", help="With --step-mode conformal: mesh the STEP in "
                                             "gmsh without fragmenting (tetrahedra, one physical group per part), "
                                             "print tetrahedra and volume per part; exit 1 if a check fails.")] = False,
    mesh_size: Annotated[float | None, typer.Option("--mesh-size", help="Largest tetrahedron edge of "
                                                    f"--mesh-check, mm (default {MESH_SIZE:g}).")] = None,
    stl: Annotated[str, typer.Option("--stl", help="; ".join(f"{k}: {v}" for k, v in STL_MODES.items())
                                     + ".")] = DEFAULT_STL,
) -> None:
    """Build STEP, GLB, 3MF, per-part STL and manifest.json for a template (mm). Exit 2 on bad input (nothing
    written), 1 if the geometry fails, 130/143 if interrupted (the previous output intact)."""
    options = make_options(quality, compress, step_mode, mesh_check, mesh_size, stl)
    check_jobs(jobs_n)
    if report_:
        from . import view

        view.require_viewer()  # no bundle: say so before building
    work = plan_builds(template, all_, output, sets or (), options)
    check_sizes(work, yes)
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
        if options.mesh_check:
            failed += _mesh_check_one(res.dest, options.mesh_size)
    if failed:
        raise typer.Exit(EXIT_GEOMETRY)


def _run_one(lay: Layout, dest: Path, options: Options) -> Result:
    """One build with a spinner naming the stage it is in."""
    with spinner(err, lay.spec.meta.name) as say:
        return build_to(lay, dest, options, progress=say)


def _run_parallel(work: list[tuple[Layout, Path, Options]], n: int) -> list[Result]:
    """Builds in ``n`` processes with a progress bar; results in the order of ``work``."""
    with bar(err, f"building {len(work)} models in {min(n, len(work))} processes", len(work)) as built:
        return build_many(work, n, lambda res: built(f"built {res.name}"))


def _mesh_check_one(folder: Path, size: float) -> bool:
    """gmsh on the conformal STEP in ``folder``: print the table and any failed check; True if one failed."""
    from .conformal import MeshCheckError, check_folder

    try:
        with spinner(err, folder.name, "meshing in gmsh"):
            mesh = check_folder(folder, size)
    except MeshCheckError as exc:
        err.print(f"error: mesh check: {exc}", markup=False)
        return True
    out.print(mesh.table(), markup=False)
    for failure in mesh.failures():
        err.print(f"error: mesh check: {failure}", markup=False)
    return bool(mesh.failures())


def _check_one(folder: Path, tol: float, as_json: bool) -> int:
    """Check one output folder and print the rows; returns the number of failing elements."""
    from .check.run import as_json as rows_json
    from .check.run import check_folder, print_table

    rows = check_folder(folder, tol)
    if as_json:
        out.print(rows_json(rows), markup=False)
    else:
        print_table(rows, out, title=f"pkgcad check {folder}")
    return sum(not r.passed for r in rows)


def _check_tol(tol: float) -> None:
    from . import bounds

    bounds.check("check --tol", tol)


@app.command()
def check(
    folder: Annotated[Path, typer.Argument(help="A pkgcad output folder (manifest.json + parts/*.stl).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as a JSON list.")] = False,
    tol: Annotated[float, typer.Option("--tol", help="Geometric tolerance for planes and contacts, mm "
                                       "(at most 0.05).")] = DEFAULT_TOL,
) -> None:
    """Judge every claim element on the EXPORTED files: exit 0 all pass, 1 any fails, 2 unusable input."""
    _check_tol(tol)
    if _check_one(folder, tol, as_json):
        raise typer.Exit(EXIT_GEOMETRY)


@app.command()
def screen(
    model: Annotated[Path, typer.Argument(metavar="MODEL.step|.stp|.stpZ", help="Any package's STEP file (AP203, "
                     "AP214 or AP242, any length unit; .stpZ gzip-compressed), not only pkgcad's.")],
    roles: Annotated[Path | None, typer.Option("--roles", help="A roles file (TOML): [roles] \"NAME PATTERN\" = "
                     "\"ROLE\" (\"#N\" = the N-th solid), [materials] ROLE = \"MATERIAL\", [cte_ppm_k] ROLE = "
                     "NUMBER. Solids it does not name get a role from their name or their geometry; the "
                     "chart's folder holds roles.toml to correct and rerun with.")] = None,
    materials: Annotated[list[str] | None, typer.Option("--materials", metavar="ROLE=MATERIAL", help="State a "
                         "material the claims need and a STEP file does not hold (repeatable): "
                         "interface_layer=nickel, heat_sink=copper, buffer_pad=silicon, chip=silicon, "
                         "adhesive=thermal-adhesive, or ROLE.cte_ppm_k=NUMBER.")] = None,
    output: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder (chart.html, chart.md, "
                                                "chart.csv, pictures/, roles.toml, screen.json). Default: "
                                                "outputs/<name>-screen.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdicts as JSON: claims (claim, verdict, "
                                          "elements), roles, features, cannot_decide.")] = False,
    tol: Annotated[float, typer.Option("--tol", help="Geometric tolerance for planes and contacts, mm "
                                       "(at most 0.05).")] = DEFAULT_TOL,
) -> None:
    """Judge any package's STEP against the 20 claims: roles (roles file, names, geometry), every claim element
    the geometry decides, a claim chart with a picture per element. Exit 0 when it ran (the verdicts are in
    the chart), 2 for an unreadable or hostile file (one line), 1 for an internal failure."""
    import sys

    from .screen.run import plan_screen, run_screen

    dest = plan_screen(model, output, tol)
    with spinner(err, f"screen {model.name}", "reading") as say:
        res = run_screen(model, dest, roles, materials, tol, progress=say)
    if as_json:
        sys.stdout.write(json.dumps(res.as_dict(), indent=2, ensure_ascii=False) + "\n")
        return
    for line in [*res.summary_lines(), f"-> {dest / 'chart.html'} (chart.md, chart.csv, roles.toml, screen.json)"]:
        out.print(line, markup=False, emoji=False)


@app.command()
def section(
    folder: Annotated[Path, typer.Argument(help="A pkgcad output folder (manifest.json + parts/*.stl).")],
    plane: Annotated[str, typer.Option(help="Cutting plane: xz (front) | yz (side) | xy (top).")] = "xz",
    at: Annotated[float | None, typer.Option(help="Where the plane cuts, mm along its normal (y for xz, x for "
                                             "yz, z for xy). Default: xz/yz through the row of bumps, balls, "
                                             "wires or leads nearest the centre; xy through the chip's "
                                             "mid-height.")] = None,
    output: Annotated[Path | None, typer.Option("--out", "-o", help="The .svg or .png to write. Default: "
                                                "FOLDER/section_<plane>.svg.")] = None,
    labels: Annotated[bool, typer.Option("--labels", help="Leader labels naming each part, like a patent "
                                         "figure.")] = False,
    zoom_z: Annotated[float, typer.Option("--zoom-z", help="Vertical exaggeration (1-100) for the thin layers; "
                                          "a vertical scale bar in mm shows it.")] = 1.0,
    width: Annotated[int, typer.Option(help="Picture width in px (200-8000); the height follows.")] = 1200,
) -> None:
    """A cross-section of the exported model: each part filled with its material colour, legend, mm scale."""
    from . import view

    out.print(view.section_folder(folder, plane, at, output, width, zoom_z, labels), markup=False)


@app.command()
def render(
    folder: Annotated[Path, typer.Argument(help="A pkgcad output folder (manifest.json + parts/*.stl).")],
    output: Annotated[Path | None, typer.Option("--out", "-o", help="The .png to write. Default: "
                                                "FOLDER/render.png.")] = None,
    size: Annotated[str, typer.Option(help="WIDTHxHEIGHT in px.")] = "1024x768",
    cut_away: Annotated[bool, typer.Option("--cut/--no-cut", help="Cut away the front quadrant to show the "
                                           "sections.")] = True,
    zoom_z: Annotated[float | None, typer.Option("--zoom-z", help="Vertical exaggeration (1-100). Default: a thin "
                                                 "package is stretched so its stack shows (the title says how "
                                                 "much).")] = None,
) -> None:
    """An isometric PNG preview, drawn offscreen (no screen, no GPU needed)."""
    from . import view

    out.print(view.render_folder(folder, output, size, cut_away, zoom_z), markup=False)


@app.command()
def report(
    folder: Annotated[Path, typer.Argument(help="A pkgcad output folder (manifest.json + parts/*.stl + GLB).")],
    output: Annotated[Path | None, typer.Option("--out", "-o", help="The .html to write. Default: "
                                                "FOLDER/report.html.")] = None,
    tol: Annotated[float, typer.Option("--tol", help="Tolerance of the claim check, mm (at most 0.05).")] = (
        DEFAULT_TOL),
) -> None:
    """One self-contained HTML page: 3D view, sections, parameters, parts (volume, mass), claim check."""
    _check_tol(tol)
    from . import view

    out.print(view.report_folder(folder, output, tol)[0], markup=False)


def _report_one(folder: Path) -> None:
    from . import view

    out.print(view.report_folder(folder)[0], markup=False)


@app.command()
def mockup(
    template: Annotated[str, typer.Argument(help="Template name (see `pkgcad list`) or path to a .toml file.")],
    output: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder. Default: "
                                                 "outputs/<name>-mockup.")] = None,
    sets: SetOpt = None,
    scale: Annotated[float, typer.Option("--scale", help="Enlargement: printed mm per package mm (1 to 200).")] = (
        MOCKUP_SCALE),
    min_feature: Annotated[float, typer.Option("--min-feature", help="Least printable feature, mm on the print "
                                               "(0.1 to 5); thinner features are thickened.")] = MOCKUP_MIN_FEATURE,
    bed: Annotated[str, typer.Option("--bed", help="Printer bed in mm: WIDTHxDEPTH, or WIDTHxDEPTHxHEIGHT to "
                                       "check heights too.")] = MOCKUP_BED,
    cutaway: Annotated[bool, typer.Option("--cutaway", help="One piece with a quarter cut away to show the "
                                          "stack.")] = False,
    section: Annotated[bool, typer.Option("--section", help="With --cutaway: cut away the front half.")] = False,
    exploded: Annotated[bool, typer.Option("--exploded", help="Lay the pieces out side by side on the bed "
                                           "(as many plates as it takes).")] = False,
) -> None:
    """A print kit for an enlarged mockup: one STL per piece, kit.3mf (one object per material colour),
    kit.json and kit.md (mm). Exit 2 on bad input, 1 if the geometry fails."""
    from .mockup.kit import plan_kit, run_kit
    from .mockup.options import make_options as mockup_options

    plan = plan_kit(template, sets or (), mockup_options(scale, min_feature, bed, cutaway, section, exploded), output)
    name = plan.layout.spec.meta.name
    with spinner(err, f"{name} mockup") as say:
        kit = run_kit(plan, progress=say)
    thick = f", {kit.thickened} features thickened" if kit.thickened else ""
    out.print(f"{name}: {kit.pieces} pieces at {scale:g}x{thick} -> {plan.dest} "
              f"({kit.bytes / 1e6:.1f} MB, {sum(kit.timings_s.values()):.1f} s)", markup=False)


@app.command()
def kicad(
    template: Annotated[str | None, typer.Argument(help="Template name or .toml path (omit with --all).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="One library with every bundled template.")] = False,
    sets: SetOpt = None,
    output: Annotated[Path, typer.Option("--out", "-o", help="Library folder to write (holds LIB.pretty, "
                                         "LIB.3dshapes, README.md).")] = Path("outputs/kicad"),
    lib: Annotated[str, typer.Option("--lib", help="Library nickname: LIB.pretty, LIB.3dshapes.")] = "pkgcad",
    density: Annotated[str, typer.Option("--density", help="IPC-7351B land density: L (least), N (nominal), "
                                         "M (most).")] = "N",
    wrl: Annotated[bool, typer.Option("--wrl/--no-wrl", help="Also write the VRML model (1/2.54 scale) and point "
                                      "the model lines at it, as KiCad's library does.")] = True,
    thermal_vias: Annotated[bool, typer.Option("--thermal-vias", help="QFN: plated vias (0.3 mm drill) in the "
                                               "exposed pad, a bottom-side pad over them (footprint ..._ThermalVias)."
                                               )] = False,
    model_dir: Annotated[str, typer.Option("--3d-dir", help="What the model lines start with: a KiCad path "
                                           "variable or a folder; '${KICAD6_3DMODEL_DIR}' for a global "
                                           "library.")] = "${KIPRJMOD}",
    full_model: Annotated[bool, typer.Option("--full-model", help="3D models with every part (chip, wires, "
                                             "bumps...), not only what a board shows.")] = False,
    quality: Annotated[str, typer.Option(help="WRL tessellation: draft | normal | fine (chordal deviation "
                                         "0.02 / 0.005 / 0.001 mm).")] = "normal",
    jobs_n: Annotated[int | None, typer.Option("--jobs", "-j", help="Processes writing the models (default: one; "
                                               "all cores with --full-model).")] = None,
) -> None:
    """A KiCad library: footprints (IPC-7351B lands) + STEP and WRL models, from the same spec (mm).
    Writing into an existing library adds to it (no name changes). Exit 2 on bad input or a land pattern that
    cannot exist (nothing written), 1 if the geometry fails."""
    from .kicad import Options, plan_kicad, run_kicad

    options = Options(lib=lib, density=density, wrl=wrl, thermal_vias=thermal_vias, model_dir=model_dir,
                      quality=quality, full_model=full_model)
    plan = plan_kicad(template, all_, sets or (), output, options, jobs_n)
    with spinner(err, "kicad") as say:
        written = run_kicad(plan, progress=say)
    where = Path(os.path.abspath(output))  # absolute, as every other command prints its output
    for fp in written.packages:
        out.print(f"{fp.template}: {lib}.pretty/{fp.footprint}.kicad_mod ({fp.copper_pads} pads), "
                  f"{lib}.3dshapes/{fp.model}", markup=False)
    if written.replaced_earlier_format:
        err.print(f"note: {where} held a library of an earlier pkgcad kicad (names that depended on the library); "
                  "it was replaced, not added to", markup=False)
    out.print(f"-> {where} (see {where / 'README.md'} to add it to KiCad)", markup=False)


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
                                    "thermal, report, kicad.")] = "build,check",
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
    keep: Annotated[str, typer.Option("--keep", help="What each variant's folder keeps: all (every file) | summary "
                                      "(its JSON records: manifest.json, check.json, thermal/*.json) | failed (every "
                                      "file of the variants whose check fails, the records of the rest). The table "
                                      "keeps every figure.")] = "all",
) -> None:
    """Design-space sweep on Dask: every variant built (and checked...) into OUT/<variant-id>/, with
    results.parquet/.csv (one row per variant; mm, mm^3, g, s), plots/ and index.html. Exit 2 on bad input,
    1 if a variant failed."""
    import signal

    from .progress import SweepProgress
    from .sweep import SweepRequest, refusals, run_sweep

    req = SweepRequest(template, tuple(grid or ()), random_n, tuple(ranges or ()), seed, tuple(sets or ()), do,
                       workers, scheduler, output, quality, dry_run=dry_run, dashboard=":8787" if dashboard else None,
                       keep=keep)

    def terminated(signum: int, frame: object) -> None:
        raise _Terminated()

    # a sweep ends an interrupt by compiling its table (the finished variants kept, the rest pending), so here
    # SIGINT/SIGTERM raise instead of pkgcad.interrupts' immediate exit
    previous = signal.signal(signal.SIGTERM, terminated)
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        res = run_sweep(req, SweepProgress(err))
    except _Terminated:
        err.print("terminated: the finished variants are kept; rerun the same command to resume", markup=False)
        raise typer.Exit(143) from None
    except KeyboardInterrupt:
        err.print("interrupted: the finished variants are kept; rerun the same command to resume", markup=False)
        raise typer.Exit(130) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
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
def strip(
    template: Annotated[str, typer.Argument(help="Template name (see `pkgcad list`) or path to a .toml file.")],
    units: Annotated[str, typer.Option("--units", help="Units on the strip: COLUMNSxROWS, e.g. 45x13.")],
    sets: SetOpt = None,
    street: Annotated[float, typer.Option("--street", help="Street between units (and round the array), mm; "
                                          "unit pitch = footprint + street.")] = DEFAULT_STREET,
    kerf: Annotated[float | None, typer.Option("--kerf", help="Saw kerf, mm, at most the street (default: the "
                                               "street, so the sawn units are the package).")] = None,
    rail: Annotated[float, typer.Option("--rail", help="Carrier rail on each side of the array, mm (with --size: "
                                        "the least rail).")] = DEFAULT_RAIL,
    size: Annotated[str | None, typer.Option("--size", help="Strip outline WIDTHxHEIGHT in mm; the units and "
                                             "rails must fit.")] = None,
    flash: Annotated[float, typer.Option("--flash", help="Compound flash left on the interface layer by "
                                         "molding (stage 3), mm (0 = none).")] = DEFAULT_FLASH,
    output: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder. Default: "
                                                 "outputs/<name>-strip.")] = None,
    stages: Annotated[bool, typer.Option("--stages", help="Write all five stages (bonded, plate, molded, "
                                         "deflashed, sawn); default: the deflashed strip only.")] = False,
    quality: Annotated[str, typer.Option(help="GLB/STL tessellation: draft | normal | fine.")] = "normal",
) -> None:
    """The molded strip and its singulation (mm): STEP + GLB per process stage, a sawn unit as a package
    folder (checked), strip.md + strip.json + pictures. Exit 2 on bad input, 1 if a sawn unit fails the check."""
    lay = plan_strip(template, sets or (), units, street, kerf, rail, size, flash)
    dest = output or Path("outputs") / f"{lay.unit.spec.meta.name}-strip"
    name = lay.unit.spec.meta.name
    with spinner(err, f"{name} strip") as say:
        sheet = run_strip(lay, dest, quality, stages, progress=say)
    c = sheet.unit_check
    out.print(f"{name} strip: {lay.count} units ({lay.nx} x {lay.ny}) on {lay.size[0]:.4g} x {lay.size[1]:.4g} "
              f"mm, saw path {lay.saw_length:,.0f} mm, kerf loss {sheet.kerf_loss_mm3:,.2f} mm^3; sawn unit "
              f"check {c.passed}/{c.rows} -> {dest} ({sheet.bytes / 1e6:.1f} MB, "
              f"{sum(sheet.timings_s.values()):.1f} s)", markup=False)
    if c.failed:
        err.print(f"error: the sawn unit fails {c.failed} check element(s): {', '.join(c.failing)}", markup=False)
        raise typer.Exit(EXIT_GEOMETRY)


@app.command()
def thermal(
    sources: AnalysisSources = None,
    sets: SetOpt = None,
    power: Annotated[float, typer.Option("--power", help="Heat dissipated in the chip's active face, W "
                                         "(down for flip chip, up for wire bond).")] = 1.0,
    mesh: Annotated[str, typer.Option("--mesh", help="Mesh preset: coarse | normal | fine (12 / 24 / 48 "
                                      "elements across the package, twice as fine around the chip, 2 through "
                                      "each thin layer).")] = "normal",
    output: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder. Default: "
                                                "outputs/<name>-thermal (--compare: outputs/thermal-compare).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary (or the --compare rows) as JSON.")] = (
        False),
    compare: Annotated[bool, typer.Option("--compare", help="Each template with and without its exposed heat "
                                          "sink (mold in its place): one table (K/W, %) and one bar chart.")] = False,
    board: Annotated[bool, typer.Option("--board", help="Also ESTIMATE psi-JT, psi-JB and theta-JA (K/W, "
                                        "JESD51-2A-like still air): the package on its JEDEC 2s2p test board, "
                                        "h = 10 W/m2 K on every exposed face (one more solve, same mesh).")] = False,
) -> None:
    """Steady conduction by finite elements (gmsh, scikit-fem, pyamg), named as JEDEC does: Tj, theta-JC(top),
    theta-JC(bot) (exposed pad), theta-JB (JESD51-8: soldered to the 2s2p test board, ring cold plate) (K/W), heat
    split; writes thermal.json, compact_model.json (JESD15-3), thermal.vtu, section PNGs (degC). Exit 2 on bad
    input (nothing written), 1 if meshing or solving fails."""
    from .export.staging import staged_dir
    from .thermal.run import check_options

    check_options(power, mesh)
    lays, dest = _analysis_inputs("thermal", sources, sets, compare, output)
    if compare:
        _thermal_compare(lays, power, mesh, dest, as_json)
        return
    from .thermal.run import run_layout, summary, summary_lines, write_outputs

    lay = lays[0]
    with spinner(err, f"{lay.spec.meta.name} thermal") as say:
        res = run_layout(lay, power_w=power, mesh=mesh, board=board, progress=say)
        say(f"writing {dest}")
        with staged_dir(dest, "thermal") as tmp:
            write_outputs(tmp, res, lay)
    data = summary(res)
    _print_thermal(data, summary_lines(data), f"-> {dest} (thermal.json, compact_model.json, thermal.vtu, "
                   "section_*.png)", as_json)


def _thermal_compare(lays: list[Layout], power: float, mesh: str, dest: Path, as_json: bool) -> None:
    from .export.staging import staged_dir
    from .thermal.compare import compare_rows, table_lines, write_compare

    def finished(row: dict[str, Any]) -> None:
        if not err.is_terminal:  # a log or a pipe (make run) sees no spinner: a line per finished model instead
            err.print(f"thermal --compare: {row['package']} done ({len(rows_done) + 1}/{len(lays)}): theta-JC(top) "
                      f"{row['theta_jc_top_K_W']:.3f} K/W (no heat sink {row['theta_jc_top_no_hs_K_W']:.3f}), "
                      f"theta-JB {row['theta_jb_K_W']:.3f} K/W, {row['seconds']:.1f} s", markup=False)
        rows_done.append(row)

    rows_done: list[dict[str, Any]] = []
    with spinner(err, "thermal --compare") as say:
        rows = compare_rows(lays, power_w=power, mesh=mesh, progress=say, done=finished)
        with staged_dir(dest, "thermal") as tmp:
            write_compare(tmp, rows, {"power_W": power, "mesh": mesh,
                                      "baseline": "mold where the heat sink, its interface layer, the adhesive "
                                      "and any buffer pad were"})
    _print_thermal(rows, table_lines(rows), f"-> {dest} (compare.json, compare.csv, compare.md, compare.png)",
                   as_json)


def _print_thermal(data: Any, lines: list[str], written: str, as_json: bool) -> None:
    """``data`` as JSON (``--json``), or the table ``lines`` and the line naming what was written."""
    if as_json:
        out.print(json.dumps(data, indent=2), markup=False)
        return
    for line in [*lines, written]:
        out.print(line, markup=False)


@app.command()
def warp(
    sources: AnalysisSources = None,
    sets: SetOpt = None,
    at: Annotated[str | None, typer.Option("--at", help="Temperatures, degC, separated by commas (-65 to 300). "
                                           "Default: 25 and the JESD22-B112 reflow points 150,183,217,245,260 "
                                           "(--compare: 25,260).")] = None,
    stress_free: Annotated[float, typer.Option("--stress-free", help="Stress-free temperature, degC (default: the "
                                               "mold cure, 175).")] = 175.0,
    mesh: Annotated[str, typer.Option("--mesh", help="Mesh preset: coarse | normal | fine (the pipeline's; "
                                      "quadratic tetrahedra).")] = "normal",
    output: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder. Default: "
                                                "outputs/<name>-warp (--compare: outputs/warp-compare).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print warp.json's summary (or the --compare rows) as "
                                          "JSON.")] = False,
    compare: Annotated[bool, typer.Option("--compare", help="Each template; a buffer pad also in silicon, Alloy 42, "
                                          "molybdenum and copper (same mesh) and replaced by adhesive: one table "
                                          "and one chart of chip stress (MPa) and warpage (um).")] = False,
) -> None:
    """Warpage (um, + convex as JESD22-B112) and stresses (MPa) from the CTE mismatch of the parts, by linear
    thermo-elasticity (gmsh, scikit-fem P2, pyamg), the package free; writes warp.json, warp.vtu, deformed.png.
    Exit 2 on bad input (nothing written), 1 if meshing or solving fails."""
    from .export.staging import staged_dir
    from .warp.compare import COMPARE_TEMPERATURES
    from .warp.run import check_options, parse_temperatures, run_layout

    temperatures = parse_temperatures(at) if (at is not None or not compare) else COMPARE_TEMPERATURES
    check_options(temperatures, stress_free, mesh)
    lays, dest = _analysis_inputs("warp", sources, sets, compare, output)
    if compare:
        from .warp.compare import compare_rows, table_lines, write_compare

        with err.status("warp --compare: starting", spinner="dots") as status:
            rows = compare_rows(lays, mesh=mesh, stress_free_c=stress_free, temperatures=temperatures,
                                progress=lambda s: status.update(f"warp: {s}"))
            with staged_dir(dest, "warp") as tmp:
                write_compare(tmp, rows, {"mesh": mesh, "stress_free_c": stress_free,
                                          "temperatures_c": list(temperatures)})
        _print_thermal(rows, table_lines(rows), f"-> {dest} (compare.json, compare.csv, compare.md, compare.png)",
                       as_json)
        return
    from .warp.output import summary, summary_lines, write_all

    lay = lays[0]
    name = lay.spec.meta.name
    with err.status(f"{name} warp: starting", spinner="dots") as status:
        res = run_layout(lay, temperatures=temperatures, stress_free_c=stress_free, mesh=mesh,
                         progress=lambda s: status.update(f"{name} warp: {s}"))
        status.update(f"{name} warp: writing {dest}")
        with staged_dir(dest, "warp") as tmp:
            write_all(tmp, res, lay)
    data = summary(res, lay)
    _print_thermal(data, summary_lines(data), f"-> {dest} (warp.json, warp.vtu, deformed.png)", as_json)


@app.command()
def version() -> None:
    """Print the version."""
    out.print(f"pkgcad {__version__}")


def main() -> None:
    """The console entry point. Ctrl-C / SIGTERM are handled by :mod:`pkgcad.interrupts` (installed by
    ``pkgcad.__main__`` before this module's imports; again here for callers of ``cli.main``)."""
    from . import interrupts

    interrupts.install()
    app()


__all__ = ["app", "main"]
