"""The exported model as blocks (one small mesh placed at many shifts), with exact (float64) casting of rays
parallel to the axes: what is seen first from a side, and which closed parts contain a point. Used by
``pkgcad check`` and the views."""

from __future__ import annotations

import numpy as np

from ..meshutil import closest_distance
from .blocks import Block


class Scene:
    """Every part group as its blocks (one small mesh placed at many shifts, see :mod:`.blocks`), with exact
    (float64) casting of rays parallel to the axes (see :func:`axis_ray_hits`) for "what is seen first", "is a
    point inside" and "is a point on a surface". A ray meets only the copies whose box it crosses, and those
    in the copy's own frame: 10,000 bumps cost one bump and a box test."""

    def __init__(self, blocks: dict[str, list[Block]]) -> None:
        self.names = list(blocks)
        self.items = [(g, b) for g, name in enumerate(self.names) for b in blocks[name]]
        lo = np.min([b.lo + b.shifts.min(axis=0) for _g, b in self.items], axis=0)
        hi = np.max([b.hi + b.shifts.max(axis=0) for _g, b in self.items], axis=0)
        self.bounds = np.array([lo, hi])

    def index(self, groups: list[str]) -> list[int]:
        return [self.names.index(g) for g in groups]

    def _pairs(self, b: Block, axis: int, pts: np.ndarray, pad: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """(copy, point) pairs whose copy's box, seen along ``axis``, holds the 2D point."""
        u, v = [a for a in range(3) if a != axis]
        lo = b.lo[[u, v]] + b.shifts[:, [u, v]]
        hi = b.hi[[u, v]] + b.shifts[:, [u, v]]
        return box_point_pairs(lo, hi, pts, pad + 1e-9 * max(1.0, float(np.abs(self.bounds).max())))

    def first_hit(self, axis: int, sign: float, pts: np.ndarray, prefer: list[int] | None = None) -> np.ndarray:
        """Group index seen first along each line parallel to ``axis`` through the 2D points ``pts``, looking
        from the ``sign`` side; -1 for a miss. Coincident faces resolve to the groups in ``prefer``."""
        return self.first_hits(axis, sign, pts, prefer)[0]

    def first_hits(self, axis: int, sign: float, pts: np.ndarray,
                   prefer: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`first_hit` and the coordinate along ``axis`` of each hit (nan for a miss)."""
        eps = 1e-7
        pref = np.zeros(len(self.names) + 1, dtype=bool)
        pref[prefer or []] = True
        best = np.full(len(pts), np.inf)  # depth (-coordinate * sign) of the first hit so far
        hit = np.full(len(pts), -1, dtype=np.int64)
        near = [float(-(sign * ((b.hi if sign > 0 else b.lo)[axis] + b.shifts[:, axis])).max()) for _g, b in self.items]
        for i in np.argsort(near, kind="stable"):
            g, b = self.items[i]
            copy, pid = self._pairs(b, axis, pts)
            depth = -sign * ((b.hi if sign > 0 else b.lo)[axis] + b.shifts[copy, axis])
            keep = best[pid] >= depth - eps
            copy, pid = copy[keep], pid[keep]
            if not len(pid):
                continue
            u, v = [a for a in range(3) if a != axis]
            local = pts[pid] - b.shifts[copy][:, [u, v]]
            if b.count == 1 and len(b.faces) > 20_000:  # a big soup: nearest triangles first, stop early
                own, at = first_axis_hit(b.tris, np.zeros(len(b.faces), dtype=np.int64), axis, sign, local)
                ok = own >= 0
                p, d = pid[ok], -sign * (at[ok] + b.shifts[0, axis])
            else:
                lp, _tri, coord = axis_ray_hits(b.tris, axis, local)
                if not len(lp):  # the lines cross the block's box but none of its triangles
                    continue
                p, d = pid[lp], -sign * (coord + b.shifts[copy[lp], axis])
                order = np.lexsort((d, p))  # the nearest hit of each line in this block
                first = np.r_[True, p[order][1:] != p[order][:-1]]
                p, d = p[order][first], d[order][first]
            better = (d < best[p] - eps) | ((np.abs(d - best[p]) <= eps) & pref[g] & ~pref[hit[p]])
            p, d = p[better], d[better]
            best[p], hit[p] = d, g
        at = np.where(hit >= 0, -best * sign, np.nan)
        return hit, at

    def crossings(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Where the +z rays from ``points`` (n, 3) cross a surface: (point index, group, z), every hit."""
        pid_all, own_all, z_all = [], [], []
        for g, b in self.items:
            copy, pid = self._pairs(b, 2, points[:, :2])
            keep = b.hi[2] + b.shifts[copy, 2] > points[pid, 2]
            copy, pid = copy[keep], pid[keep]
            if not len(pid):
                continue
            lp, _tri, z = axis_ray_hits(b.tris, 2, points[pid, :2] - b.shifts[copy, :2])
            pid, z = pid[lp], z + b.shifts[copy[lp], 2]
            up = z > points[pid, 2]
            pid_all.append(pid[up])
            own_all.append(np.full(int(up.sum()), g))
            z_all.append(z[up])
        if not pid_all:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        return np.concatenate(pid_all), np.concatenate(own_all), np.concatenate(z_all)

    def inside_counts(self, points: np.ndarray) -> np.ndarray:
        """(n_points, n_groups) booleans: is each point inside each (closed) group? Parity of the crossings
        of a +z ray from the point, crossings of one group at one height counted once."""
        pid, own, z = self.crossings(points)
        inside = np.zeros((len(points), len(self.names)), dtype=bool)
        if len(pid):
            order = np.lexsort((z, own, pid))
            pid, own, z = pid[order], own[order], z[order]
            same = np.r_[False, (pid[1:] == pid[:-1]) & (own[1:] == own[:-1]) & (np.diff(z) < 1e-7)]
            counts = np.zeros((len(points), len(self.names)), dtype=np.int64)
            np.add.at(counts, (pid[~same], own[~same]), 1)
            inside = counts % 2 == 1
        return inside

    def distance(self, points: np.ndarray, reach: float) -> np.ndarray:
        """Distance [mm] from each of ``points`` (n, 3) to the nearest surface, where it is within ``reach``;
        inf beyond."""
        out = np.full(len(points), np.inf)
        for _g, b in self.items:
            copy, pid = self._pairs(b, 2, points[:, :2], reach)
            z = points[pid, 2] - b.shifts[copy, 2]
            keep = (z >= b.lo[2] - reach) & (z <= b.hi[2] + reach)
            copy, pid = copy[keep], pid[keep]
            if not len(pid):
                continue
            d = closest_distance(b.mesh, points[pid] - b.shifts[copy])
            np.minimum.at(out, pid, d)
        return out


def box_point_pairs(lo: np.ndarray, hi: np.ndarray, pts: np.ndarray, pad: float) -> tuple[np.ndarray, np.ndarray]:
    """(box, point) index pairs where the 2D point ``pts[p]`` lies in the box ``lo[b]``-``hi[b]`` widened by
    ``pad``. Candidates come from a uniform grid over the points (no tree to build): about one cell per point."""
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    if len(lo) == 0 or len(pts) == 0:
        return empty
    plo, phi = pts.min(axis=0), pts.max(axis=0)
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
    box = np.repeat(keep, cnt)
    k = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    wy = np.repeat(w[:, 1], cnt)
    cell = (np.repeat(i0[:, 0], cnt) + k // wy) * n[1] + np.repeat(i0[:, 1], cnt) + k % wy
    start, stop = bounds[cell], bounds[cell + 1]
    m = stop - start
    box = np.repeat(box, m)
    j = np.arange(m.sum()) - np.repeat(np.cumsum(m) - m, m)
    pid = order[np.repeat(start, m) + j]
    p = pts[pid]
    inside = np.all((p >= lo[box] - pad) & (p <= hi[box] + pad), axis=1)
    return box[inside], pid[inside]


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
    pad = 1e-9 * max(1.0, float(np.abs(tris).max()))
    tri, pid = box_point_pairs(flat.min(axis=1), flat.max(axis=1), pts, pad)
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
