"""A vertical section through the package coloured by temperature, every part outlined and named, with a colour
bar in degC (PNG, matplotlib).

The plane (x-z at a given y, or y-z at a given x) goes through the hottest point of the field unless told
otherwise, so the colour bar reaches the junction's maximum. It is sampled on a pixel grid: each tetrahedron
crossing the plane tests the pixels of its bounding box (barycentric coordinates) and gives them the P1
interpolant of the nodal temperatures; pixels outside the model stay blank. Each part's region is outlined (its
boundary traced on the grid) and named: inside the region when it is tall enough to hold the name, else by a
leader line from the margin. Packages are flat, so z is drawn exaggerated, and the axis label says by how much.
"""

from __future__ import annotations

import gc
from pathlib import Path

import numpy as np

from pkgcad.conformal.femmesh import FemMesh

LABEL_MIN_PX = 14
"""A part's region at least this tall (pixels) carries its name inside; thinner ones are named from the margin."""


def sample_plane(
    tm: FemMesh, values: np.ndarray, axis: str, at: float, u: np.ndarray, z: np.ndarray, chunk: int = 100_000
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
    edges = np.moveaxis(np.stack([corners[:, i, :] - corners[:, 0, :] for i in (1, 2, 3)], axis=1), -1, 0)
    det = np.linalg.det(edges)  # (m,); edges (m, 3 xyz, 3 edges)
    flat = np.abs(det) > 0
    inverse = np.linalg.inv(edges + np.where(flat, 0.0, 1.0)[:, None, None] * np.eye(3))  # (m, 3, 3)
    # on the plane the barycentric coordinates 1..3 are affine in (u, z): lam = gu u + gz z + g0 (3 numbers each)
    gu, gz = inverse[:, :, along], inverse[:, :, 2]
    g0 = inverse[:, :, normal] * at - np.einsum("mij,jm->mi", inverse, corners[:, 0, :])
    nodal = values[t[:, crossing]].T  # (m, 4)
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
        out[iz[hit], iu[hit]] = v[:, 0] + np.einsum("ri,ri->r", lam, v[:, 1:] - v[:, :1])
        part[iz[hit], iu[hit]] = ids[e]
    return out, part


def hottest_plane(tm: FemMesh, temperature_c: np.ndarray, axis: str = "y") -> float:
    """The coordinate (y for an x-z section, x for a y-z one) of the hottest node [mm]."""
    return float(tm.mesh.p[1 if axis == "y" else 0, int(np.nanargmax(temperature_c))])


def section_png(
    path: Path, tm: FemMesh, temperature_c: np.ndarray, *, axis: str = "y", at: float | None = None,
    title: str = "", width_px: int = 1400, max_aspect: float = 3.0,
    window: tuple[float, float, float, float] | None = None,
) -> dict[str, object]:
    """Write the section picture; returns the plane, the z exaggeration and the parts named in it.

    ``at`` None: through the hottest node. ``window`` = (u_min, u_max, z_min, z_max) in mm crops the picture (a
    board around the package)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    p = tm.mesh.p
    normal = 1 if axis == "y" else 0
    along = 0 if axis == "y" else 1
    if at is None:
        at = hottest_plane(tm, temperature_c, axis)
    u0, u1, z0, z1 = window or (float(p[along].min()), float(p[along].max()), float(p[2].min()), float(p[2].max()))
    exaggeration = max(1.0, (u1 - u0) / max(z1 - z0, 1e-12) / max_aspect)
    nu = width_px
    nz = max(80, round(nu * (z1 - z0) * exaggeration / (u1 - u0)))
    u = np.linspace(u0, u1, nu)
    z = np.linspace(z0, z1, nz)
    image, part = sample_plane(tm, temperature_c, axis, at, u, z)
    fig, ax = plt.subplots(figsize=(12, 12 / max_aspect * 0.9 + 1.6), dpi=120)
    extent = (u0, u1, z0, z1)
    shown = ax.imshow(image, origin="lower", extent=extent, aspect=exaggeration, cmap="inferno",
                      interpolation="nearest")
    named = _outline_and_name(ax, part, u, z, tm.part_names, exaggeration)
    bar = fig.colorbar(shown, ax=ax, orientation="horizontal", shrink=0.6, pad=0.16, aspect=40)
    bar.set_label("temperature (degC)")
    ax.set_xlabel(f"{'xy'[along]} (mm), section at {'xy'[normal]} = {at:.3f} mm (through the hottest point)")
    ax.set_ylabel(f"z (mm, drawn x{exaggeration:.1f})" if exaggeration > 1 else "z (mm)")
    ax.set_title(title, fontsize=10)
    ax.set_xlim(u0, u1)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    del fig, ax, shown, bar
    # a figure is a web of reference cycles holding its image buffers (about 150 MB for a board section): collect
    # it now, or each picture's stays resident until Python's next full collection and the four add up
    gc.collect()
    hot = float(np.nanmax(image)) if np.isfinite(image).any() else float("nan")
    return {"at_mm": at, "axis": axis, "z_exaggeration": exaggeration, "hottest_in_picture_C": hot,
            "parts": named}


def _outline_and_name(ax: object, part: np.ndarray, u: np.ndarray, z: np.ndarray, names: tuple[str, ...],
                      exaggeration: float) -> list[str]:
    """Trace every part's boundary on the grid (white lines) and write its name; returns the names written."""
    present = [int(i) for i in np.unique(part) if i >= 0]
    du, dz = u[1] - u[0], z[1] - z[0]
    margin: list[tuple[str, float, float]] = []
    for i in present:
        mask = np.pad(part == i, 1).astype(float)
        uu = np.concatenate([[u[0] - du], u, [u[-1] + du]])
        zz = np.concatenate([[z[0] - dz], z, [z[-1] + dz]])
        ax.contour(uu, zz, mask, levels=[0.5], colors="white", linewidths=0.8)  # type: ignore[attr-defined]
        rows = np.flatnonzero((part == i).any(axis=1))
        cols = np.flatnonzero((part == i).any(axis=0))
        if rows.size == 0:
            continue
        # the widest run of the part's pixels in the row at the middle of its height
        row = rows[rows.size // 2]
        line = np.flatnonzero(part[row] == i)
        uc = float(u[line[line.size // 2]])
        if rows.size >= LABEL_MIN_PX and cols.size >= 6 * len(names[i]):
            ax.text(uc, float(z[row]), names[i], ha="center", va="center", fontsize=7, color="white",  # type: ignore[attr-defined]
                    bbox={"boxstyle": "round,pad=0.15", "fc": "black", "alpha": 0.45, "lw": 0})
        else:
            margin.append((names[i], uc, float(z[row])))
    if margin:  # thin parts: names stacked in the right margin, leader lines to the part
        margin.sort(key=lambda m: m[2])
        for k, (name, uc, zc) in enumerate(margin):
            ax.annotate(name, xy=(uc, zc), xytext=(1.02, (k + 0.5) / len(margin)),  # type: ignore[attr-defined]
                        textcoords="axes fraction", fontsize=7, va="center", annotation_clip=False,
                        arrowprops={"arrowstyle": "-", "color": "0.55", "lw": 0.6})
    return [names[i] for i in present]
