"""The per-variant steps of a sweep: each runs one pkgcad command's library entry point on a variant.

The geometry-heavy imports sit inside the step functions: the CLI, ``--dry-run`` and the client process never
load the kernel.

A step is ``run(spec, folder, options) -> dict of result columns``; it writes its files into ``folder`` (the
variant's staged folder) and raises :class:`StepFailed` with a one-line message when it cannot finish. Steps
run in :data:`STEPS` order; ``build`` always runs first because every other step reads its files. A step
whose ``available()`` returns a reason cannot be asked for (``--do`` says so, exit 2).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    run: Callable[[PackageSpec, Path, StepOptions], dict[str, Any]] | None
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
def _build(spec: PackageSpec, folder: Path, options: StepOptions) -> dict[str, Any]:
    """Build and export (STEP, STL, GLB, manifest.json) into ``folder``: total and per-group volumes, mass."""
    from ..reader.folder import read_manifest
    from ..runner import Options, build_to

    res = build_to(layout_of(spec), folder, Options(quality=options.quality, step_mode=options.step_mode))
    if res.code:
        raise StepFailed(res.summary)
    data, manifest = read_manifest(folder)
    totals = data["totals"]
    row: dict[str, Any] = {
        "parts": len(manifest.parts),
        "instances": totals["instances"],
        "volume_mm3": totals["volume_mm3"],
        "mass_g": totals["mass_g"],
    }
    for group, volume in _group_volumes(manifest.parts):
        row[f"volume_{group}_mm3"] = volume
    return row


def _group_volumes(parts: Sequence[PartRow]) -> Iterator[tuple[str, float]]:
    totals: dict[str, float] = {}
    for p in parts:
        group = p.group or p.name
        totals[group] = totals.get(group, 0.0) + p.volume_total_mm3
    for group, volume in totals.items():
        yield group, round(volume, 9)


def _check(spec: PackageSpec, folder: Path, options: StepOptions) -> dict[str, Any]:
    """``pkgcad check`` on the exported files; the rows go to ``check.json``."""
    from ..check.run import as_json, check_folder

    try:
        rows = check_folder(folder)
    except InputError as exc:
        raise StepFailed(f"check: {exc}") from None
    (folder / "check.json").write_text(as_json(rows) + "\n")
    failed = [r for r in rows if not r.passed]
    return {
        "check_pass": not failed,
        "check_elements": len(rows),
        "check_failures": len(failed),
        "check_failed": "; ".join(f"claim {r.claims}: {r.element}" for r in failed),
    }


def _report(spec: PackageSpec, folder: Path, options: StepOptions) -> dict[str, Any]:
    """``pkgcad report``: the self-contained report.html (3D view, sections, parts, claim check)."""
    from ..view import report_folder

    try:
        report_folder(folder)
    except InputError as exc:
        raise StepFailed(f"report: {exc}") from None
    return {}


def _kicad(spec: PackageSpec, folder: Path, options: StepOptions) -> dict[str, Any]:
    """``pkgcad kicad`` of the variant: footprint + STEP/WRL model in ``kicad/`` (models written in this
    process: a sweep worker is already one process per core)."""
    from ..kicad import Options, write_library

    try:
        summary = write_library([layout_of(spec)], folder / "kicad", Options(jobs=1))
    except InputError as exc:
        raise StepFailed(f"kicad: {exc}") from None
    (fp,) = summary["footprints"]
    return {"kicad_footprint": fp["footprint"], "kicad_pads": fp["copper_pads"]}


def _thermal(spec: PackageSpec, folder: Path, options: StepOptions) -> dict[str, Any]:
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
    s = summary(res)
    return {"theta_jc_top_k_w": s["theta_jc_top_K_W"], "theta_jb_k_w": s["theta_jb_K_W"],
            "tj_max_c": s["Tj_max_C"], "thermal_top_share": s["heat_split_dual_plate"]["top"]}


def _viewer_available() -> str | None:
    from ..view import require_viewer

    try:
        require_viewer()
    except InputError as exc:
        return str(exc)
    return None


def _always() -> str | None:
    return None


#: Rows, table, plots and summary pick up whatever columns a step returns. ``thermal`` runs before ``report`` so
#: the report has its thermal section.
STEPS: dict[str, Step] = {
    "build": Step("build", "STEP, STL, GLB, manifest.json", _build, ("manifest.json",), _always),
    "check": Step("check", "claim elements on the exported files -> check.json", _check, ("check.json",), _always),
    "thermal": Step("thermal", "theta-JC(top) / theta-JB / Tj at 1 W, --mesh normal (pkgcad thermal) -> thermal/",
                    _thermal, ("thermal",), _always),
    "report": Step("report", "report.html (needs the viewer bundle)", _report, ("report.html",), _viewer_available),
    "kicad": Step("kicad", "footprint + STEP/WRL model (pkgcad kicad) -> kicad/", _kicad, ("kicad",), _always),
}
