"""The mesh check: a conformal STEP (or an output folder holding one) through gmsh, with the proofs that the
contacts are shared and the mesh holds the manifest's volume. Lengths in millimetres."""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from ..errors import InputError
from ..reader.folder import read_manifest
from .mesh import MeshCheckError, MeshReport, PartMesh, load, session, sizes
from .options import DEFAULT_SIZE

ALGORITHM_3D = 10
"""gmsh 3-D algorithm: 10 = HXT, parallel; 4-5x faster than Delaunay (1) here (wirebond-bga: 48 vs 254 s at
load 9, same checks passed). If HXT fails, the check meshes again with Delaunay and says so."""
OPTIMIZE = False
"""gmsh's tetrahedron quality optimisation. Off: with HXT it stalled on qfn (> 5 min in "Improving ... (GSC)");
with Delaunay it costs +6 s CPU of 27 on qfn. The check proves conformity and volume; a solver that needs
quality optimises its own mesh."""
ALGORITHM_2D = 5
"""gmsh 2-D algorithm: 5 = Delaunay; 25 % less CPU than the default Frontal-Delaunay on flipchip-bga."""
EXTEND_FROM_BOUNDARY = -2
"""gmsh's Mesh.MeshSizeExtendFromBoundary: -2 = surface sizes follow their curves, volumes do not inherit the
fine sizes of their faces. Halves the tetrahedra (flipchip-bga 856k -> 428k: a 0.36 mm carrier between bump and
ball imprints otherwise fills with 0.06 mm tetrahedra), same checks passed; the price is steeper grading."""
DUPLICATE_TOL = 1e-7
"""Two mesh nodes closer than this [mm] are duplicates."""


def check_folder(folder: Path, size: float = DEFAULT_SIZE, threads: int = 2) -> MeshReport:
    """:func:`mesh_check` of the conformal STEP in a ``pkgcad build --step-mode conformal`` output folder."""
    try:
        data, manifest = read_manifest(folder)
    except InputError as exc:
        raise MeshCheckError(f"{folder}: no readable manifest.json ({exc})") from None
    if "conformal" not in data:
        raise MeshCheckError(f"{folder}: not built with --step-mode conformal (manifest.json has no 'conformal')")
    expected = {r.name: r.volume_total_mm3 for r in manifest.parts}
    return mesh_check(folder / f"{manifest.name}.step", data["conformal"], expected, size, threads)


def mesh_check(step: Path, conformal: dict[str, Any], expected: dict[str, float], size: float = DEFAULT_SIZE,
               threads: int = 2) -> MeshReport:
    """Import ``step`` into gmsh without fragmenting, group and name its volumes from ``conformal`` (the
    manifest's record), mesh it with tetrahedra of at most ``size`` mm and check: every contact is a shared
    surface (as many as the model had), no duplicate nodes, each part meshed, the total volume within 0.1 % of
    ``expected`` (part -> mm^3, from manifest.json) and planar parts exact."""
    report = MeshReport(step.name, size, expected_shared=int(conformal["shared_faces"]))
    with session(threads, verbose=bool(__import__("os").environ.get("GMSH_VERBOSE"))) as gmsh:
        t0 = time.perf_counter()
        load(gmsh, step, conformal["solids"])
        report.seconds["import"] = time.perf_counter() - t0
        _topology(gmsh, report)
        sizes(gmsh, size)
        t1 = time.perf_counter()
        report.algorithm = _generate(gmsh, step.name)
        report.seconds["mesh"] = time.perf_counter() - t1
        _measure(gmsh, report, conformal["groups"], expected)
    return report


def _generate(gmsh: Any, name: str) -> str:
    """The tetrahedral mesh, by HXT or, if that fails, Delaunay; which one made it."""
    gmsh.option.setNumber("Mesh.Optimize", int(OPTIMIZE))
    gmsh.option.setNumber("Mesh.Algorithm", ALGORITHM_2D)
    gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", EXTEND_FROM_BOUNDARY)
    gmsh.option.setNumber("Mesh.Algorithm3D", ALGORITHM_3D)
    try:
        gmsh.model.mesh.generate(3)
        return {1: "Delaunay", 10: "HXT"}.get(ALGORITHM_3D, str(ALGORITHM_3D))
    except Exception as first:
        if ALGORITHM_3D == 1:
            raise MeshCheckError(f"gmsh could not mesh {name}: {first}") from None
        gmsh.model.mesh.clear()
        gmsh.option.setNumber("Mesh.Algorithm3D", 1)
        try:
            gmsh.model.mesh.generate(3)
        except Exception as exc:
            raise MeshCheckError(f"gmsh could not mesh {name}: {exc}") from None
        return f"Delaunay (HXT failed: {first})"


def _topology(gmsh: Any, report: MeshReport) -> None:
    """Count shared surfaces, and surfaces of one volume that coincide with another's (contacts gmsh did not
    find shared: a non-conformal interface)."""
    surfaces = gmsh.model.getEntities(2)
    report.volumes = len(gmsh.model.getEntities(3))
    report.surfaces = len(surfaces)
    alone: dict[tuple[float, ...], int] = defaultdict(int)
    for _d, s in surfaces:
        up = gmsh.model.getAdjacencies(2, s)[0]
        if len(up) == 2:
            report.shared_surfaces += 1
        else:
            key = (*np.round(gmsh.model.getBoundingBox(2, s), 6), round(gmsh.model.occ.getMass(2, s), 9))
            alone[key] += 1
    report.unshared_contacts = sum(n - 1 for n in alone.values() if n > 1)


def _measure(gmsh: Any, report: MeshReport, groups: dict[str, list[int]], expected: dict[str, float]) -> None:
    """Tetrahedra and meshed volume per part; duplicate nodes."""
    tags, coords, _ = gmsh.model.mesh.getNodes()
    xyz = coords.reshape(-1, 3)
    at = np.zeros(int(tags.max()) + 1, dtype=np.int64)
    at[tags.astype(np.int64)] = np.arange(len(tags))
    report.nodes = len(tags)
    report.duplicate_nodes = len(cKDTree(xyz).query_pairs(DUPLICATE_TOL))
    if set(groups) != set(expected):
        missing = sorted(set(expected) ^ set(groups))
        raise MeshCheckError(f"parts of the model and manifest.json differ: {', '.join(missing)}")
    for part, vols in groups.items():
        tets = 0
        volume = 0.0
        planar = True
        for v in vols:
            types, _el, nodes = gmsh.model.mesh.getElements(3, v)
            for t, n in zip(types, nodes, strict=True):
                if t != 4:  # 4-node tetrahedron
                    raise MeshCheckError(f"{part}: gmsh made elements of type {t}, not tetrahedra")
                p = xyz[at[n.astype(np.int64)]].reshape(-1, 4, 3)
                volume += float(np.abs(np.linalg.det(p[:, 1:] - p[:, :1])).sum()) / 6
                tets += len(p)
            planar &= all(gmsh.model.getType(2, abs(s)) == "Plane"
                          for _d, s in gmsh.model.getBoundary([(3, v)], oriented=False))
        report.parts.append(PartMesh(part, len(vols), tets, volume, expected[part], planar))
    report.tets = sum(p.tets for p in report.parts)
