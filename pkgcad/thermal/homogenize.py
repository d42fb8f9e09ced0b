"""Equivalent orthotropic conductivity of arrays (bumps, balls, wires) and laminates, for one block in the mesh.

A 10,000-bump model cannot be meshed bump by bump in a minute; the geometry side replaces the array and the
compound around it by one block and gives it the conductivity computed here. Notation: k_f the filler (solder,
copper, gold), k_m the matrix (molding compound, underfill, air), phi the filler's area (or volume) fraction.

- Straight pillars along z (cylinders, prisms), through-thickness: area-weighted parallel, exact for
  isothermal end faces:  k_z = phi k_f + (1 - phi) k_m.
- Pillars, in-plane (transverse to the pillars): Maxwell-Garnett / Rayleigh for circular inclusions in 2-D
  (equal to the Hashin-Shtrikman bound on the matrix side):
      k_t = k_m [(k_f + k_m) + phi (k_f - k_m)] / [(k_f + k_m) - phi (k_f - k_m)].
- Pillars whose cross-section varies with z (solder balls, barrel bumps): slices dz each treated as above;
  through-thickness the slices are in series, 1/k_z = (1/H) integral dz / (phi(z) k_f + (1 - phi(z)) k_m)
  (isothermal slices: an upper bound on k_z); in-plane the slices are in parallel, k_t = (1/H) integral
  k_t(phi(z)) dz. ``profiled_bounds`` also gives the adiabatic-column lower bound on k_z.
- Wires along x or y: axial parallel, the two transverse directions by the 2-D formula above.
- Spheres in 3-D (fillers, isolated particles): Maxwell-Garnett,
      k = k_m [k_f + 2 k_m + 2 phi (k_f - k_m)] / [k_f + 2 k_m - phi (k_f - k_m)].
- Laminates (boards, substrates with copper planes), layers (t_i, k_i) stacked along z: in-plane
  k_xy = sum(t_i k_i) / sum(t_i), through-thickness k_z = sum(t_i) / sum(t_i / k_i).
- Where pillars end on a plate (pads, a copper spreader), the heat must converge into each pillar: a
  constriction the block does not see (the parallel rule is an upper bound on k_z).
All conductivities in W/(m K), lengths in mm.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from pkgcad.layout import SphereCut
from pkgcad.thermal.conductivity import Conductivity


def _check_fraction(phi: float) -> None:
    if not 0.0 <= phi < 1.0:
        raise ValueError(f"filler fraction {phi!r} must be in [0, 1)")


def parallel(k_f: float, k_m: float, phi: float) -> float:
    return phi * k_f + (1.0 - phi) * k_m


def maxwell_garnett_2d(k_f: float, k_m: float, phi: float) -> float:
    """Transverse conductivity of aligned cylinders at area fraction phi in a matrix."""
    _check_fraction(phi)
    return k_m * ((k_f + k_m) + phi * (k_f - k_m)) / ((k_f + k_m) - phi * (k_f - k_m))


def maxwell_garnett_3d(k_f: float, k_m: float, phi: float) -> float:
    """Conductivity of spheres at volume fraction phi in a matrix."""
    _check_fraction(phi)
    return k_m * (k_f + 2 * k_m + 2 * phi * (k_f - k_m)) / (k_f + 2 * k_m - phi * (k_f - k_m))


def pillar_array(k_pillar: float, k_matrix: float, area_fraction: float, label: str = "") -> Conductivity:
    """Straight pillars along z at an area fraction: parallel along z, Maxwell-Garnett 2-D across."""
    _check_fraction(area_fraction)
    kt = maxwell_garnett_2d(k_pillar, k_matrix, area_fraction)
    return Conductivity(kt, kt, parallel(k_pillar, k_matrix, area_fraction),
                        label or f"pillar array, phi = {area_fraction:.4f}")


def wire_array(k_wire: float, k_matrix: float, fraction: float, axis: str = "x", label: str = "") -> Conductivity:
    """Straight wires along x or y at a cross-section fraction: parallel along them, 2-D across."""
    _check_fraction(fraction)
    ka, kt = parallel(k_wire, k_matrix, fraction), maxwell_garnett_2d(k_wire, k_matrix, fraction)
    if axis not in ("x", "y"):
        raise ValueError(f"wire axis {axis!r} must be 'x' or 'y'")
    values = (ka, kt, kt) if axis == "x" else (kt, ka, kt)
    return Conductivity(*values, label=label or f"wire array along {axis}, phi = {fraction:.4f}")


def profiled_pillar_array(
    k_pillar: float,
    k_matrix: float,
    fraction_at: Callable[[np.ndarray], np.ndarray],
    height_mm: float,
    *,
    slices: int = 200,
    label: str = "",
) -> Conductivity:
    """Pillars whose area fraction phi(z) varies over 0 <= z <= height: slices in series (z), in parallel (x, y)."""
    z = (np.arange(slices) + 0.5) * (height_mm / slices)
    phi = np.asarray(fraction_at(z), dtype=float)
    if phi.min() < 0.0 or phi.max() >= 1.0:
        raise ValueError("filler fraction along the height must stay in [0, 1)")
    kz = 1.0 / np.mean(1.0 / (phi * k_pillar + (1.0 - phi) * k_matrix))
    kt = float(np.mean([maxwell_garnett_2d(k_pillar, k_matrix, float(f)) for f in phi]))
    return Conductivity(kt, kt, float(kz), label or "profiled pillar array (slices in series)")


def profiled_bounds(
    k_pillar: float, k_matrix: float, radius_at: Callable[[np.ndarray], np.ndarray], cell_area_mm2: float,
    height_mm: float, *, slices: int = 200, rings: int = 200,
) -> tuple[float, float]:
    """(lower, upper) bounds on k_z of round pillars of radius r(z) in a cell: adiabatic columns, isothermal slices."""
    z = (np.arange(slices) + 0.5) * (height_mm / slices)
    r = np.asarray(radius_at(z), dtype=float)
    upper = 1.0 / np.mean(1.0 / (np.pi * r**2 / cell_area_mm2 * (k_pillar - k_matrix) + k_matrix))
    rr = (np.arange(rings) + 0.5) * (r.max() / rings)  # columns: rings of radius rr, each a series of slices
    filled = rr[:, None] <= r[None, :]
    k_col = 1.0 / np.mean(1.0 / np.where(filled, k_pillar, k_matrix), axis=1)
    ring_area = 2 * np.pi * rr * (r.max() / rings)
    lower = (np.sum(k_col * ring_area) + k_matrix * (cell_area_mm2 - np.pi * r.max() ** 2)) / cell_area_mm2
    return float(lower), float(upper)


def ball_array(
    k_ball: float, k_matrix: float, diameter_mm: float, height_mm: float, pitch_x_mm: float,
    pitch_y_mm: float | None = None, label: str = "",
) -> Conductivity:
    """Truncated spheres (solder balls or bumps) of a diameter, squashed to a height, on a pitch grid.

    The ball is a sphere of the given diameter cut symmetrically top and bottom to the height (the flats
    are the pad contacts): phi(z) = pi (R^2 - (z - H/2)^2) / (pitch_x pitch_y).
    """
    if height_mm > diameter_mm:
        raise ValueError(f"ball height {height_mm} mm exceeds its diameter {diameter_mm} mm")
    cell = pitch_x_mm * (pitch_y_mm or pitch_x_mm)
    radius = diameter_mm / 2

    def phi(z: np.ndarray) -> np.ndarray:
        return np.pi * (radius**2 - (z - height_mm / 2) ** 2) / cell

    return profiled_pillar_array(k_ball, k_matrix, phi, height_mm,
                                 label=label or f"ball array d={diameter_mm} h={height_mm} pitch {pitch_x_mm}")


def sphere_cut_array(k_ball: float, k_matrix: float, sphere: SphereCut, pitch_x_mm: float,
                     pitch_y_mm: float | None = None, label: str = "") -> Conductivity:
    """Spheres cut flat at ``sphere.bottom`` and ``sphere.top`` (any two flats: a ball as built, or soldered to
    pads of two sizes) on a pitch grid: phi(z) = pi r(z)^2 / (pitch_x pitch_y), slices as above."""
    cell = pitch_x_mm * (pitch_y_mm or pitch_x_mm)

    def phi(z: np.ndarray) -> np.ndarray:
        return np.array([math.pi * sphere.radius_at(sphere.bottom + float(v)) ** 2 / cell for v in np.ravel(z)])

    return profiled_pillar_array(k_ball, k_matrix, phi, sphere.height,
                                 label=label or f"sphere-cut array d={sphere.diameter:.3g} h={sphere.height:.3g} "
                                 f"pitch {pitch_x_mm}")


def laminate(layers: Sequence[tuple[float, float]], label: str = "laminate") -> Conductivity:
    """Layers (thickness mm, k W/m K) stacked along z: parallel in-plane, series through the thickness."""
    t = np.array([layer[0] for layer in layers], dtype=float)
    k = np.array([layer[1] for layer in layers], dtype=float)
    if t.size == 0 or t.min() <= 0.0 or k.min() <= 0.0:
        raise ValueError("a laminate needs layers of positive thickness and conductivity")
    k_in = float(np.sum(t * k) / t.sum())
    return Conductivity(k_in, k_in, float(t.sum() / np.sum(t / k)), label)
