"""Write a strip folder: the stages (STEP + GLB), one sawn unit as a package folder judged by ``pkgcad check``,
the pictures and the process sheet, all into a staged folder renamed into place at the end.

    OUT/strip.json, strip.md, top.svg/.png, street-before/after.svg/.png
    OUT/stages/<n>-<stage>.step, .glb     (all five with --stages; else 4-deflashed, the strip as it is sawn)
    OUT/unit/                             a sawn unit: manifest.json, STEP, STL, GLB (a normal package folder)
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from ..export.assembly import Assembly
from ..export.glb import Meshes, assembly_scene
from ..export.options import MeshQuality
from ..export.staging import staged_dir
from ..export.step import write_assembly
from ..export.writer import write_package
from ..package import Placement
from .figures import write_figures
from .model import StripModel, material_use
from .sheet import StageFiles, StripSheet, UnitCheck, markdown

MARK = "strip.json"
"""The file that says a folder is ours: pkgcad strip may replace a folder holding it (and nothing else)."""


def write_strip(model: StripModel, out: Path, quality: MeshQuality, all_stages: bool = False,
                progress: Callable[[str], None] | None = None) -> StripSheet:
    """Write ``model`` into ``out`` (see the module notes). Returns the process sheet (strip.json, strip.md)."""
    from ..check.run import check_folder  # the checker pulls in trimesh ray tests: only when writing

    say = progress or (lambda _stage: None)
    strip = model.strip
    base = f"{strip.unit.spec.meta.name}-strip"
    timings = dict(model.timings)
    meshes = Meshes(quality)
    rows: list[StageFiles] = []
    units = [Placement(u.name, u.x, u.y) for u in strip.units]
    with staged_dir(out, "strip") as tmp:  # judged by the output guard again, swapped in on success
        (tmp / "stages").mkdir()
        for stage in model.stages if all_stages else [model.stage("deflashed")]:
            say(f"writing stage {stage.number} ({stage.key})")
            step, glb = f"stages/{stage.stem}.step", f"stages/{stage.stem}.glb"
            assy = Assembly(f"{base}-{stage.stem}", stage.strip_parts, stage.unit_parts, units)
            t = time.perf_counter()
            write_assembly(assy, tmp / step, f"{assy.name}; {base}: stage {stage.number}, {stage.title}",
                           names="part")
            timings[f"stage{stage.number}_step_s"] = time.perf_counter() - t
            t = time.perf_counter()
            (tmp / glb).write_bytes(assembly_scene(assy, meshes).glb())
            timings[f"stage{stage.number}_glb_s"] = time.perf_counter() - t
            rows.append(StageFiles(stage.number, stage.key, stage.title, step, glb, (tmp / step).stat().st_size,
                                   (tmp / glb).stat().st_size, sum(p.count for p in stage.unit_parts),
                                   sum(p.count for p in stage.strip_parts)))
        say("writing and checking a sawn unit")
        t = time.perf_counter()
        write_package(model.unit, tmp / "unit", quality)
        found = check_folder(tmp / "unit")
        check = UnitCheck("unit", len(found), tuple(r.element for r in found if not r.passed))
        timings["unit_check_s"] = time.perf_counter() - t
        say("drawing the process sheet")
        t = time.perf_counter()
        write_figures(strip, model.stage("deflashed"), model.stage("sawn"), meshes, tmp,
                      f"{base}: {strip.unit.spec.meta.title}")
        timings["figures_s"] = time.perf_counter() - t
        files = {str(p.relative_to(tmp)): p.stat().st_size for p in sorted(tmp.rglob("*")) if p.is_file()}
        data = StripSheet(model, tuple(material_use(model)), tuple(rows), check, files, timings)
        (tmp / "strip.md").write_text(markdown(data), encoding="utf-8")
        (tmp / MARK).write_text(json.dumps(data.record(), indent=1) + "\n", encoding="utf-8")
    return data
