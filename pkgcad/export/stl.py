"""Binary STL: each part group's triangles streamed into one file (80-byte header naming the model and its
unit, which STL itself has not), and the whole package as one file.

A part file holds its parts in manifest order, either every instance (each instance's triangles in turn) or,
instanced, each distinct mesh ONCE: an untiled part's mesh at its first placement, a tiled part's distinct
pieces in piece order, each at its first use; manifest.json's placements and tile uses place the rest.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import trimesh

from ..meshutil import STL_RECORD
from ..package import Part
from ..tessellate import TiledMesh, placed_vertices

CHUNK = 1_000_000
"""Triangles computed and written at a time (bounds the memory of a big part's every-instance file)."""


def placed_chunks(part: Part, mesh: trimesh.Trimesh) -> Iterator[np.ndarray]:
    """Every instance of ``part`` as (n, 3, 3) float32 triangle corners (numpy transforms of the one mesh), in
    chunks of about :data:`CHUNK` triangles, instance order kept."""
    step = max(1, CHUNK // max(1, len(mesh.faces)))
    for s in range(0, part.count, step):
        yield placed_triangles_of(part, mesh, s, s + step)


def placed_triangles_of(part: Part, mesh: trimesh.Trimesh, start: int, stop: int) -> np.ndarray:
    """Instances ``start`` to ``stop`` of ``part`` as (n, 3, 3) float32 corners."""
    return placed_vertices(part, mesh, start, stop).astype("<f4")[:, mesh.faces].reshape(-1, 3, 3)


def once_triangles(part: Part, tm: TiledMesh) -> np.ndarray:
    """What the instanced part file holds of ``part`` (see the module notes), (n, 3, 3) float32."""
    first = part.placements[0].matrix()
    if not tm.tiled:
        mesh = tm.mesh
        return (mesh.vertices @ first[:3, :3].T + first[:3, 3]).astype("<f4")[mesh.faces]
    out = []
    for piece, shifts in tm.pieces:
        at = piece.vertices + np.array([shifts[0][0], shifts[0][1], 0.0])
        out.append((at @ first[:3, :3].T + first[:3, 3]).astype("<f4")[piece.faces])
    return np.concatenate(out)


def write_stl(pieces: Iterable[np.ndarray], path: Path, label: str, triangles: int | None = None) -> None:
    """Binary STL of the triangles of all ``pieces`` ((n, 3, 3) arrays), streamed piece by piece; its 80-byte
    header names the model and its unit (STL itself has none). ``triangles``: their count, when ``pieces`` is
    a generator (the header comes first); checked against what was written."""
    if triangles is None:
        pieces = list(pieces)
        triangles = sum(len(t) for t in pieces)
    written = 0
    with path.open("wb") as fh:
        fh.write(_stl_head(label, triangles))
        for tris in pieces:
            normals = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
            length = np.linalg.norm(normals, axis=1, keepdims=True)
            rec = np.zeros(len(tris), dtype=STL_RECORD)
            rec["n"] = np.divide(normals, length, out=np.zeros_like(normals), where=length > 0)
            rec["v"] = tris
            fh.write(rec.tobytes())
            written += len(tris)
    if written != triangles:
        raise RuntimeError(f"{path.name}: {written} triangles written, its header says {triangles}")


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
    """The 80-byte header, ending in the unit however long the label, and the triangle count."""
    unit = b" units=mm"
    text = f"pkgcad {label}".encode("ascii", "replace")[:80 - len(unit)] + unit
    return text.ljust(80, b" ") + np.uint32(triangles).tobytes()
