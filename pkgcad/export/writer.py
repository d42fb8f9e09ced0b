"""Write a package folder: every requested format into a staged folder, then the manifest, then rename it into
place (:mod:`.staging`)."""

from __future__ import annotations

import gzip
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from ..package import Package
from ..reader.schema import Manifest
from ..tessellate import TiledMesh, part_meshes
from .glb import package_scene
from .manifest import manifest
from .options import DEFAULT_STL, QUALITIES, STL_MODES, MeshQuality
from .outpath import STAMP
from .staging import staged_dir
from .step import write_step
from .stl import join_stl, once_triangles, placed_chunks, write_stl
from .threemf import package_3mf

FORMATS = ("step", "stl", "glb", "3mf")


class StepWriter(Protocol):
    """Writes the STEP of a package at a path (and any files that go with it beside it); returns what
    manifest.json records of it under ``conformal``, or None."""

    def __call__(self, pkg: Package, path: Path, /) -> dict[str, Any] | None: ...


def write_package(pkg: Package, out: Path, quality: MeshQuality = QUALITIES["normal"],
                  formats: tuple[str, ...] = FORMATS, *, stl: str = DEFAULT_STL, compress: bool = False,
                  step_mode: str = "assembly",
                  step_writer: StepWriter | None = None,
                  progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Write every requested format of ``pkg`` into ``out`` (replaced atomically). Returns the manifest.

    ``stl`` (:data:`.options.STL_MODES`) says which STL files "stl" writes: the part files with each distinct mesh
    once ("instanced") or with every instance ("parts"), and with "whole" / "all" the whole-package file too.
    ``compress`` also writes ``<name>.stpZ`` (gzip); ``step_mode`` is one of :data:`STEP_MODES`, written by
    :func:`.step.write_step`, except "conformal": the conformal model is made by :mod:`pkgcad.conformal` (a layer
    above the exporters), so that mode needs its ``step_writer`` (``pkgcad.conformal.write_step``; the runner
    passes it). ``progress`` hears the stage names."""
    if stl not in STL_MODES:
        raise ValueError(f"stl mode {stl!r}: choose one of {' | '.join(STL_MODES)}")
    if step_writer is None and step_mode == "conformal" and "step" in formats:
        raise ValueError("step mode 'conformal': pass step_writer=pkgcad.conformal.write_step")
    say = progress or (lambda _stage: None)
    timings = dict(pkg.timings)
    conformal = None
    with staged_dir(out) as tmp:
        name = pkg.name
        if "step" in formats:
            say("writing STEP")
            t = time.perf_counter()
            if step_writer is not None:
                conformal = step_writer(pkg, tmp / f"{name}.step")
            else:
                write_step(pkg, tmp / f"{name}.step", step_mode)
            timings["step_s"] = time.perf_counter() - t
            if compress:
                t = time.perf_counter()
                with (tmp / f"{name}.step").open("rb") as src, gzip.open(tmp / f"{name}.stpZ", "wb", 6) as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                timings["stpz_s"] = time.perf_counter() - t
        tiled: dict[str, TiledMesh] = {}
        if any(f in formats for f in ("stl", "glb", "3mf")):
            say("tessellating")
            t = time.perf_counter()
            tiled = {p.name: part_meshes(p, quality) for p in pkg.parts}
            timings["tessellate_s"] = time.perf_counter() - t
        if "stl" in formats:
            say("writing STL")
            t = time.perf_counter()
            write_stls(pkg, tiled, tmp, stl)
            timings["stl_s"] = time.perf_counter() - t
        if "glb" in formats:
            say("writing GLB")
            t = time.perf_counter()
            scene = package_scene(pkg, {part: tm.pieces[0][0] for part, tm in tiled.items()},
                                  {part: tm.pieces for part, tm in tiled.items()})
            (tmp / f"{name}.glb").write_bytes(scene.glb())
            timings["glb_s"] = time.perf_counter() - t
        if "3mf" in formats:
            say("writing 3MF")
            t = time.perf_counter()
            package_3mf(pkg, {part: tm.tiles for part, tm in tiled.items()}).write(tmp / f"{name}.3mf")
            timings["3mf_s"] = time.perf_counter() - t
        files = {str(p.relative_to(tmp)): p.stat().st_size for p in sorted(tmp.rglob("*"))
                 if p.is_file() and p.relative_to(tmp) != Path(STAMP)}
        data = manifest(pkg, files, timings, quality, tiled, step_mode,
                        stl=(stl if "stl" in formats else None))
        if conformal is not None:  # --step-mode conformal: the solids by gmsh volume tag, the part groups
            data["conformal"] = conformal
        Manifest.model_validate(data)  # what we write, every reader can read
        (tmp / "manifest.json").write_text(json.dumps(data, indent=2) + "\n")
    return data


def write_stls(pkg: Package, tiled: dict[str, TiledMesh], folder: Path, mode: str) -> None:
    """``folder/parts/<group>.stl`` per part group, each distinct mesh once ("instanced", "whole") or every
    instance ("parts", "all"), and with "whole" / "all" ``folder/<name>.stl``, every instance of every part
    (streamed in chunks: a 100,000-bump model's is 3 GB)."""
    name = pkg.name
    every = mode in ("parts", "all")
    (folder / "parts").mkdir()
    groups = []
    for group, parts in pkg.groups().items():
        groups.append(folder / "parts" / f"{group}.stl")
        if every:
            write_stl((c for p in parts for c in placed_chunks(p, tiled[p.name].mesh)), groups[-1],
                      f"{name} {group}", sum(p.count * tiled[p.name].triangles for p in parts))
        else:
            write_stl([once_triangles(p, tiled[p.name]) for p in parts], groups[-1],
                      f"{name} {group}: each mesh once")
    if mode == "all":
        join_stl(groups, folder / f"{name}.stl", f"{name} (all parts)")
    elif mode == "whole":
        write_stl((c for p in pkg.parts for c in placed_chunks(p, tiled[p.name].mesh)), folder / f"{name}.stl",
                  f"{name} (all parts)", sum(p.count * tiled[p.name].triangles for p in pkg.parts))
