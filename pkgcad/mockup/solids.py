"""Mesh booleans through manifold3d: its results are always manifold (closed, consistently wound, free of
self-intersection), and one ``batch_boolean`` call unites any number of solids (never a union in a loop)."""

from __future__ import annotations

from collections.abc import Sequence

import manifold3d as mf
import numpy as np
import trimesh
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..errors import GeometryError

#: Triangles lower than this [mm] count as degenerate.
MIN_HEIGHT = 1e-6
#: Vertices closer than this [mm] after a boolean are one vertex.
WELD = 1e-5


def to_manifold(mesh: trimesh.Trimesh, what: str) -> mf.Manifold:
    verts = np.array(mesh.vertices, dtype=np.float64, order="C").view(np.ndarray)
    faces = np.array(mesh.faces, dtype=np.uint64, order="C").view(np.ndarray)
    m = mf.Manifold(mf.Mesh64(vert_properties=verts, tri_verts=faces))
    if m.status() != mf.Error.NoError:
        raise GeometryError(what, f"not a closed manifold mesh ({m.status().name})")
    return m


def to_trimesh(m: mf.Manifold) -> trimesh.Trimesh:
    """The manifold as a mesh, in double precision (in single precision, vertices that a boolean puts a
    hair apart round to the same point and leave zero-area triangles), with collinear triangles flipped
    away (see :func:`clean`)."""
    out = m.to_mesh64()
    verts = np.asarray(out.vert_properties, dtype=np.float64)[:, :3]
    mesh = trimesh.Trimesh(verts, np.asarray(out.tri_verts, dtype=np.int64), process=False)
    return clean(mesh)


def _heights(verts: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each triangle's height over its longest edge, and its edge lengths (edge i: corner i to i + 1)."""
    tri = verts[faces]
    e = np.roll(tri, -1, axis=1) - tri
    lengths = np.linalg.norm(e, axis=2)
    area2 = np.linalg.norm(np.cross(e[:, 0], -e[:, 2]), axis=1)
    return area2 / np.maximum(lengths.max(axis=1), 1e-300), lengths


def clean(mesh: trimesh.Trimesh, eps: float = WELD, min_height: float = MIN_HEIGHT) -> trimesh.Trimesh:
    """Remove the slivers a boolean leaves where faces of its inputs were coplanar.

    1. Collapse edges shorter than ``eps`` (vertices a boolean put a hair apart become one): drop the
       triangles that collapse and any pair of triangles that became the same face twice.
    2. Flip away collinear triangles: (a, b, c) with c on the edge ab and its neighbour (b, a, d) across ab
       become (c, a, d) and (c, d, b). Both steps keep a closed mesh closed."""
    verts = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64).copy()
    n = len(verts)
    edges = faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    short = edges[np.linalg.norm(verts[edges[:, 0]] - verts[edges[:, 1]], axis=1) < eps]
    if len(short):
        graph = coo_matrix((np.ones(len(short)), (short[:, 0], short[:, 1])), shape=(n, n))
        _count, labels = connected_components(graph, directed=False)
        _u, first = np.unique(labels, return_index=True)
        faces = first[labels[faces]]
        faces = faces[(faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])]
        _k, inverse, counts = np.unique(np.sort(faces, axis=1), axis=0, return_inverse=True, return_counts=True)
        faces = faces[counts[inverse.ravel()] == 1]
    for _ in range(8):
        height, lengths = _heights(verts, faces)
        bad = np.flatnonzero(height < min_height)
        if len(bad) == 0:
            break
        keys = (faces * n + np.roll(faces, -1, axis=1)).ravel()  # directed edges, 3 per face
        order = np.argsort(keys)
        sorted_keys = keys[order]
        done: set[int] = set()
        for k in bad.tolist():
            if k in done:
                continue
            i = int(np.argmax(lengths[k]))
            a, b, c = (int(faces[k][(i + j) % 3]) for j in range(3))
            pos = int(np.searchsorted(sorted_keys, b * n + a))
            if pos >= len(sorted_keys) or sorted_keys[pos] != b * n + a:
                continue
            nb = int(order[pos] // 3)
            rest = [int(v) for v in faces[nb] if v not in (a, b)]
            if nb in done or len(rest) != 1:
                continue
            faces[k] = (c, a, rest[0])
            faces[nb] = (c, rest[0], b)
            done.update((k, nb))
    out = trimesh.Trimesh(verts, faces, process=False)
    out.remove_unreferenced_vertices()
    return out


def union(parts: Sequence[mf.Manifold]) -> mf.Manifold:
    if not parts:
        return mf.Manifold()
    if len(parts) == 1:
        return parts[0]
    return mf.Manifold.batch_boolean(list(parts), mf.OpType.Add)


def difference(base: mf.Manifold, tools: Sequence[mf.Manifold]) -> mf.Manifold:
    if not tools:
        return base
    return mf.Manifold.batch_boolean([base, *tools], mf.OpType.Subtract)


def box(lo: Sequence[float], hi: Sequence[float]) -> mf.Manifold:
    size = [float(h - lo_) for lo_, h in zip(lo, hi, strict=True)]
    return mf.Manifold.cube(size).translate([float(v) for v in lo])


def frame(half_outer: tuple[float, float], half_inner: tuple[float, float], z0: float, z1: float) -> mf.Manifold:
    """A rectangular frame centred on the z axis between ``z0`` and ``z1``; a plate if ``half_inner`` is 0."""
    (ox, oy), (ix, iy) = half_outer, half_inner
    outer = box((-ox, -oy, z0), (ox, oy, z1))
    if ix <= 0 or iy <= 0:
        return outer
    return outer - box((-ix, -iy, z0 - 1.0), (ix, iy, z1 + 1.0))
