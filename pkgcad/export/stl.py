"""Binary STL: each part group's triangles streamed into one file (80-byte header naming the model and its
unit, which STL itself has not), and the whole package as one file made of their bytes."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import trimesh

from ..meshutil import STL_RECORD
from ..package import Part
from ..tessellate import placed_vertices


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


