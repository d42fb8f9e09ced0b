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

import trimesh

from ..package import Package
from ..reader.schema import Manifest
from ..tessellate import TiledMesh, part_meshes
from .glb import package_scene
from .manifest import manifest
from .options import QUALITIES, MeshQuality
from .outpath import STAMP
from .staging import staged_dir
from .step import write_step
from .stl import join_stl, placed_triangles, write_stl

FORMATS = ("step", "stl", "glb")


class StepWriter(Protocol):
    """Writes the STEP of a package at a path (and any files that go with it beside it); returns what
    manifest.json records of it under ``conformal``, or None."""

    def __call__(self, pkg: Package, path: Path, /) -> dict[str, Any] | None: ...


def write_package(pkg: Package, out: Path, quality: MeshQuality = QUALITIES["normal"],
                  formats: tuple[str, ...] = FORMATS, *, compress: bool = False, step_mode: str = "assembly",
                  step_writer: StepWriter | None = None,
                  progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Write every requested format of ``pkg`` into ``out`` (replaced atomically). Returns the manifest.

    ``compress`` also writes ``<name>.stpZ`` (gzip); ``step_mode`` is one of :data:`STEP_MODES`, written by
    :func:`.step.write_step`, except "conformal": the conformal model is made by :mod:`pkgcad.conformal` (a layer
    above the exporters), so that mode needs its ``step_writer`` (``pkgcad.conformal.write_step``; the runner
    passes it). ``progress`` hears the stage names."""
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
        meshes: dict[str, trimesh.Trimesh] = {}
        tiled: dict[str, TiledMesh] = {}
        if "stl" in formats or "glb" in formats:
            say("tessellating")
            t = time.perf_counter()
            tiled = {p.name: part_meshes(p, quality) for p in pkg.parts}
            meshes = {name: tm.mesh for name, tm in tiled.items()}
            timings["tessellate_s"] = time.perf_counter() - t
        if "stl" in formats:
            say("writing STL")
            t = time.perf_counter()
            (tmp / "parts").mkdir()
            groups = []
            for group, parts in pkg.groups().items():
                groups.append(tmp / "parts" / f"{group}.stl")
                write_stl([placed_triangles(p, meshes[p.name]) for p in parts], groups[-1], f"{name} {group}")
            join_stl(groups, tmp / f"{name}.stl", f"{name} (all parts)")
            timings["stl_s"] = time.perf_counter() - t
        if "glb" in formats:
            say("writing GLB")
            t = time.perf_counter()
            scene = package_scene(pkg, meshes, {part: tm.pieces for part, tm in tiled.items()})
            (tmp / f"{name}.glb").write_bytes(scene.glb())
            timings["glb_s"] = time.perf_counter() - t
        files = {str(p.relative_to(tmp)): p.stat().st_size for p in sorted(tmp.rglob("*"))
                 if p.is_file() and p.relative_to(tmp) != Path(STAMP)}
        data = manifest(pkg, files, timings, quality, tiled, step_mode, stl="stl" in formats)
        if conformal is not None:  # --step-mode conformal: the solids by gmsh volume tag, the part groups
            data["conformal"] = conformal
        Manifest.model_validate(data)  # what we write, every reader can read
        (tmp / "manifest.json").write_text(json.dumps(data, indent=2) + "\n")
    return data
