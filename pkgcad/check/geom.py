"""Small geometric helpers for the checks: face selections, projected overlap areas, vertex components."""

from __future__ import annotations

import numpy as np

from ..meshutil import Mesh, vertex_components
from ..reader.blocks import Block

__all__ = ["AXES", "closed_and_oriented", "horizontal_faces", "overlap_area", "side_faces", "side_faces_of",
           "tri_area", "vertex_components", "xy_box"]

AXES = {"+x": (0, 1.0), "-x": (0, -1.0), "+y": (1, 1.0), "-y": (1, -1.0)}


def horizontal_faces(mesh: Mesh, z: float, up: bool, tol: float) -> np.ndarray:
    """(n, 3, 3) triangles facing up (or down) whose three vertices lie within ``tol`` of height ``z``."""
    nz = mesh.face_normals[:, 2]
    tris = mesh.triangles
    facing = nz > 0.999 if up else nz < -0.999
    level = np.all(np.abs(tris[:, :, 2] - z) <= tol, axis=1)
    return tris[facing & level]


def tri_area(tris: np.ndarray) -> float:
    if len(tris) == 0:
        return 0.0
    return float(np.linalg.norm(np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0]), axis=1).sum()) / 2


def _inside_grid(xs: np.ndarray, ys: np.ndarray, tris: np.ndarray) -> np.ndarray:
    """Which points of the grid ``xs`` x ``ys`` (ascending; point ``iy * len(xs) + ix`` is ``(xs[ix], ys[iy])``)
    lie inside (or on) any of the projected triangles ``tris``. Each triangle tests only the grid points in its
    box (found by bisection), so a finely textured face costs its triangles' areas, not triangles x points."""
    nx = len(xs)
    hit = np.zeros(nx * len(ys), dtype=bool)
    eps = 1e-12
    for t in tris[:, :, :2]:
        lo, hi = t.min(axis=0) - 1e-9, t.max(axis=0) + 1e-9
        i0, i1 = np.searchsorted(xs, lo[0], "left"), np.searchsorted(xs, hi[0], "right")
        j0, j1 = np.searchsorted(ys, lo[1], "left"), np.searchsorted(ys, hi[1], "right")
        if i0 >= i1 or j0 >= j1:
            continue
        cand = (np.arange(j0, j1)[:, None] * nx + np.arange(i0, i1)[None, :]).ravel()
        cand = cand[~hit[cand]]
        if not len(cand):
            continue
        px, py = xs[cand % nx], ys[cand // nx]
        a, b, c = t
        d1 = (px - b[0]) * (a[1] - b[1]) - (a[0] - b[0]) * (py - b[1])
        d2 = (px - c[0]) * (b[1] - c[1]) - (b[0] - c[0]) * (py - c[1])
        d3 = (px - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (py - a[1])
        neg = (d1 < -eps) | (d2 < -eps) | (d3 < -eps)
        pos = (d1 > eps) | (d2 > eps) | (d3 > eps)
        hit[cand[~(neg & pos)]] = True
    return hit


def overlap_area(a: np.ndarray, b: np.ndarray, n: int = 256) -> float:
    """Area [mm^2] of the overlap of two sets of triangles projected on xy (raster of n x n cell centres
    over the intersection of their boxes)."""
    if len(a) == 0 or len(b) == 0:
        return 0.0
    lo = np.maximum(a[:, :, :2].reshape(-1, 2).min(axis=0), b[:, :, :2].reshape(-1, 2).min(axis=0))
    hi = np.minimum(a[:, :, :2].reshape(-1, 2).max(axis=0), b[:, :, :2].reshape(-1, 2).max(axis=0))
    if np.any(hi - lo <= 1e-9):
        return 0.0
    xs = lo[0] + (np.arange(n) + 0.5) * (hi[0] - lo[0]) / n
    ys = lo[1] + (np.arange(n) + 0.5) * (hi[1] - lo[1]) / n
    both = _inside_grid(xs, ys, a) & _inside_grid(xs, ys, b)
    return float(both.mean() * np.prod(hi - lo))


def side_faces(mesh: Mesh, side: str, band: float = 0.05) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Faces of ``mesh`` forming its outermost side on ``side`` (normal within 10 deg of the outward axis,
    centroid within ``band`` of the extreme). Returns (triangles, normals, areas)."""
    axis, sign = AXES[side]
    out = np.zeros(3)
    out[axis] = sign
    extreme = (mesh.vertices[:, axis] * sign).max()
    sel = (mesh.face_normals @ out > np.cos(np.radians(10))) & (
        mesh.triangles_center[:, axis] * sign >= extreme - band)
    return mesh.triangles[sel], mesh.face_normals[sel], mesh.area_faces[sel]


def side_faces_of(blocks: list[Block], side: str, band: float = 0.05) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`side_faces` of a group given as blocks (one small mesh at many shifts): only each copy's faces
    that point outwards are placed, so a tiled encapsulant costs its distinct tiles."""
    axis, sign = AXES[side]
    out = np.zeros(3)
    out[axis] = sign
    extreme = max(float((sign * ((b.hi if sign > 0 else b.lo)[axis] + b.shifts[:, axis])).max()) for b in blocks)
    tris, normals, areas = [np.zeros((0, 3, 3))], [np.zeros((0, 3))], [np.zeros(0)]
    for b in blocks:
        sel = np.flatnonzero(b.mesh.face_normals @ out > np.cos(np.radians(10)))
        if not len(sel):
            continue
        at = (b.mesh.triangles_center[sel, axis][None, :] + b.shifts[:, axis, None]) * sign  # (copies, faces)
        copy, face = np.nonzero(at >= extreme - band)
        tris.append(b.tris[sel[face]] + b.shifts[copy][:, None, :])
        normals.append(b.mesh.face_normals[sel[face]])
        areas.append(b.mesh.area_faces[sel[face]])
    return np.concatenate(tris), np.concatenate(normals), np.concatenate(areas)


def closed_and_oriented(faces: np.ndarray) -> bool:
    """Is every edge of the triangles ``faces`` (n, 3) shared by exactly two of them, running opposite ways?
    That is trimesh's ``is_watertight`` and ``is_winding_consistent`` together, by sorting one int64 key per
    directed edge (~5x faster on millions of triangles)."""
    if len(faces) == 0:
        return False
    a = faces.reshape(-1).astype(np.int64)
    b = faces[:, [1, 2, 0]].reshape(-1).astype(np.int64)
    n = int(max(a.max(), b.max())) + 1
    forward = np.sort(a * n + b)
    if (forward[1:] == forward[:-1]).any():  # a directed edge twice: two faces wound the same way
        return False
    return bool(np.array_equal(forward, np.sort(b * n + a)))  # every edge has its reverse


def xy_box(mesh: Mesh) -> np.ndarray:
    """[[xmin, ymin], [xmax, ymax]]."""
    return mesh.bounds[:, :2]
