"""Make a print kit and write it: one STL per piece, a 3MF with one object per material colour, kit.json
and kit.md. Written into a staging folder and moved into place at the end (nothing half-written)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from .. import __version__
from ..errors import InputError
from ..export.outpath import STAMP
from ..export.staging import staged_dir
from ..export.stl import write_mesh_stl
from ..export.threemf import ColourObject, hex_color, write_3mf
from ..geometry import build_package
from ..layout import Layout
from ..materials import material
from ..meshutil import concatenate
from ..spec import PackageSpec
from .bed import Spot, pack, print_pose
from .kit_md import kit_markdown
from .options import MockupOptions, check_bed, fits, largest_fitting_scale
from .pieces import Assembly, Piece, assemble
from .thicken import PRINT_ANGULAR, PRINT_LINEAR, ROUND_ALLOWANCE, Change, thicken
from .validate import mesh_report

MIXED_COLOR = (0.5, 0.5, 0.5)


@dataclass
class KitPiece:
    index: int  # stack order, from 1 at the bottom
    piece: Piece
    flipped: bool
    spot: Spot | None
    mesh: trimesh.Trimesh  # as written: print orientation, on z = 0 (and at its spot when exploded)
    report: dict[str, Any]

    @property
    def file(self) -> str:
        return f"pieces/{self.index:02d}-{self.piece.name}.stl"


@dataclass
class Kit:
    spec: PackageSpec  # the thickened spec the pieces were built from
    options: MockupOptions
    changes: list[Change]
    assembly: Assembly
    pieces: list[KitPiece]
    objects: list[ColourObject]  # the 3MF
    arrangement: str  # "assembled" | "bed"
    timings: dict[str, float]
    cut_at_print: tuple[float, float] | None = None  # the cut planes' x0, y0 in the cutaway STL's frame


def make_kit(lay: Layout, options: MockupOptions, progress: Callable[[str], None] | None = None) -> Kit:
    """Thicken, build, group into pieces, orient and lay out. Raises :class:`~pkgcad.errors.InputError` for input that
    cannot make a kit (exit 2), :class:`~pkgcad.errors.GeometryError` if geometry fails."""
    say = progress or (lambda _s: None)
    t0 = time.perf_counter()
    check_bed(lay, options)
    say("thickening")
    thick, changes = thicken(lay.spec, options)
    pkg = build_package(thick, progress=say, mold=False)
    t1 = time.perf_counter()
    asm = assemble(pkg, options, say)
    t2 = time.perf_counter()
    say("orienting and laying out")
    posed = []
    for piece in asm.pieces:
        pose, flipped = print_pose(piece.mesh)
        posed.append((piece, pose, flipped, _moved(piece.mesh, pose)))
    extents = [(float(m.extents[0]), float(m.extents[1]), float(m.extents[2])) for *_r, m in posed]
    for (piece, *_r), ext in zip(posed, extents, strict=True):
        if not fits(*ext, options.bed):
            best = largest_fitting_scale([(e[0], e[1], e[2]) for e in extents], options.scale, options.bed)
            size = " x ".join(f"{v:.1f}" for v in ext)
            raise InputError("--scale", options.scale, f"piece {piece.name} prints {size} mm, larger than the "
                            f"{options.bed.text()} mm bed; the largest scale that fits is {best:g}")
    spots: list[Spot | None] = (list(pack([(e[0], e[1]) for e in extents], options.bed)) if options.exploded
                                else [None] * len(posed))
    pieces = []
    for i, ((piece, _pose, flipped, mesh), spot) in enumerate(zip(posed, spots, strict=True)):
        if spot is not None:
            mesh.apply_transform(spot.matrix(options.bed))
        mesh.vertices[:, 2] -= mesh.bounds[0, 2]  # exactly on the bed, not 1e-12 below it
        pieces.append(KitPiece(i + 1, piece, flipped, spot, mesh,
                               mesh_report(mesh, piece.name, one_shell=True)))
    objects, arrangement = _objects(asm, posed, spots, options)
    cut_at = None
    if asm.cut != "none":
        _p, pose, _f, _m = posed[0]
        if spots[0] is not None:
            pose = spots[0].matrix(options.bed) @ pose
        x, y, _z = trimesh.transform_points(np.array([[*asm.cut_at, 0.0]]), pose)[0]
        cut_at = (float(x), float(y))
    t3 = time.perf_counter()
    timings = {"build_s": t1 - t0, **asm.timings, "layout_s": t3 - t2}
    return Kit(thick.spec, options, changes, asm, pieces, objects, arrangement, timings, cut_at)


def _objects(asm: Assembly, posed: list[tuple[Piece, np.ndarray, bool, trimesh.Trimesh]], spots: list[Spot | None],
             options: MockupOptions) -> tuple[list[ColourObject], str]:
    """The 3MF's objects, one per material colour: the cutaway's bodies in its print pose; the pieces on the
    bed when exploded; else the package as assembled (a colour view of how the pieces stack)."""
    if asm.cut != "none":
        _p, pose, _f, _m = posed[0]
        if spots[0] is not None:
            pose = spots[0].matrix(options.bed, plates_apart=True) @ pose
        meshes = {b.material: _moved(b.mesh, pose) for b in asm.bodies}
        arrangement = "print pose" if spots[0] is None else "bed"
    elif options.exploded:
        by: dict[str, list[trimesh.Trimesh]] = {}
        for (piece, pose, _f, _m), spot in zip(posed, spots, strict=True):
            assert spot is not None
            by.setdefault(piece.material, []).append(
                _moved(piece.mesh, spot.matrix(options.bed, plates_apart=True) @ pose))
        meshes = {m: concatenate(ms) for m, ms in by.items()}
        arrangement = "bed"
    else:
        meshes = {b.material: b.mesh.copy() for b in asm.bodies}
        arrangement = "assembled"
    low = min(float(m.bounds[0, 2]) for m in meshes.values())
    objects = []
    for name, mesh in meshes.items():
        mesh.vertices[:, 2] -= low
        objects.append(ColourObject(name, material(name).color if name != "mixed" else MIXED_COLOR, mesh))
    return objects, arrangement


def _moved(mesh: trimesh.Trimesh, matrix: np.ndarray) -> trimesh.Trimesh:
    out = mesh.copy()
    out.apply_transform(matrix)
    return out


# ----------------------------------------------------------------------------------------------- writing
def kit_json(kit: Kit, files: dict[str, int]) -> dict[str, Any]:
    o, s = kit.options, kit.options.scale
    spec = kit.spec
    # what stacks: the pieces, or in a cutaway the materials' bodies inside the one piece
    layers = ([(kp.piece.name, kp.piece.mesh) for kp in kit.pieces] if o.cut == "none" else
              sorted(((f"{b.material} layer" if b.material != "mold-compound" else "encapsulant", b.mesh)
                      for b in kit.assembly.bodies), key=lambda nm: float(nm[1].bounds[0, 2])))
    base = min(float(m.bounds[0, 2]) for _n, m in layers)
    stack = [{"piece": n, "z_mm": [round(float(m.bounds[0, 2]) - base, 4), round(float(m.bounds[1, 2]) - base, 4)]}
             for n, m in layers]
    return {
        "tool": "pkgcad mockup",
        "version": __version__,
        "units": {"length": "mm (printed, after scaling)", "volume": "mm^3"},
        "name": spec.meta.name,
        "title": spec.meta.title,
        "scale": s,
        "min_feature_mm": o.min_feature,
        "model_min_feature_mm": round(o.model_min, 6),
        "bed_mm": {"width": o.bed.width, "depth": o.bed.depth, "height": o.bed.height},
        "cut": o.cut,
        "cut_planes": None if kit.cut_at_print is None else {
            "through": kit.assembly.cut_through,
            "package_xy_mm": [round(v, 4) for v in kit.assembly.cut_at],
            "print_xy_mm": [round(v, 4) for v in kit.cut_at_print],
            "setback_mm": 2 * o.min_feature,
        },
        "exploded": o.exploded,
        "arrangement_3mf": kit.arrangement,
        "mesh": {"chordal_deviation_mm": PRINT_LINEAR, "angle_rad": PRINT_ANGULAR,
                 "round_allowance": round(ROUND_ALLOWANCE, 6)},
        "assembled_bbox_mm": _assembled_bbox(kit),
        "thickened": [c.row(s) for c in kit.changes],
        "parameters": spec.model_dump(mode="json"),  # the thickened parameters the pieces were built from
        "pieces": [{
            "index": kp.index,
            "name": kp.piece.name,
            "title": kp.piece.title,
            "file": kp.file,
            "material": kp.piece.material,
            "color": hex_color(material(kp.piece.material).color) if kp.piece.material != "mixed"
            else hex_color(MIXED_COLOR),
            "parts": kp.piece.parts,
            "instances": kp.piece.instances,
            "tie": kp.piece.tie,
            "print_orientation": "upside down" if kp.flipped else "as assembled",
            "size_mm": [round(float(v), 4) for v in kp.mesh.extents],
            "plate": kp.spot.plate if kp.spot else None,
            "bed_xy_mm": [round(kp.spot.x, 3), round(kp.spot.y, 3)] if kp.spot else None,
            "turned_90": kp.spot.turned if kp.spot else False,
            "checks": kp.report,
        } for kp in kit.pieces],
        "stack": stack,
        "plates": max((kp.spot.plate for kp in kit.pieces if kp.spot), default=None),
        "objects_3mf": [{"name": ob.name, "color": hex_color(ob.color), "triangles": len(ob.mesh.faces)}
                        for ob in kit.objects],
        "files": [{"path": p, "bytes": n} for p, n in sorted(files.items())],
        "timings_s": {k: round(v, 3) for k, v in kit.timings.items()},
    }


def _assembled_bbox(kit: Kit) -> list[list[float]]:
    """Bounds of the pieces as assembled (printed mm, package frame: carrier bottom at z = 0)."""
    b = np.array([kp.piece.mesh.bounds for kp in kit.pieces])
    return [[round(float(v), 4) for v in b[:, 0].min(axis=0)], [round(float(v), 4) for v in b[:, 1].max(axis=0)]]


@dataclass(frozen=True)
class KitWritten:
    """A kit as written: its folder, its pieces, the features thickened to print, the files (bytes) and the seconds
    each stage took; ``record`` is kit.json's contents."""

    folder: Path
    pieces: int
    thickened: int
    files: dict[str, int]
    timings_s: dict[str, float]
    record: dict[str, Any]

    @property
    def bytes(self) -> int:
        return sum(self.files.values())


def write_kit(kit: Kit, out: Path, progress: Callable[[str], None] | None = None) -> KitWritten:
    """Write ``kit`` into ``out`` (replaced atomically)."""
    say = progress or (lambda _s: None)
    t = time.perf_counter()
    with staged_dir(out, "mockup") as tmp:
        say("writing STL")
        (tmp / "pieces").mkdir()
        name = kit.spec.meta.name
        for kp in kit.pieces:
            write_mesh_stl(kp.mesh, tmp / kp.file, f"{name} mockup x{kit.options.scale:g} {kp.piece.name}")
        say("writing 3MF")
        write_3mf(tmp / "kit.3mf", kit.objects, f"{name} mockup x{kit.options.scale:g}")
        kit.timings["write_s"] = time.perf_counter() - t
        files = {str(p.relative_to(tmp)): p.stat().st_size for p in sorted(tmp.rglob("*"))
                 if p.is_file() and p.name != STAMP}
        data = kit_json(kit, files)
        (tmp / "kit.json").write_text(json.dumps(data, indent=2) + "\n")
        (tmp / "kit.md").write_text(kit_markdown(data))
    return KitWritten(out, len(kit.pieces), len(kit.changes), files, dict(kit.timings), data)


@dataclass(frozen=True)
class KitPlan:
    """A mockup asked for and judged before any geometry: the package, the options, the folder to write."""

    layout: Layout
    options: MockupOptions
    dest: Path


def plan_kit(template: str, sets: Sequence[str], options: MockupOptions, output: Path | None) -> KitPlan:
    """The template (rules judged) and the output folder (the output guard; default ``outputs/<name>-mockup``).
    Raises :class:`~pkgcad.errors.InputError`."""
    from ..export.outpath import check_output_folder
    from ..templates import load_layout

    lay = load_layout(template, sets)
    dest = check_output_folder(output or Path("outputs") / f"{lay.spec.meta.name}-mockup", "mockup").path
    return KitPlan(lay, options, dest)


def run_kit(plan: KitPlan, progress: Callable[[str], None] | None = None) -> KitWritten:
    """Make the kit of ``plan`` and write it."""
    return write_kit(make_kit(plan.layout, plan.options, progress=progress), plan.dest, progress=progress)
