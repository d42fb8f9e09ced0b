"""A vertical section through the package coloured by temperature, with a colour bar in degC (PNG, matplotlib).

The plane (x-z at a given y, or y-z at a given x) is sampled on a pixel grid: each tetrahedron crossing the
plane tests the pixels of its bounding box (barycentric coordinates) and gives them the P1 interpolant of the
nodal temperatures; pixels outside the model stay blank. Part outlines are drawn where the
containing part changes. Packages are flat, so z is drawn exaggerated, and the axis label says by how much.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pkgcad.conformal.femmesh import FemMesh


def sample_plane(
    tm: FemMesh, values: np.ndarray, axis: str, at: float, u: np.ndarray, z: np.ndarray, chunk: int = 400_000
) -> tuple[np.ndarray, np.ndarray]:
    """Values and part ids on the grid u x z (uniform) in the plane (axis 'y': points (u, at, z); 'x': (at, u, z)).

    Every tetrahedron crossing the plane tests the pixels of its own bounding box (barycentric coordinates), so
    small and large elements side by side are found alike.
    """
    p, t = tm.mesh.p, tm.mesh.t
    normal, along = (1, 0) if axis == "y" else (0, 1)
    out = np.full((z.size, u.size), np.nan)
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
        return out, part
    corners = p[:, t[:, crossing]]  # (3, 4, m)
    origin = corners[:, 0, :].T  # (m, 3)
    edges = np.stack([corners[:, i, :] - corners[:, 0, :] for i in (1, 2, 3)], axis=1)  # (3, 3, m)
    det = np.linalg.det(np.moveaxis(edges, -1, 0))
    inverse = np.linalg.inv(np.moveaxis(edges, -1, 0) + np.where(np.abs(det) > 0, 0.0, 1.0)[:, None, None] * np.eye(3))
    counts = width * height
    offsets = np.concatenate([[0], np.cumsum(counts)])
    for start in range(0, int(offsets[-1]), chunk):
        pair = np.arange(start, min(start + chunk, int(offsets[-1])))
        elem = np.searchsorted(offsets, pair, side="right") - 1
        local = pair - offsets[elem]
        iu, iz = iu0[elem] + local % width[elem], iz0[elem] + local // width[elem]
        pts = np.zeros((pair.size, 3))
        pts[:, along], pts[:, normal], pts[:, 2] = u[iu], at, z[iz]
        lam = np.einsum("nij,nj->ni", inverse[elem], pts - origin[elem])
        bary = np.concatenate([1.0 - lam.sum(axis=1, keepdims=True), lam], axis=1)
        hit = (bary >= -1e-9).all(axis=1) & (np.abs(det[elem]) > 0)
        nodal = values[t[:, crossing[elem[hit]]]]  # (4, r)
        out[iz[hit], iu[hit]] = np.einsum("ri,ir->r", bary[hit], nodal)
        part[iz[hit], iu[hit]] = tm.part_of_element[crossing[elem[hit]]]
    return out, part


def section_png(
    path: Path, tm: FemMesh, temperature_c: np.ndarray, *, axis: str = "y", at: float | None = None,
    title: str = "", width_px: int = 1200, max_aspect: float = 3.0,
    window: tuple[float, float, float, float] | None = None,
) -> dict[str, float]:
    """Write the section picture; returns the plane and the z exaggeration used.

    ``window`` = (u_min, u_max, z_min, z_max) in mm crops to the package when a board block surrounds it.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    p = tm.mesh.p
    normal = 1 if axis == "y" else 0
    along = 0 if axis == "y" else 1
    if at is None:
        at = float(0.5 * (p[normal].min() + p[normal].max())) + 1e-7
    u0, u1, z0, z1 = window or (float(p[along].min()), float(p[along].max()), float(p[2].min()), float(p[2].max()))
    exaggeration = max(1.0, (u1 - u0) / max(z1 - z0, 1e-12) / max_aspect)
    nu = width_px
    nz = max(60, round(nu * (z1 - z0) * exaggeration / (u1 - u0)))
    u = np.linspace(u0, u1, nu)
    z = np.linspace(z0, z1, nz)
    image, part = sample_plane(tm, temperature_c, axis, at, u, z)
    edge = np.zeros(part.shape, dtype=bool)
    edge[:, 1:] |= part[:, 1:] != part[:, :-1]
    edge[1:, :] |= part[1:, :] != part[:-1, :]
    fig, ax = plt.subplots(figsize=(10, 10 / max_aspect * 0.9 + 1.2), dpi=120)
    extent = (u0, u1, z0, z1)
    shown = ax.imshow(image, origin="lower", extent=extent, aspect=exaggeration, cmap="inferno",
                      interpolation="nearest")
    outline = np.ma.masked_where(~edge, np.ones(part.shape))
    ax.imshow(outline, origin="lower", extent=extent, aspect=exaggeration, cmap="gray", vmin=0, vmax=2,
              interpolation="nearest", alpha=0.6)
    bar = fig.colorbar(shown, ax=ax, shrink=0.9)
    bar.set_label("temperature (degC)")
    ax.set_xlabel(f"{'xy'[along]} (mm), section at {'xy'[normal]} = {at:.3f} mm")
    ax.set_ylabel(f"z (mm, drawn x{exaggeration:.1f})" if exaggeration > 1 else "z (mm)")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return {"at_mm": at, "z_exaggeration": exaggeration}
