"""The exported model as one triangle soup, with exact (float64) casting of rays parallel to the axes: what is
seen first from a side, and which closed parts contain a point. Used by ``pkgcad check`` and the views."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import trimesh

from ..meshutil import concatenate


class Scene:
    """Every part's triangles in one array with the group each came from; exact (float64) casting of rays
    parallel to the axes (see ``geom.axis_ray_hits``) for "what is seen first" and "is a point inside"."""

    def __init__(self, meshes: dict[str, trimesh.Trimesh]) -> None:
        self.names = list(meshes)
        parts = [meshes[g] for g in self.names]
        self.tris = np.concatenate([m.triangles for m in parts])
        self.owner = np.repeat(np.arange(len(parts)), [len(m.faces) for m in parts])
        self.bounds = np.array([self.tris.reshape(-1, 3).min(axis=0), self.tris.reshape(-1, 3).max(axis=0)])
        self._parts = parts

    @cached_property
    def mesh(self) -> trimesh.Trimesh:
        return concatenate(self._parts)

    def index(self, groups: list[str]) -> list[int]:
        return [self.names.index(g) for g in groups]

    def first_hit(self, axis: int, sign: float, pts: np.ndarray, prefer: list[int] | None = None) -> np.ndarray:
        """Group index seen first along each line parallel to ``axis`` through the 2D points ``pts``, looking
        from the ``sign`` side; -1 for a miss. Coincident faces resolve to the groups in ``prefer``."""
        flags = np.zeros(len(self.names), dtype=bool)
        flags[prefer or []] = True
        return first_axis_hit(self.tris, self.owner, axis, sign, pts, flags)[0]

    def inside_counts(self, points: np.ndarray) -> np.ndarray:
        """(n_points, n_groups) booleans: is each point inside each (closed) group? Parity of the crossings
        of a +z ray from the point, crossings of one group at one height counted once."""
        pid, tri, z = axis_ray_hits(self.tris, 2, points[:, :2])
        up = z > points[pid, 2]
        pid, own, z = pid[up], self.owner[tri[up]], z[up]
        inside = np.zeros((len(points), len(self.names)), dtype=bool)
        if len(pid):
            order = np.lexsort((z, own, pid))
            pid, own, z = pid[order], own[order], z[order]
            same = np.r_[False, (pid[1:] == pid[:-1]) & (own[1:] == own[:-1]) & (np.diff(z) < 1e-7)]
            counts = np.zeros((len(points), len(self.names)), dtype=np.int64)
            np.add.at(counts, (pid[~same], own[~same]), 1)
            inside = counts % 2 == 1
        return inside


def axis_ray_hits(tris: np.ndarray, axis: int, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact (float64) hits of the lines parallel to ``axis`` through the 2D points ``pts`` (coordinates on
    the two other axes, in ascending axis order) with the triangles ``tris`` (T, 3, 3).

    Returns (point index, triangle index, coordinate along ``axis`` of the hit). A point on a shared edge
    hits both triangles (callers merge hits at one height). Triangles parallel to the axis are never hit.
    Candidates come from a uniform grid over the points, so no R-tree is built: a 1.5 M-triangle package is
    cast in about a second.
    """
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    if len(tris) == 0 or len(pts) == 0:
        return empty
    u, v = [a for a in range(3) if a != axis]
    flat = tris[:, :, [u, v]]
    lo, hi = flat.min(axis=1), flat.max(axis=1)
    plo, phi = pts.min(axis=0), pts.max(axis=0)
    pad = 1e-9 * max(1.0, float(np.abs(tris).max()))
    keep = np.flatnonzero(np.all(hi >= plo - pad, axis=1) & np.all(lo <= phi + pad, axis=1))
    if not len(keep):
        return empty
    span = np.maximum(phi - plo, 1e-9)
    h = max(float(np.sqrt(np.prod(span) / len(pts))), float(span.max()) / 4096, 1e-6)
    n = (span // h).astype(np.int64) + 1
    cp = np.minimum(((pts - plo) // h).astype(np.int64), n - 1)
    pcell = cp[:, 0] * n[1] + cp[:, 1]
    order = np.argsort(pcell, kind="stable")
    bounds = np.searchsorted(pcell[order], np.arange(n[0] * n[1] + 1))
    i0 = np.clip(((lo[keep] - pad - plo) // h).astype(np.int64), 0, n - 1)
    i1 = np.clip(((hi[keep] + pad - plo) // h).astype(np.int64), 0, n - 1)
    w = i1 - i0 + 1
    cnt = w[:, 0] * w[:, 1]
    tri = np.repeat(keep, cnt)
    k = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    wy = np.repeat(w[:, 1], cnt)
    cell = (np.repeat(i0[:, 0], cnt) + k // wy) * n[1] + np.repeat(i0[:, 1], cnt) + k % wy
    start, stop = bounds[cell], bounds[cell + 1]
    m = stop - start
    tri = np.repeat(tri, m)
    j = np.arange(m.sum()) - np.repeat(np.cumsum(m) - m, m)
    pid = order[np.repeat(start, m) + j]
    a, b, c = flat[tri, 0], flat[tri, 1], flat[tri, 2]
    p = pts[pid]
    e0, e1, e2 = b - a, c - a, p - a
    den = e0[:, 0] * e1[:, 1] - e1[:, 0] * e0[:, 1]
    ok = np.abs(den) > 1e-14 * np.maximum(1.0, np.abs(e0).max(axis=1) * np.abs(e1).max(axis=1))
    den = np.where(ok, den, 1.0)
    s = (e2[:, 0] * e1[:, 1] - e1[:, 0] * e2[:, 1]) / den
    t = (e0[:, 0] * e2[:, 1] - e2[:, 0] * e0[:, 1]) / den
    eps = 1e-9
    ok &= (s >= -eps) & (t >= -eps) & (s + t <= 1 + eps)
    tri, pid, s, t = tri[ok], pid[ok], s[ok], t[ok]
    za = tris[tri, 0, axis]
    coord = za + s * (tris[tri, 1, axis] - za) + t * (tris[tri, 2, axis] - za)
    return pid, tri, coord


def first_axis_hit(tris: np.ndarray, owner: np.ndarray, axis: int, sign: float, pts: np.ndarray,
                   prefer: np.ndarray | None = None, chunk: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """Looking along ``-sign * axis`` from far away (sign +1: from the + side), the owner and coordinate of
    the first surface met by each line. Ties (coincident faces, within 0.1 nm) go to owners flagged in
    ``prefer``. Owner -1 and coordinate nan for a miss.

    Triangles are visited nearest first in growing chunks; a line stops being cast once its hit is nearer
    than every triangle left, so the inside of a package (thousands of bumps) is rarely touched."""
    eps = 1e-7
    pref = np.zeros(int(owner.max()) + 1 if len(owner) else 1, dtype=bool) if prefer is None else prefer
    depth_t = -(tris[:, :, axis] * sign).max(axis=1)  # nearest point of each triangle, as a depth
    order_t = np.argsort(depth_t, kind="stable")
    best = np.full(len(pts), np.inf)  # depth of the first hit so far
    hit = np.full(len(pts), -1, dtype=np.int64)
    at = np.full(len(pts), np.nan)
    i = 0
    while i < len(order_t):
        sel_t = order_t[i:i + chunk]
        i += chunk
        chunk *= 2
        live = np.flatnonzero(best >= depth_t[sel_t[0]] - eps)
        if not len(live):
            break
        pid, tri, coord = axis_ray_hits(tris[sel_t], axis, pts[live])
        if not len(pid):
            continue
        pid, own, d = live[pid], owner[sel_t[tri]], -coord * sign
        # nearest hit per line within this chunk, preferred owners first among ties
        key = np.round(d / eps)
        order = np.lexsort((~pref[own], key, pid))
        first = np.ones(len(order), dtype=bool)
        first[1:] = pid[order][1:] != pid[order][:-1]
        sel = order[first]
        p, o, dd = pid[sel], own[sel], d[sel]
        better = (dd < best[p] - eps) | ((np.abs(dd - best[p]) <= eps) & pref[o] & ~pref[np.maximum(hit[p], 0)])
        p, o, dd = p[better], o[better], dd[better]
        best[p], hit[p], at[p] = dd, o, -dd * sign
    return hit, at
