"""Exporters: STEP (names, colours, instancing), GLB, per-part and whole-package STL, and manifest.json.

Everything is written into a temporary folder beside the output folder and moved into place at the end,
so a failure never leaves a half-written model behind.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import numpy as np
import trimesh

from . import __version__, layout
from .export_options import QUALITIES, STEP_MODES, MeshQuality
from .materials import material
from .meshutil import STL_RECORD
from .package import Package, Part
from .tessellate import Shifts, part_meshes, placed_vertices


# ------------------------------------------------------------------------------------------- staging
@contextmanager
def staged_dir(out: Path) -> Iterator[Path]:
    """Yield a fresh temporary folder beside ``out``; on success it replaces ``out``, on error it vanishes."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        out.rename(old)
    tmp.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------------------------------------- STEP
def write_step(pkg: Package, path: Path, mode: str = "assembly") -> None:
    """STEP AP214 in millimetres, in one of :data:`STEP_MODES`. In an assembly a repeated part is one shape
    definition referenced N times. "fused" writes the whole package as one solid whose faces keep their part
    colours (the parts only touch, so the fuse glues them)."""
    if mode not in STEP_MODES:
        raise ValueError(f"step mode {mode!r}: choose {' | '.join(STEP_MODES)}")
    how: Literal["default", "fused"] = "fused" if mode == "fused" else "default"
    pkg.assembly(tiles=mode == "assembly").export(str(path), "STEP", mode=how, unit="MM", write_pcurves=False,
                                                  glue=True)
    text = path.read_text(encoding="latin-1")
    if mode == "assembly" and any(p.tiling for p in pkg.parts):
        text = name_sub_assemblies(text, path.name)
    path.write_text(stamp_step_header(text, pkg), encoding="latin-1")


_UNNAMED = re.compile(r"NEXT_ASSEMBLY_USAGE_OCCURRENCE\('([^']*)','','',\s*#(\d+),\s*#(\d+)")


def name_sub_assemblies(text: str, file: str) -> str:
    """The STEP ``text`` with each unnamed assembly occurrence named after the product it places. CadQuery
    names the occurrences of parts but not of sub-assemblies (here: a tiled encapsulant), and CAD trees show
    those as blank."""

    def ref(entity: str, ident: str) -> str:
        m = re.search(rf"^#{ident} = {entity}\('[^']*',\s*'[^']*',\s*#(\d+)", text, re.M)
        if m is None:
            raise ValueError(f"{file}: #{ident} is no {entity}")
        return m.group(1)

    def named(m: re.Match[str]) -> str:
        formation = ref("PRODUCT_DEFINITION", m.group(3))
        product = ref("PRODUCT_DEFINITION_FORMATION", formation)
        name = re.search(rf"^#{product} = PRODUCT\('([^']*)'", text, re.M)
        if name is None:
            raise ValueError(f"{file}: #{product} is no PRODUCT")
        return f"NEXT_ASSEMBLY_USAGE_OCCURRENCE('{m.group(1)}','{name.group(1)}','',#{m.group(2)},#{m.group(3)}"

    return _UNNAMED.sub(named, text)


def step_string(text: str) -> str:
    """``text`` as the inside of an ISO 10303-21 string literal (§6.4.3), which is 7-bit ASCII: printable
    characters as they are with ``'`` and ``\\`` doubled, every run of other characters (accents, dashes,
    CJK, control codes) as ``\\X2\\hhhh...\\X0\\`` (UCS-2) or, beyond U+FFFF, ``\\X4\\hhhhhhhh...\\X0\\``."""
    out: list[str] = []
    run: list[str] = []
    wide = False

    def flush() -> None:
        if run:
            out.append(("\\X4\\" if wide else "\\X2\\") + "".join(run) + "\\X0\\")
            run.clear()

    for ch in text:
        code = ord(ch)
        if 0x20 <= code <= 0x7E:
            flush()
            out.append(ch * 2 if ch in "'\\" else ch)
            continue
        if run and (code > 0xFFFF) != wide:
            flush()
        wide = code > 0xFFFF
        run.append(f"{code:08X}" if wide else f"{code:04X}")
    flush()
    return "".join(out)


def stamp_step_header(text: str, pkg: Package) -> str:
    """The STEP ``text`` with our FILE_DESCRIPTION and author in the header; the title is encoded as
    ISO 10303-21 asks (ASCII only), so what we write stays ASCII whatever the title holds."""
    head, sep, body = text.partition("ENDSEC;")
    desc = step_string(f"pkgcad {__version__}: {pkg.name}; {pkg.spec.meta.title}; units: millimetre")
    head = head.replace("FILE_DESCRIPTION(('Open CASCADE Model')", f"FILE_DESCRIPTION(('{desc}')", 1)
    head = head.replace("('Author')", "('pkgcad')", 1)
    return head + sep + body


# --------------------------------------------------------------------------------------------- meshes
def placed_triangles(part: Part, mesh: trimesh.Trimesh) -> np.ndarray:
    """Every instance of ``part`` as (n, 3, 3) float32 triangle corners: numpy transforms of the one mesh."""
    return placed_vertices(part, mesh).astype("<f4")[:, mesh.faces].reshape(-1, 3, 3)


def write_stl(pieces: list[np.ndarray], path: Path, label: str) -> None:
    """Binary STL of the triangles of all ``pieces`` ((n, 3, 3) arrays), streamed piece by piece; its 80-byte
    header names the model and its unit (STL itself has none)."""
    with path.open("wb") as fh:
        fh.write(_stl_head(label, sum(len(t) for t in pieces)))
        for tris in pieces:
            normals = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
            length = np.linalg.norm(normals, axis=1, keepdims=True)
            rec = np.zeros(len(tris), dtype=STL_RECORD)
            rec["n"] = np.divide(normals, length, out=np.zeros_like(normals), where=length > 0)
            rec["v"] = tris
            fh.write(rec.tobytes())


def write_mesh_stl(mesh: trimesh.Trimesh, path: Path, label: str) -> None:
    """:func:`write_stl` of one mesh."""
    write_stl([mesh.vertices.astype("<f4")[mesh.faces]], path, label)


def join_stl(sources: list[Path], path: Path, label: str) -> None:
    """One binary STL holding the triangles of the binary STLs ``sources`` (their records copied as bytes)."""
    with path.open("wb") as fh:
        fh.write(_stl_head(label, sum((src.stat().st_size - 84) // STL_RECORD.itemsize for src in sources)))
        for src in sources:
            with src.open("rb") as part:
                part.seek(84)
                shutil.copyfileobj(part, fh, 1 << 22)


def _stl_head(label: str, triangles: int) -> bytes:
    return f"pkgcad {label} units=mm".encode()[:80].ljust(80, b" ") + np.uint32(triangles).tobytes()


# ----------------------------------------------------------------------------------------------- GLB
def build_scene(pkg: Package, meshes: dict[str, trimesh.Trimesh],
                tiles: dict[str, list[tuple[trimesh.Trimesh, Shifts]]] | None = None) -> trimesh.Scene:
    """A glTF scene: one mesh per part definition, one named node per instance; millimetre coordinates
    under a root node scaled by 0.001, as glTF counts in metres. A part in ``tiles`` (a tiled encapsulant) is
    an instance node holding one child node per tile (``<part>_tile_NNNN``), each distinct tile one mesh."""
    scene = trimesh.Scene()
    root = pkg.name
    scene.graph.update(frame_from=scene.graph.base_frame, frame_to=root, matrix=np.diag([1e-3, 1e-3, 1e-3, 1.0]))
    for part in pkg.parts:
        mat = material(part.material)
        metallic = 0.0 if part.material in {"mold-compound", "bt-laminate", "silicon", "ptfe"} else 0.8
        look = trimesh.visual.material.PBRMaterial(name=part.material, baseColorFactor=[*mat.color, 1.0],
                                                   metallicFactor=metallic, roughnessFactor=0.5)
        pieces = (tiles or {}).get(part.name)
        if pieces is None or part.tiling is None:
            m = meshes[part.name].copy()
            m.visual = trimesh.visual.TextureVisuals(material=look)
            first, *rest = part.placements
            scene.add_geometry(m, geom_name=part.name, node_name=first.name, parent_node_name=root,
                               transform=first.matrix())
            for pl in rest:
                scene.graph.update(frame_from=root, frame_to=pl.name, matrix=pl.matrix(), geometry=part.name)
            continue
        for k, (piece, _shifts) in enumerate(pieces):
            m = piece.copy()
            m.visual = trimesh.visual.TextureVisuals(material=look)
            scene.geometry[f"{part.name}_{k}"] = m
        for pl in part.placements:
            scene.graph.update(frame_from=root, frame_to=pl.name, matrix=pl.matrix())
            i = 0
            for k, (_piece, shifts) in enumerate(pieces):
                for dx, dy in shifts:
                    shift = np.eye(4)
                    shift[:2, 3] = dx, dy
                    scene.graph.update(frame_from=pl.name, frame_to=f"{pl.name}_tile_{i:04d}", matrix=shift,
                                       geometry=f"{part.name}_{k}")
                    i += 1
    scene.metadata["extras"] = {"generator": f"pkgcad {__version__}", "units": "millimetre (root node scale 0.001)"}
    return scene


# ------------------------------------------------------------------------------------------ manifest
def manifest(pkg: Package, files: dict[str, int], timings: dict[str, float], quality: MeshQuality,
             meshes: dict[str, trimesh.Trimesh] | None = None) -> dict[str, Any]:
    spec = pkg.spec
    st = layout.stack(spec)
    rows = pkg.part_rows({k: m.bounds for k, m in (meshes or {}).items()})
    wires = layout.wires(spec) if spec.wirebond else []
    return {
        "tool": "pkgcad",
        "version": __version__,
        "units": {"length": "mm", "volume": "mm^3", "mass": "g"},
        "name": pkg.name,
        "title": spec.meta.title,
        "claims": list(spec.meta.claims),
        "embodiment": {
            "carrier": spec.carrier.kind,
            "connection": spec.chip.connection,
            "attach": "buffer_pad" if spec.buffer_pad.enabled else (
                "connecting_portion" if spec.heat_sink.connecting_portion.enabled else "adhesive"),
            "first_surface": spec.heat_sink.first_surface,
            "interface_layer": spec.interface_layer.material,
        },
        "parameters": spec.model_dump(mode="json"),
        "realized": pkg.realized,
        "stack_mm": {k: v for k, v in vars(st).items()},
        "layout": {"wires": [{"name": f"wire_{w.index:03d}", "start": list(w.start), "end": list(w.end)}
                             for w in wires]},
        "parts": rows,
        "totals": {
            "instances": pkg.instance_count(),
            "volume_mm3": round(sum(r["volume_total_mm3"] for r in rows), 6),
            "mass_g": round(sum(r["mass_g"] for r in rows), 6),
        },
        "mesh_quality": {"name": quality.name, "linear_mm": quality.linear, "angular_rad": quality.angular},
        "files": [{"path": p, "bytes": n} for p, n in sorted(files.items())],
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
    }


# ------------------------------------------------------------------------------------------- writing
FORMATS = ("step", "stl", "glb")


def write_package(pkg: Package, out: Path, quality: MeshQuality = QUALITIES["normal"],
                  formats: tuple[str, ...] = FORMATS, *, compress: bool = False, step_mode: str = "assembly",
                  progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Write every requested format of ``pkg`` into ``out`` (replaced atomically). Returns the manifest.

    ``compress`` also writes ``<name>.stpZ`` (gzip); ``step_mode`` is one of :data:`STEP_MODES`; ``progress``
    hears the stage names."""
    say = progress or (lambda _stage: None)
    timings = dict(pkg.timings)
    with staged_dir(out) as tmp:
        name = pkg.name
        if "step" in formats:
            say("writing STEP")
            t = time.perf_counter()
            write_step(pkg, tmp / f"{name}.step", step_mode)
            timings["step_s"] = time.perf_counter() - t
            if compress:
                t = time.perf_counter()
                with (tmp / f"{name}.step").open("rb") as src, gzip.open(tmp / f"{name}.stpZ", "wb", 6) as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                timings["stpz_s"] = time.perf_counter() - t
        meshes: dict[str, trimesh.Trimesh] = {}
        tiles: dict[str, list[tuple[trimesh.Trimesh, Shifts]]] = {}
        if "stl" in formats or "glb" in formats:
            say("tessellating")
            t = time.perf_counter()
            both = {p.name: part_meshes(p, quality) for p in pkg.parts}
            meshes = {name: mesh for name, (mesh, _pieces) in both.items()}
            tiles = {name: pieces for name, (_mesh, pieces) in both.items()}
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
            (tmp / f"{name}.glb").write_bytes(build_scene(pkg, meshes, tiles).export(file_type="glb"))
            timings["glb_s"] = time.perf_counter() - t
        files = {str(p.relative_to(tmp)): p.stat().st_size for p in sorted(tmp.rglob("*")) if p.is_file()}
        data = manifest(pkg, files, timings, quality, meshes)
        data["step_mode"] = step_mode
        (tmp / "manifest.json").write_text(json.dumps(data, indent=2) + "\n")
    return data
