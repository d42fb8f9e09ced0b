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
from pkgcad.solvers.plane import outline_parts, sample_plane


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
    named = outline_parts(ax, part, u, z, tm.part_names)
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
