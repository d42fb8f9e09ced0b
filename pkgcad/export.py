"""Exporters: STEP (names, colours, instancing), GLB, per-part and whole-package STL, and manifest.json.

Everything is written into a temporary folder beside the output folder and moved into place at the end,
so a failure never leaves a half-written model behind.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import cadquery as cq
import numpy as np
import trimesh

from . import __version__, layout
from .export_options import QUALITIES, MeshQuality
from .materials import material
from .meshutil import concatenate, load_mesh
from .package import Package, Part


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
def write_step(pkg: Package, path: Path, fused: bool = False) -> None:
    """STEP AP214 in millimetres; a repeated part is one shape definition referenced N times. ``fused``
    writes the whole package as one solid whose faces keep their part colours (the parts only touch, so
    the fuse glues them)."""
    mode: Literal["default", "fused"] = "fused" if fused else "default"
    pkg.assembly().export(str(path), "STEP", mode=mode, unit="MM", write_pcurves=False, glue=True)
    _stamp_step_header(path, pkg)


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


def _stamp_step_header(path: Path, pkg: Package) -> None:
    """Our FILE_DESCRIPTION and author in the header; the title is encoded as ISO 10303-21 asks (ASCII only),
    so what we write stays ASCII whatever the title holds."""
    text = path.read_text(encoding="latin-1")
    head, sep, body = text.partition("ENDSEC;")
    desc = step_string(f"pkgcad {__version__}: {pkg.name}; {pkg.spec.meta.title}; units: millimetre")
    head = head.replace("FILE_DESCRIPTION(('Open CASCADE Model')", f"FILE_DESCRIPTION(('{desc}')", 1)
    head = head.replace("('Author')", "('pkgcad')", 1)
    path.write_text(head + sep + body, encoding="latin-1")


# --------------------------------------------------------------------------------------------- meshes
def shape_mesh(shape: cq.Shape, quality: MeshQuality, scratch: Path) -> trimesh.Trimesh:
    """A closed, outward-wound triangle mesh of ``shape`` [mm]. Tessellates a fresh copy (OCCT caches the
    triangulation on the shape), drops zero-area triangles (sphere poles) and welds the vertices."""
    fresh = shape.copy()
    fresh.exportStl(str(scratch), tolerance=quality.linear, angularTolerance=quality.angular, ascii=False,
                    relative=False, parallel=True)
    mesh = load_mesh(scratch)
    scratch.unlink()
    mesh.update_faces(mesh.nondegenerate_faces(height=1e-9))
    mesh.remove_unreferenced_vertices()
    mesh.merge_vertices()
    if mesh.volume < 0:
        mesh.invert()
    return mesh


def placed_meshes(part: Part, mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """All instances of ``part`` as one mesh (numpy transforms of the one tessellation)."""
    n, v = part.count, len(mesh.vertices)
    mats = np.stack([p.matrix() for p in part.placements])  # (n, 4, 4)
    verts = np.einsum("nij,vj->nvi", mats[:, :3, :3], mesh.vertices) + mats[:, None, :3, 3]
    faces = (mesh.faces[None, :, :] + (np.arange(n) * v)[:, None, None]).reshape(-1, 3)
    return trimesh.Trimesh(verts.reshape(-1, 3), faces, process=False)


def write_stl(mesh: trimesh.Trimesh, path: Path, label: str) -> None:
    """Binary STL whose 80-byte header names the model and its unit (STL itself has none)."""
    header = f"pkgcad {label} units=mm".encode()[:80].ljust(80, b" ")
    tris = mesh.vertices[mesh.faces].astype("<f4")
    normals = mesh.face_normals.astype("<f4")
    rec = np.zeros(len(mesh.faces), dtype=[("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])
    rec["n"], rec["v"] = normals, tris
    with path.open("wb") as fh:
        fh.write(header)
        fh.write(np.uint32(len(rec)).tobytes())
        fh.write(rec.tobytes())


# ----------------------------------------------------------------------------------------------- GLB
def build_scene(pkg: Package, meshes: dict[str, trimesh.Trimesh]) -> trimesh.Scene:
    """A glTF scene: one mesh per part definition, one named node per instance; millimetre coordinates
    under a root node scaled by 0.001, as glTF counts in metres."""
    scene = trimesh.Scene()
    root = pkg.name
    scene.graph.update(frame_from=scene.graph.base_frame, frame_to=root, matrix=np.diag([1e-3, 1e-3, 1e-3, 1.0]))
    for part in pkg.parts:
        m = meshes[part.name].copy()
        mat = material(part.material)
        metallic = 0.0 if part.material in {"mold-compound", "bt-laminate", "silicon", "ptfe"} else 0.8
        m.visual = trimesh.visual.TextureVisuals(material=trimesh.visual.material.PBRMaterial(
            name=part.material, baseColorFactor=[*mat.color, 1.0], metallicFactor=metallic, roughnessFactor=0.5))
        first, *rest = part.placements
        scene.add_geometry(m, geom_name=part.name, node_name=first.name, parent_node_name=root,
                           transform=first.matrix())
        for pl in rest:
            scene.graph.update(frame_from=root, frame_to=pl.name, matrix=pl.matrix(), geometry=part.name)
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

    ``compress`` also writes ``<name>.stpZ`` (gzip); ``step_mode`` "fused" writes one solid with face colours
    instead of the instanced assembly; ``progress`` hears the stage names."""
    say = progress or (lambda _stage: None)
    timings = dict(pkg.timings)
    with staged_dir(out) as tmp:
        name = pkg.name
        if "step" in formats:
            say("writing STEP")
            t = time.perf_counter()
            write_step(pkg, tmp / f"{name}.step", fused=step_mode == "fused")
            timings["step_s"] = time.perf_counter() - t
            if compress:
                t = time.perf_counter()
                with (tmp / f"{name}.step").open("rb") as src, gzip.open(tmp / f"{name}.stpZ", "wb", 6) as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                timings["stpz_s"] = time.perf_counter() - t
        meshes: dict[str, trimesh.Trimesh] = {}
        if "stl" in formats or "glb" in formats:
            say("tessellating")
            t = time.perf_counter()
            meshes = {p.name: shape_mesh(p.shape, quality, tmp / ".scratch.stl") for p in pkg.parts}
            timings["tessellate_s"] = time.perf_counter() - t
        if "stl" in formats:
            say("writing STL")
            t = time.perf_counter()
            (tmp / "parts").mkdir()
            whole = []
            for group, parts in pkg.groups().items():
                merged = concatenate([placed_meshes(p, meshes[p.name]) for p in parts])
                write_stl(merged, tmp / "parts" / f"{group}.stl", f"{name} {group}")
                whole.append(merged)
            write_stl(concatenate(whole), tmp / f"{name}.stl", f"{name} (all parts)")
            timings["stl_s"] = time.perf_counter() - t
        if "glb" in formats:
            say("writing GLB")
            t = time.perf_counter()
            (tmp / f"{name}.glb").write_bytes(build_scene(pkg, meshes).export(file_type="glb"))
            timings["glb_s"] = time.perf_counter() - t
        files = {str(p.relative_to(tmp)): p.stat().st_size for p in sorted(tmp.rglob("*")) if p.is_file()}
        data = manifest(pkg, files, timings, quality, meshes)
        data["step_mode"] = step_mode
        (tmp / "manifest.json").write_text(json.dumps(data, indent=2) + "\n")
    return data
