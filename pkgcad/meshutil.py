"""Small typed helpers over trimesh, shared by the exporters and the checks (no OCCT here), and :class:`Mesh`, the
plain numpy mesh the checks use: trimesh takes seconds to import (scipy.optimize, special, fft...), and
``pkgcad check`` of a large model must not wait for it when it needs none of it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    import trimesh


class MeshLike(Protocol):
    @property
    def vertices(self) -> np.ndarray: ...
    @property
    def edges_unique(self) -> np.ndarray: ...


@dataclass(eq=False)
class Mesh:
    """Triangles ``faces`` (m, 3) over ``vertices`` (n, 3, float64 mm), with the derived arrays the checks use
    under trimesh's names. :meth:`trimesh` hands it to trimesh (imported then) for what only trimesh does."""

    vertices: np.ndarray
    faces: np.ndarray

    @cached_property
    def triangles(self) -> np.ndarray:
        return self.vertices[self.faces]

    @cached_property
    def _cross(self) -> np.ndarray:
        t = self.triangles
        return np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])

    @cached_property
    def area_faces(self) -> np.ndarray:
        return np.linalg.norm(self._cross, axis=1) / 2

    @cached_property
    def face_normals(self) -> np.ndarray:
        length = 2 * self.area_faces[:, None]
        return np.divide(self._cross, length, out=np.zeros_like(self._cross), where=length > 0)

    @cached_property
    def triangles_center(self) -> np.ndarray:
        return self.triangles.mean(axis=1)

    @cached_property
    def bounds(self) -> np.ndarray:
        return np.array([self.vertices.min(axis=0), self.vertices.max(axis=0)])

    @cached_property
    def edges_unique(self) -> np.ndarray:
        e = np.sort(np.concatenate([self.faces[:, [0, 1]], self.faces[:, [1, 2]], self.faces[:, [2, 0]]]), axis=1)
        return np.unique(e, axis=0)

    @property
    def volume(self) -> float:
        t = self.triangles
        return float(np.einsum("ij,ij->", t[:, 0], np.cross(t[:, 1], t[:, 2]))) / 6

    def trimesh(self) -> trimesh.Trimesh:
        import trimesh

        return trimesh.Trimesh(self.vertices, self.faces, process=False)


def joined(meshes: list[Mesh]) -> Mesh:
    """The meshes as one (not fused: shells stay separate)."""
    if len(meshes) == 1:
        return meshes[0]
    starts = np.cumsum([0] + [len(m.vertices) for m in meshes[:-1]])
    return Mesh(np.concatenate([m.vertices for m in meshes]),
                np.concatenate([m.faces + s for m, s in zip(meshes, starts, strict=True)]))


def closest_distance(mesh: Mesh, points: np.ndarray) -> np.ndarray:
    """Distance [mm] from each of ``points`` to the surface of ``mesh`` (trimesh's exact closest point)."""
    import trimesh

    return np.asarray(trimesh.proximity.closest_point(mesh.trimesh(), points)[1])


def concatenate(meshes: list[trimesh.Trimesh]) -> trimesh.Trimesh:
    """The meshes as one mesh (not fused: shells stay separate)."""
    import trimesh

    merged = trimesh.util.concatenate(meshes)
    assert isinstance(merged, trimesh.Trimesh)
    return merged


STL_RECORD = np.dtype([("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])


def load_mesh(path: Path) -> trimesh.Trimesh:
    """A mesh file as one welded mesh: a binary STL parsed by numpy, its bit-equal corners merged
    (:func:`weld`; ``trimesh.load`` takes ~10x longer), anything else through trimesh."""
    import trimesh

    if path.suffix.lower() == ".stl":
        data = path.read_bytes()
        n = int(np.frombuffer(data, "<u4", 1, 80)[0]) if len(data) >= 84 else -1
        if n >= 0 and len(data) == 84 + n * STL_RECORD.itemsize:
            return welded(np.frombuffer(data, STL_RECORD, n, 84)["v"])
    mesh = trimesh.load(str(path), force="mesh", process=True)
    assert isinstance(mesh, trimesh.Trimesh)
    return mesh


def welded(corners: np.ndarray) -> trimesh.Trimesh:
    """Float32 triangle corners (n, 3, 3) as one mesh, bit-equal corners merged (:func:`weld`), in float64."""
    import trimesh

    flat = np.ascontiguousarray(corners.reshape(-1, 3))
    first, inverse = weld(flat)
    return trimesh.Trimesh(flat[first].astype(np.float64), inverse.reshape(-1, 3), process=False)


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


def vertex_components(mesh: MeshLike) -> tuple[int, np.ndarray]:
    """Connected bodies of a mesh by shared vertices: (count, label per vertex)."""
    from scipy.sparse import coo_matrix  # here: keeps the exporters' import light
    from scipy.sparse.csgraph import connected_components

    e = mesh.edges_unique
    n = len(mesh.vertices)
    graph = coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n))
    return connected_components(graph, directed=False)
