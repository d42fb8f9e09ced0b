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


STL_RECORD = np.dtype([("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])


def load_mesh(path: Path) -> trimesh.Trimesh:
    """A mesh file as one welded mesh: a binary STL parsed by numpy, its bit-equal corners merged
    (:func:`weld`; ``trimesh.load`` takes ~10x longer), anything else through trimesh."""
    if path.suffix.lower() == ".stl":
        data = path.read_bytes()
        n = int(np.frombuffer(data, "<u4", 1, 80)[0]) if len(data) >= 84 else -1
        if n >= 0 and len(data) == 84 + n * STL_RECORD.itemsize:
            corners = np.ascontiguousarray(np.frombuffer(data, STL_RECORD, n, 84)["v"].reshape(-1, 3))
            first, inverse = weld(corners)
            return trimesh.Trimesh(corners[first].astype(np.float64), inverse.reshape(-1, 3), process=False)
    mesh = trimesh.load(str(path), force="mesh", process=True)
    assert isinstance(mesh, trimesh.Trimesh)
    return mesh


_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9], dtype=np.uint64)


def weld(corners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For float32 (n, 3) points: the index of each distinct point's first copy, and which distinct point each
    point is; equal means bit-equal. Sorts one 64-bit hash per point (the bytes as one key sort ~5x slower),
    then proves no two different points share a hash, else sorts the bytes."""
    bits = corners.view(np.uint32).astype(np.uint64)
    with np.errstate(over="ignore"):
        keys = (bits * _MIX).sum(axis=1, dtype=np.uint64) ^ (bits[:, 0] >> np.uint64(7))
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    if not np.array_equal(corners[first][inverse], corners):  # a hash collision: weld by the exact bytes
        _, first, inverse = np.unique(corners.view(np.dtype((np.void, 12))).ravel(), return_index=True,
                                      return_inverse=True)
    return first, inverse.ravel()
