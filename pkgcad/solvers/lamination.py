"""Classical lamination theory for a stack of full-footprint layers under a uniform temperature change: the
in-plane strain and the curvature a free plate takes, and its warpage. The answer the finite elements are checked
against for the layers that span the whole package (substrate, mold, heat-sink plate).

Each layer is isotropic in its plane and strained equally in x and y, so its plate stiffness is the biaxial modulus
Q = E / (1 - nu) and its thermal load Q eps_th. With z measured up from the bottom of the stack:

    A = sum Q t,   B = sum Q (z_top^2 - z_bot^2) / 2,   D = sum Q (z_top^3 - z_bot^3) / 3
    N_T = sum Q eps_th t,   M_T = sum Q eps_th (z_top^2 - z_bot^2) / 2
    curvature k = (A M_T - B N_T) / (A D - B^2),   mid-strain e0 = (D N_T - B M_T) / (A D - B^2)

(the strain at height z is e0 + k z). k > 0: the top stretches more than the bottom, the plate bows up in the
middle, corners down (convex seen from above). A square of side L with uniform curvature k rises k L^2 / 4 from its
corners to its centre. Units: mm, MPa, 1/mm.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Layer:
    """One layer of the stack: thickness (mm), biaxial modulus E / (1 - nu) (MPa) and free in-plane thermal
    strain (the same in x and y)."""

    thickness_mm: float
    biaxial_mpa: float
    strain: float
    name: str = ""

    def __post_init__(self) -> None:
        if not self.thickness_mm > 0.0 or not self.biaxial_mpa > 0.0:
            raise ValueError(f"layer {self.name or '?'}: thickness and modulus must be positive")

    @classmethod
    def isotropic(cls, thickness_mm: float, e_mpa: float, nu: float, strain: float, name: str = "") -> Layer:
        return cls(thickness_mm, e_mpa / (1.0 - nu), strain, name)


@dataclass(frozen=True)
class Lamination:
    """The free plate's response: ``curvature`` (1/mm, > 0 convex seen from above) and ``mid_strain`` (the in-plane
    strain at z = 0, the stack's bottom)."""

    layers: tuple[Layer, ...]
    curvature: float
    mid_strain: float

    @property
    def thickness_mm(self) -> float:
        return sum(layer.thickness_mm for layer in self.layers)

    def strain_at(self, z_mm: float) -> float:
        """Total in-plane strain at height ``z_mm`` above the stack's bottom."""
        return self.mid_strain + self.curvature * z_mm

    def warpage_mm(self, length_mm: float, width_mm: float | None = None) -> float:
        """Rise of the centre above the corners of a length x width rectangle (mm): k (L^2 + W^2) / 8."""
        w = length_mm if width_mm is None else width_mm
        return self.curvature * (length_mm**2 + w**2) / 8.0


def laminate(layers: Sequence[Layer]) -> Lamination:
    """The curvature and mid-plane strain of ``layers`` (bottom first) under their free thermal strains."""
    if not layers:
        raise ValueError("a laminate needs at least one layer")
    a = b = d = n_t = m_t = 0.0
    z0 = 0.0
    for layer in layers:
        z1 = z0 + layer.thickness_mm
        q = layer.biaxial_mpa
        a += q * (z1 - z0)
        b += q * (z1**2 - z0**2) / 2.0
        d += q * (z1**3 - z0**3) / 3.0
        n_t += q * layer.strain * (z1 - z0)
        m_t += q * layer.strain * (z1**2 - z0**2) / 2.0
        z0 = z1
    det = a * d - b * b
    return Lamination(tuple(layers), (a * m_t - b * n_t) / det, (d * n_t - b * m_t) / det)
