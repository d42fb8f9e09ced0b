"""A nodal field on a vertical plane through the pipeline's mesh: sampled on a pixel grid (values and part ids), and
every part's region outlined and named on a matplotlib axes, in the plane's own coordinates or displaced ones (the
deformed shape of a warp run). Used by the thermal section (temperature) and the warp picture (displacement).

Lengths in mm. The grid is uniform in u (x for an x-z plane at a given y, y for a y-z plane at a given x) and z;
pixels outside the model stay NaN (values) and -1 (part ids).
"""

from __future__ import annotations

import numpy as np

from pkgcad.conformal.femmesh import FemMesh

LABEL_MIN_PX = 14
"""A part's region at least this tall (pixels) carries its name inside; thinner ones are named from the margin."""


def sample_plane(
    tm: FemMesh, values: np.ndarray, axis: str, at: float, u: np.ndarray, z: np.ndarray, chunk: int = 100_000
) -> tuple[np.ndarray, np.ndarray]:
    """Values and part ids on the grid u x z (uniform) in the plane (axis 'y': points (u, at, z); 'x': (at, u, z)).
    ``values`` (n,) gives a (nz, nu) image; (n, k), k fields sampled in one pass, a (nz, nu, k) one.

    Every tetrahedron crossing the plane tests the pixels of its own bounding box (barycentric coordinates), so
    small and large elements side by side are found alike.
    """
    p, t = tm.mesh.p, tm.mesh.t
    normal, along = (1, 0) if axis == "y" else (0, 1)
    fields = values if values.ndim == 2 else values[:, None]
    out = np.full((z.size, u.size, fields.shape[1]), np.nan)

    def shaped(image: np.ndarray) -> np.ndarray:
        return image if values.ndim == 2 else image[..., 0]

    part = np.full((z.size, u.size), -1)
    crossing = np.flatnonzero((p[normal, t].min(axis=0) <= at) & (p[normal, t].max(axis=0) >= at))
    du, dz = (u[-1] - u[0]) / max(u.size - 1, 1), (z[-1] - z[0]) / max(z.size - 1, 1)
    cu, cz = p[along, t[:, crossing]], p[2, t[:, crossing]]
    iu0 = np.clip(np.ceil((cu.min(axis=0) - u[0]) / du), 0, u.size).astype(np.int64)
    iu1 = np.clip(np.floor((cu.max(axis=0) - u[0]) / du), -1, u.size - 1).astype(np.int64)
    iz0 = np.clip(np.ceil((cz.min(axis=0) - z[0]) / dz), 0, z.size).astype(np.int64)
    iz1 = np.clip(np.floor((cz.max(axis=0) - z[0]) / dz), -1, z.size - 1).astype(np.int64)
    width, height = np.maximum(iu1 - iu0 + 1, 0), np.maximum(iz1 - iz0 + 1, 0)
    keep = (width > 0) & (height > 0)
    crossing, iu0, iz0, width, height = crossing[keep], iu0[keep], iz0[keep], width[keep], height[keep]
    if crossing.size == 0:
        return shaped(out), part
    corners = p[:, t[:, crossing]]  # (3, 4, m)
    edges = np.moveaxis(np.stack([corners[:, i, :] - corners[:, 0, :] for i in (1, 2, 3)], axis=1), -1, 0)
    det = np.linalg.det(edges)  # (m,); edges (m, 3 xyz, 3 edges)
    flat = np.abs(det) > 0
    inverse = np.linalg.inv(edges + np.where(flat, 0.0, 1.0)[:, None, None] * np.eye(3))  # (m, 3, 3)
    # on the plane the barycentric coordinates 1..3 are affine in (u, z): lam = gu u + gz z + g0 (3 numbers each)
    gu, gz = inverse[:, :, along], inverse[:, :, 2]
    g0 = inverse[:, :, normal] * at - np.einsum("mij,jm->mi", inverse, corners[:, 0, :])
    nodal = np.moveaxis(fields[t[:, crossing]], 0, 1)  # (m, 4, k)
    ids = tm.part_of_element[crossing]
    counts = width * height
    offsets = np.concatenate([[0], np.cumsum(counts)])
    for start in range(0, int(offsets[-1]), chunk):
        pair = np.arange(start, min(start + chunk, int(offsets[-1])))
        elem = np.searchsorted(offsets, pair, side="right") - 1
        local = pair - offsets[elem]
        w = width[elem]
        iu, iz = iu0[elem] + local % w, iz0[elem] + local // w
        lam = gu[elem] * u[iu, None] + gz[elem] * z[iz, None] + g0[elem]  # (r, 3)
        hit = (lam >= -1e-9).all(axis=1) & (lam.sum(axis=1) <= 1.0 + 1e-9) & flat[elem]
        e, lam = elem[hit], lam[hit]
        v = nodal[e]
        out[iz[hit], iu[hit]] = v[:, 0] + np.einsum("ri,rik->rk", lam, v[:, 1:] - v[:, :1])
        part[iz[hit], iu[hit]] = ids[e]
    return shaped(out), part


def outline_parts(ax: object, part: np.ndarray, u: np.ndarray, z: np.ndarray, names: tuple[str, ...], *,
                  color: str = "white", label_color: str = "white", du: np.ndarray | None = None,
                  dz: np.ndarray | None = None) -> list[str]:
    """Trace every part's boundary on the grid ``u`` x ``z`` and write its name; returns the names written.

    ``du``/``dz`` (arrays of ``part``'s shape, mm; NaN outside the model counts as 0) move every grid point: the
    outlines and names are then drawn where the displaced grid puts them (a deformed section)."""
    present = [int(i) for i in np.unique(part) if i >= 0]
    step_u, step_z = u[1] - u[0], z[1] - z[0]
    uu = np.concatenate([[u[0] - step_u], u, [u[-1] + step_u]])
    zz = np.concatenate([[z[0] - step_z], z, [z[-1] + step_z]])
    gu, gz = np.meshgrid(uu, zz)
    if du is not None:
        gu = gu + np.pad(np.nan_to_num(du), 1, mode="edge")
    if dz is not None:
        gz = gz + np.pad(np.nan_to_num(dz), 1, mode="edge")
    margin: list[tuple[str, float, float]] = []
    for i in present:
        mask = np.pad(part == i, 1).astype(float)
        ax.contour(gu, gz, mask, levels=[0.5], colors=color, linewidths=0.8)  # type: ignore[attr-defined]
        rows = np.flatnonzero((part == i).any(axis=1))
        cols = np.flatnonzero((part == i).any(axis=0))
        if rows.size == 0:
            continue
        # the widest run of the part's pixels in the row at the middle of its height
        row = rows[rows.size // 2]
        line = np.flatnonzero(part[row] == i)
        col = line[line.size // 2]
        uc, zc = float(gu[row + 1, col + 1]), float(gz[row + 1, col + 1])
        if rows.size >= LABEL_MIN_PX and cols.size >= 6 * len(names[i]):
            ax.text(uc, zc, names[i], ha="center", va="center", fontsize=7, color=label_color,  # type: ignore[attr-defined]
                    bbox={"boxstyle": "round,pad=0.15", "fc": "black", "alpha": 0.45, "lw": 0})
        else:
            margin.append((names[i], uc, zc))
    if margin:  # thin parts: names stacked in the right margin, leader lines to the part
        margin.sort(key=lambda m: m[2])
        for k, (name, uc, zc) in enumerate(margin):
            ax.annotate(name, xy=(uc, zc), xytext=(1.02, (k + 0.5) / len(margin)),  # type: ignore[attr-defined]
                        textcoords="axes fraction", fontsize=7, va="center", annotation_clip=False,
                        arrowprops={"arrowstyle": "-", "color": "0.55", "lw": 0.6})
    return [names[i] for i in present]
