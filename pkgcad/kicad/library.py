"""Write a KiCad library folder: ``LIB.pretty`` (footprints), ``LIB.3dshapes`` (STEP + WRL), README.md.

One footprint per land pattern: packages whose lands are identical share it, and its model lines name the 3D
model of each of them (the first shown, the others hidden). A footprint's name is a function of its land
pattern and a model's of its package (:mod:`.land`, :mod:`.model`), never of what else is in the library.

Writing into an existing library MERGES: the footprints and models of this run are written (replacing those of
the same name), everything else the library held stays, and a footprint this run writes lists the models of
every package of the library that uses it. So ``pkgcad kicad qfn``, then ``--all``, then any subset into one
folder keep every name and every file. The marker file (:data:`MARKER`) records what the library holds.

All land patterns and names are computed (and any impossible one refused, :class:`InputError`) before anything
is written; the folder is written in a staged temporary folder that replaces ``out`` only when complete, and only
if ``out`` is absent, empty or an earlier ``pkgcad kicad`` library (the output guard).
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import InputError
from ..export.options import mesh_quality
from ..export.outpath import check_name_lengths, check_output_folder
from ..export.staging import staged_dir
from ..export.step import write_step
from ..layout import Layout
from ..pool import check_jobs, run_jobs
from . import footprint, model, readme
from .land import Land, land
from .vrml import write_wrl

MARKER = ".pkgcad-kicad.json"
FORMAT = 2  # of the marker; a library written before (names that depended on the library) is replaced whole


@dataclass(frozen=True)
class Options:
    lib: str = "pkgcad"
    density: str = "N"
    wrl: bool = True
    thermal_vias: bool = False
    model_dir: str = "${KIPRJMOD}"  # what the model lines start with
    quality: str = "normal"  # WRL tessellation (pkgcad's --quality: 0.005 mm, ~400 triangles a ball)
    jobs: int = 0  # processes for the models (0: see :func:`processes`)
    full_model: bool = False  # every part of the package, not just what a board shows

    @property
    def ext(self) -> str:
        """The model lines' file type."""
        return "wrl" if self.wrl else "step"


@dataclass(frozen=True)
class Entry:
    """One package of this run: its layout, footprint and 3D model name."""

    layout: Layout
    land: Land
    model: str
    signature: str  # of the board-level model (see :func:`.model.signature`)

    @property
    def template(self) -> str:
        return self.layout.spec.meta.name


@dataclass(frozen=True)
class Written:
    """One package this run wrote: its footprint (``LIB.pretty/<footprint>.kicad_mod``, ``copper_pads`` pads) and
    3D model (``LIB.3dshapes/<model>.step`` / ``.wrl``: ``bytes`` per file type, ``seconds`` per stage)."""

    template: str
    footprint: str
    model: str
    copper_pads: int
    bytes: dict[str, int]
    seconds: dict[str, float]


@dataclass(frozen=True)
class LibraryResult:
    """What :func:`write_library` did: the packages it wrote (in the order asked), how many the library now holds,
    and whether ``out`` held a library of an earlier format, now replaced."""

    folder: Path
    packages: tuple[Written, ...]
    library_packages: int
    replaced_earlier_format: bool


@dataclass(frozen=True)
class KicadPlan:
    """A library asked for and judged before any geometry: the packages, the folder, the options."""

    layouts: list[Layout]
    out: Path
    options: Options


def plan_kicad(template: str | None, all_: bool, sets: Sequence[str], out: Path, options: Options,
               jobs: int | None = None) -> KicadPlan:
    """``pkgcad kicad``'s input judged: one template or ``--all``, ``--quality``, ``--jobs`` (None: see
    :func:`processes`), the names the library folder will hold, every template (rules included). Raises
    :class:`InputError`."""
    from ..templates import load_layout, template_paths

    if all_ == (template is not None):
        raise InputError("pkgcad kicad", template or "", "give a template name or path, or --all (not both)")
    mesh_quality(options.quality)
    check_jobs(jobs)
    check_name_lengths(out, [f"{options.lib}.3dshapes", f"{options.lib}.pretty"], "--lib", value=options.lib)
    names = [str(p) for p in template_paths()] if all_ else [str(template)]
    return KicadPlan([load_layout(name, sets) for name in names], out, dataclasses.replace(options, jobs=jobs or 0))


def run_kicad(plan: KicadPlan, progress: Callable[[str], None] | None = None) -> LibraryResult:
    """Write (or add to) the library of ``plan`` (:func:`write_library`)."""
    return write_library(plan.layouts, plan.out, plan.options, progress)


def check_lib_name(name: str) -> None:
    if not name or any(c in name for c in '/\\:"*?<>| ') or name.startswith("."):
        raise InputError("--lib", name, "a KiCad library nickname: letters, digits, '-', '_', '.'; no spaces or "
                        "path characters")


def plan(lays: list[Layout], options: Options) -> list[Entry]:
    """Every package of the run with its footprint and model, named; raises :class:`InputError` for the first
    impossible land pattern, or for two packages that would give one name to two different footprints or
    models."""
    check_lib_name(options.lib)
    entries: list[Entry] = []
    lands: dict[str, Entry] = {}
    models: dict[str, Entry] = {}
    for lay in lays:
        ld = land(lay, options.density, options.thermal_vias)
        e = Entry(lay, ld, model.name(ld, lay, options.full_model), model.signature(lay))
        same = lands.setdefault(ld.name, e)
        if same.land.pads != ld.pads:
            raise InputError("template", e.template, f"its footprint would be named {ld.name} like "
                             f"{same.template}'s but its lands differ", "write them into separate libraries (-o)")
        same = models.setdefault(e.model, e)
        if same.signature != e.signature:
            raise InputError("template", e.template, f"its 3D model would be named {e.model} like "
                             f"{same.template}'s but differs from it", "write them into separate libraries (-o)")
        entries.append(e)
    return entries


def model_job(job: tuple[Layout, Path, bool, str, bool]) -> dict[str, Any]:
    """Build one package's model and write ``<base>.step`` (and ``.wrl``) with z = 0 on the board top; seconds
    taken and sizes. A top-level function, so a process pool can run it."""
    lay, base, wrl, quality, full_model = job
    t0 = time.perf_counter()
    pkg = model.build(lay, full_model)
    t1 = time.perf_counter()
    step = base.with_name(base.name + ".step")
    write_step(pkg, step, "assembly")  # a repeated part is one definition placed N times
    t2 = time.perf_counter()
    out: dict[str, Any] = {"seconds": {"build": round(t1 - t0, 3), "step": round(t2 - t1, 3)},
                           "bytes": {"step": step.stat().st_size}}
    if wrl:
        path = base.with_name(base.name + ".wrl")
        out["wrl"] = write_wrl(pkg, path, quality)
        out["seconds"]["wrl"] = round(time.perf_counter() - t2, 3)
        out["bytes"]["wrl"] = path.stat().st_size
    return out


def processes(options: Options, models: int) -> int:
    """How many processes write ``models`` models: ``--jobs``, else one per core for full models (seconds of OCCT
    each) and one for board-level models (a tenth of a second each: less than starting a process that imports
    OCCT)."""
    n = options.jobs or ((os.cpu_count() or 1) if options.full_model else 1)
    return max(1, min(n, models))


def _run_models(jobs: list[tuple[Layout, Path, bool, str, bool]], n: int,
                say: Callable[[str], None]) -> dict[str, dict[str, Any]]:
    """:func:`model_job` for every job, in ``n`` processes (pkgcad's one pool, :func:`pkgcad.pool.run_jobs`), keyed
    by model name."""
    count = [0]

    def done(i: int, _res: dict[str, Any]) -> None:
        count[0] += 1
        say(f"{count[0]}/{len(jobs)} models written ({jobs[i][1].name}" + (f", {n} processes)" if n > 1 else ")"))

    results = run_jobs(model_job, jobs, n, what="the KiCad models", done=done)
    return {job[1].name: res for job, res in zip(jobs, results, strict=True)}


def read_marker(folder: Path) -> dict[str, Any] | None:
    """What an earlier ``pkgcad kicad`` recorded in ``folder``: None if nothing (or a library of an earlier
    format, which is replaced whole)."""
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


def _check_merge(old: dict[str, Any], options: Options, out: Path) -> None:
    """A library has one nickname, one model-path prefix and one model file type: refuse to mix."""
    for key, mine, theirs, fix in (
        ("--lib", options.lib, old.get("library"), f"--lib {old.get('library')}"),
        ("--3d-dir", options.model_dir, old.get("model_dir"), f"--3d-dir '{old.get('model_dir')}'"),
        ("--wrl/--no-wrl", "--wrl" if options.wrl else "--no-wrl", "--wrl" if old.get("wrl") else "--no-wrl",
         "--wrl" if old.get("wrl") else "--no-wrl"),
    ):
        if mine != theirs:
            raise InputError(key, mine, f"{out} holds a library written with {theirs}, and a library takes one",
                             f"use {fix} to add to it, or another -o folder")


def _entry(e: Entry, options: Options) -> dict[str, Any]:
    return {"template": e.template, "footprint": e.land.name, "model": e.model, "kind": e.land.kind,
            "pins": e.land.pin_count, "copper_pads": len(e.land.copper()), "density": e.land.density,
            "web_mm": e.land.web, "corner_gap_mm": e.land.corner_gap, "thermal_vias": options.thermal_vias,
            "full_model": options.full_model, "height_mm": model.height(e.layout), "finish": model.finish(e.layout),
            "signature": e.signature, "lift_mm": model.board_lift(e.layout)}


def merge_packages(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The library's packages after this run: the new ones, and the old ones this run does not write again.
    Refuses to give a model name the packages of the library use to a different model."""
    written = {(p["template"], p["footprint"], p["model"]) for p in new}
    sig = {p["model"]: p for p in new}
    kept = [p for p in old if (p.get("template"), p.get("footprint"), p.get("model")) not in written]
    for p in kept:
        mine = sig.get(p.get("model", ""))
        if mine is not None and mine["signature"] != p.get("signature"):
            raise InputError("template", mine["template"], f"its 3D model {mine['model']} would replace the one "
                             f"package {p.get('template')} of the library uses, and they differ",
                             "write it into another library (-o)")
    return sorted(kept + new, key=lambda p: (p["footprint"], p["model"], p["template"]))


def _link_old(old_root: Path, tmp: Path, rel: str) -> None:
    """Bring an unchanged file of the earlier library into the staged one (a hard link, or a copy)."""
    src, dst = old_root / rel, tmp / rel
    try:
        os.link(src, dst)
    except OSError:
        dst.write_bytes(src.read_bytes())


def write_library(lays: list[Layout], out: Path, options: Options,
                  progress: Callable[[str], None] | None = None) -> LibraryResult:
    """Write (or add to) the library of the packages ``lays`` in ``out`` (its marker records the whole library);
    what was written."""
    say = progress or (lambda _stage: None)
    entries = plan(lays, options)
    verdict = check_output_folder(out, "kicad")  # before any work: the output guard
    old = read_marker(verdict.path) if verdict.exists else None
    if old is not None:
        _check_merge(old, options, out)
    earlier = old is None and verdict.exists and (verdict.path / MARKER).is_file()
    lib, ext = options.lib, options.ext
    run = [_entry(e, options) for e in entries]
    packages = merge_packages(list(old["packages"]) if old else [], run)
    with staged_dir(out, "kicad") as tmp:
        pretty, shapes = tmp / f"{lib}.pretty", tmp / f"{lib}.3dshapes"
        pretty.mkdir()
        shapes.mkdir()
        jobs: dict[str, tuple[Layout, Path, bool, str, bool]] = {}
        for e in entries:
            jobs.setdefault(e.model, (e.layout, shapes / e.model, options.wrl, options.quality, options.full_model))
        writes = {f"{lib}.pretty/{e.land.name}.kicad_mod" for e in entries}
        writes |= {f"{lib}.3dshapes/{m}.{x}" for m in jobs for x in (("step", "wrl") if options.wrl else ("step",))}
        if old is not None:
            for sub in (f"{lib}.pretty", f"{lib}.3dshapes"):
                for f in sorted((verdict.path / sub).glob("*")):
                    if f"{sub}/{f.name}" not in writes and f.is_file():
                        _link_old(verdict.path, tmp, f"{sub}/{f.name}")
        for e in {e.land.name: e for e in entries}.values():
            models = sorted({p["model"] for p in packages if p["footprint"] == e.land.name})
            paths = [f"{options.model_dir}/{lib}.3dshapes/{m}.{ext}" for m in models]
            (pretty / f"{e.land.name}.kicad_mod").write_text(footprint.kicad_mod(e.land, paths), encoding="utf-8")
        done = _run_models(list(jobs.values()), processes(options, len(jobs)), say)
        for p in run:
            p.update(done[p["model"]])
        for p in packages:  # what the marker keeps of this run's: sizes, not timings
            if p["model"] in done:
                p["bytes"] = done[p["model"]]["bytes"]
        kept = [{k: v for k, v in p.items() if k not in ("seconds", "wrl")} for p in packages]
        summary = {"tool": "pkgcad kicad", "format": FORMAT, "version": __version__, "units": "mm",
                   "library": lib, "model_dir": options.model_dir, "wrl": options.wrl, "packages": kept}
        (tmp / "README.md").write_text(readme.text(lib, options, kept), encoding="utf-8")
        (tmp / MARKER).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    written = tuple(Written(p["template"], p["footprint"], p["model"], p["copper_pads"], done[p["model"]]["bytes"],
                            done[p["model"]]["seconds"]) for p in run)
    return LibraryResult(verdict.path, written, len(kept), earlier)
