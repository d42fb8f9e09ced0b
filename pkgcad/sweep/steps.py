"""The per-variant steps of a sweep: each runs one pkgcad command's library entry point on a variant.

The geometry-heavy imports sit inside the step functions: the CLI, ``--dry-run`` and the client process never
load the kernel.

A step is ``run(spec, folder, options) -> StepResult``: a typed result whose ``columns()`` join the variant's row.
It writes its files into ``folder`` (the variant's staged folder) and raises :class:`StepFailed` with a one-line
message when it cannot finish. Steps run in :data:`STEPS` order; ``build`` always runs first because every other
step reads its files. A step whose ``available()`` returns a reason cannot be asked for (``--do`` says so, exit 2).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..errors import InputError
from ..reader.schema import PartRow
from ..spec import PackageSpec
from ..templates import layout_of, load_layout


class StepFailed(Exception):
    """A step could not finish for this variant; ``str()`` is the one-line reason recorded in its row."""


@dataclass(frozen=True)
class StepOptions:
    quality: str = "normal"  # STL/GLB tessellation, see export_options.QUALITIES
    step_mode: str = "assembly"  # see export_options.STEP_MODES


@dataclass(frozen=True)
class Step:
    name: str
    help: str
    run: Callable[[PackageSpec, Path, StepOptions], StepResult] | None
    files: tuple[str, ...]  # what the step leaves in the variant folder (checked on resume)
    available: Callable[[], str | None]  # None, or why the step cannot run in this pkgcad


# ------------------------------------------------------------------------------------- library adapters
def load_spec(template: str, overrides: Sequence[str] = ()) -> PackageSpec:
    """A template with ``--set`` overrides, validated by every rule (:class:`InputError` otherwise). Variants
    travel to the workers as specs (small); each worker resolves its layout again."""
    return load_layout(template, overrides).spec


def limit_kernel_threads() -> None:
    """One OCCT thread in this process: a sweep worker is one process per core, and OCCT's own pool can hang
    inside worker processes (docs/references.md, OCCT in worker processes)."""
    from cadquery.occ_impl.shapes import setThreads

    setThreads(1)


def warm_up() -> None:
    """Load the kernel and the modules the steps use, once per worker process, so the first variant's
    seconds are its own (importing CadQuery, trimesh and the builders takes seconds)."""
    limit_kernel_threads()
    from .. import runner  # noqa: F401
    from ..check import run  # noqa: F401
    from ..export import writer  # noqa: F401
    from ..geometry import build_package  # noqa: F401


# ------------------------------------------------------------------------------------------- the steps
Column = str | int | float | bool | None
"""One cell of a sweep row (results.parquet): a number in mm, mm^3, g, s or K/W, a flag, or text."""


class StepResult(Protocol):
    """What a step found for one variant: its columns of the variant's row."""

    def columns(self) -> dict[str, Column]: ...


@dataclass(frozen=True)
class BuildResult:
    parts: int
    instances: int
    volume_mm3: float
    mass_g: float
    group_volumes_mm3: dict[str, float]  # per STL group (parts/<group>.stl)

    def columns(self) -> dict[str, Column]:
        out: dict[str, Column] = {"parts": self.parts, "instances": self.instances, "volume_mm3": self.volume_mm3,
                                  "mass_g": self.mass_g}
        out.update({f"volume_{group}_mm3": v for group, v in self.group_volumes_mm3.items()})
        return out


@dataclass(frozen=True)
class CheckResult:
    elements: int
    failed: tuple[str, ...]  # "claim <claims>: <element>" of each failing row

    def columns(self) -> dict[str, Column]:
        return {"check_pass": not self.failed, "check_elements": self.elements, "check_failures": len(self.failed),
                "check_failed": "; ".join(self.failed)}


@dataclass(frozen=True)
class KicadResult:
    footprint: str
    pads: int  # copper pads

    def columns(self) -> dict[str, Column]:
        return {"kicad_footprint": self.footprint, "kicad_pads": self.pads}


@dataclass(frozen=True)
class ThermalResult:
    theta_jc_top_k_w: float
    theta_jb_k_w: float | None  # None: no board-side face (full-detail balls)
    tj_max_c: float
    top_share: float  # of the heat, with both sides held

    def columns(self) -> dict[str, Column]:
        return {"theta_jc_top_k_w": self.theta_jc_top_k_w, "theta_jb_k_w": self.theta_jb_k_w,
                "tj_max_c": self.tj_max_c, "thermal_top_share": self.top_share}


@dataclass(frozen=True)
class WarpResult:
    warpage_board_25c_um: float
    warpage_board_260c_um: float
    chip_stress_25c_mpa: float
    chip_stress_260c_mpa: float

    def columns(self) -> dict[str, Column]:
        return {"warpage_board_25c_um": self.warpage_board_25c_um,
                "warpage_board_260c_um": self.warpage_board_260c_um,
                "chip_stress_25c_mpa": self.chip_stress_25c_mpa, "chip_stress_260c_mpa": self.chip_stress_260c_mpa}


@dataclass(frozen=True)
class NoColumns:
    def columns(self) -> dict[str, Column]:
        return {}


def _build(spec: PackageSpec, folder: Path, options: StepOptions) -> BuildResult:
    """Build and export (STEP, STL, GLB, manifest.json) into ``folder``: total and per-group volumes, mass."""
    from ..reader.folder import read_manifest
    from ..runner import Options, build_to

    res = build_to(layout_of(spec), folder, Options(quality=options.quality, step_mode=options.step_mode))
    if res.code:
        raise StepFailed(res.summary)
    data, manifest = read_manifest(folder)
    totals = data["totals"]
    return BuildResult(len(manifest.parts), totals["instances"], totals["volume_mm3"], totals["mass_g"],
                       _group_volumes(manifest.parts))


def _group_volumes(parts: Sequence[PartRow]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for p in parts:
        group = p.group or p.name
        totals[group] = totals.get(group, 0.0) + p.volume_total_mm3
    return {group: round(volume, 9) for group, volume in totals.items()}


def _check(spec: PackageSpec, folder: Path, options: StepOptions) -> CheckResult:
    """``pkgcad check`` on the exported files; the rows go to ``check.json``."""
    from ..check.run import as_json, check_folder

    try:
        rows = check_folder(folder)
    except InputError as exc:
        raise StepFailed(f"check: {exc}") from None
    (folder / "check.json").write_text(as_json(rows) + "\n")
    return CheckResult(len(rows), tuple(f"claim {r.claims}: {r.element}" for r in rows if not r.passed))


def _report(spec: PackageSpec, folder: Path, options: StepOptions) -> NoColumns:
    """``pkgcad report``: the self-contained report.html (3D view, sections, parts, claim check)."""
    from ..view import report_folder

    try:
        report_folder(folder)
    except InputError as exc:
        raise StepFailed(f"report: {exc}") from None
    return NoColumns()


def _kicad(spec: PackageSpec, folder: Path, options: StepOptions) -> KicadResult:
    """``pkgcad kicad`` of the variant: footprint + STEP/WRL model in ``kicad/`` (models written in this
    process: a sweep worker is already one process per core)."""
    from ..kicad import Options, write_library

    try:
        written = write_library([layout_of(spec)], folder / "kicad", Options(jobs=1))
    except InputError as exc:
        raise StepFailed(f"kicad: {exc}") from None
    (fp,) = written.packages
    return KicadResult(fp.footprint, fp.copper_pads)


def _thermal(spec: PackageSpec, folder: Path, options: StepOptions) -> ThermalResult:
    """``pkgcad thermal`` of the variant at --mesh normal, 1 W: thermal.json, compact_model.json, thermal.vtu
    and the section pictures in ``thermal/``."""
    from ..errors import GeometryError
    from ..thermal.run import run_layout, summary, write_outputs

    lay = layout_of(spec)
    try:
        res = run_layout(lay, power_w=1.0, mesh="normal")
    except (InputError, GeometryError) as exc:
        raise StepFailed(f"thermal: {exc}") from None
    (folder / "thermal").mkdir(exist_ok=True)
    write_outputs(folder / "thermal", res, lay)
    s = summary(res)  # thermal's own record (pkgcad.thermal types it)
    return ThermalResult(s["theta_jc_top_K_W"], s["theta_jb_K_W"], s["Tj_max_C"], s["heat_split_dual_plate"]["top"])


def _warp(spec: PackageSpec, folder: Path, options: StepOptions) -> WarpResult:
    """``pkgcad warp`` of the variant at --mesh normal, 25 and 260 degC from the 175 degC cure: warp.json,
    warp.vtu and deformed.png in ``warp/``."""
    from ..errors import GeometryError
    from ..warp.output import write_all
    from ..warp.run import run_layout

    lay = layout_of(spec)
    try:
        res = run_layout(lay, temperatures=(25.0, 260.0), mesh="normal")
    except (InputError, GeometryError) as exc:
        raise StepFailed(f"warp: {exc}") from None
    (folder / "warp").mkdir(exist_ok=True)
    write_all(folder / "warp", res, lay)
    cold, hot = res.results
    return WarpResult(cold.warpage_board_um, hot.warpage_board_um, cold.chip_stress_max_mpa, hot.chip_stress_max_mpa)


def _viewer_available() -> str | None:
    from ..view import require_viewer

    try:
        require_viewer()
    except InputError as exc:
        return str(exc)
    return None


def _always() -> str | None:
    return None


#: Rows, table, plots and summary pick up whatever columns a step returns. ``thermal`` and ``warp`` run before
#: ``report`` so the report has their sections.
STEPS: dict[str, Step] = {
    "build": Step("build", "STEP, STL, GLB, manifest.json", _build, ("manifest.json",), _always),
    "check": Step("check", "claim elements on the exported files -> check.json", _check, ("check.json",), _always),
    "thermal": Step("thermal", "theta-JC(top) / theta-JB / Tj at 1 W, --mesh normal (pkgcad thermal) -> thermal/",
                    _thermal, ("thermal",), _always),
    "warp": Step("warp", "warpage / chip stress at 25 and 260 degC, --mesh normal (pkgcad warp) -> warp/", _warp,
                 ("warp",), _always),
    "report": Step("report", "report.html (needs the viewer bundle)", _report, ("report.html",), _viewer_available),
    "kicad": Step("kicad", "footprint + STEP/WRL model (pkgcad kicad) -> kicad/", _kicad, ("kicad",), _always),
}
