"""Small typed helpers over trimesh, shared by the exporters and the checks (no OCCT here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh


def concatenate(meshes: list[trimesh.Trimesh]) -> trimesh.Trimesh:
    """The meshes as one mesh (not fused: shells stay separate)."""
    merged = trimesh.util.concatenate(meshes)
    assert isinstance(merged, trimesh.Trimesh)
    return merged


def load_mesh(path: Path) -> trimesh.Trimesh:
    """A mesh file as one welded mesh (a binary STL read by :func:`read_binary_stl`, ~10x faster)."""
    if path.suffix.lower() == ".stl" and _is_binary_stl(path):
        return read_binary_stl(path)
    mesh = trimesh.load(str(path), force="mesh", process=True)
    assert isinstance(mesh, trimesh.Trimesh)
    return mesh


STL_RECORD = np.dtype([("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])


def _is_binary_stl(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(84)
    return len(head) == 84 and path.stat().st_size == 84 + int.from_bytes(head[80:], "little") * STL_RECORD.itemsize


def read_binary_stl(path: Path) -> trimesh.Trimesh:
    """A binary STL as a welded mesh, parsed by numpy (``trimesh.load`` takes ~3 us a triangle, this ~0.3)."""
    data = path.read_bytes()
    n = int(np.frombuffer(data, "<u4", 1, 80)[0])
    if len(data) != 84 + n * STL_RECORD.itemsize:
        raise ValueError(f"{path}: not a binary STL of {n} triangles ({len(data)} bytes)")
    tris = np.frombuffer(data, STL_RECORD, n, 84)["v"].astype(np.float64).reshape(-1, 3)
    mesh = trimesh.Trimesh(tris, np.arange(len(tris)).reshape(-1, 3), process=False)
    mesh.merge_vertices()
    mesh.remove_unreferenced_vertices()
    return mesh
