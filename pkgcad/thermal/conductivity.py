"""Thermal conductivity of a part: a material name from ``pkgcad.materials`` or an explicit (anisotropic) value.

Conductivities are in W/(m K) here, as in the materials table; the solver works in millimetres, so it uses
``k / 1000`` in W/(mm K). Anisotropic conductivity is orthotropic along the model axes x, y, z: that is what a
homogenised array of bumps, balls or wires, a laminate board or a substrate with copper planes needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from pkgcad.materials import MATERIALS


@dataclass(frozen=True)
class Conductivity:
    """Orthotropic conductivity (W/m K) along x, y, z, with a label saying where it comes from."""

    kx: float
    ky: float
    kz: float
    label: str = "custom"

    def __post_init__(self) -> None:
        for axis, value in (("kx", self.kx), ("ky", self.ky), ("kz", self.kz)):
            if not value > 0.0:
                raise ValueError(f"conductivity {axis}={value!r} W/m K must be positive ({self.label})")

    @classmethod
    def isotropic(cls, k: float, label: str = "custom") -> Conductivity:
        return cls(k, k, k, label)

    @property
    def values(self) -> tuple[float, float, float]:
        return (self.kx, self.ky, self.kz)


#: What a caller may give for a part: a material name, one value (W/m K), three values (x, y, z) or a Conductivity.
MaterialSpec = str | float | tuple[float, float, float] | Conductivity


def resolve(spec: MaterialSpec, *, part: str = "?") -> Conductivity:
    """The conductivity a part's material spec stands for; ValueError naming the part when it has none."""
    if isinstance(spec, Conductivity):
        return spec
    if isinstance(spec, str):
        if spec not in MATERIALS:
            raise ValueError(
                f"part {part!r}: unknown material {spec!r} (no thermal conductivity); known: {', '.join(MATERIALS)}"
            )
        return Conductivity.isotropic(MATERIALS[spec].conductivity_w_mk, spec)
    if isinstance(spec, int | float):
        return Conductivity.isotropic(float(spec))
    values = tuple(float(v) for v in spec)
    if len(values) != 3:
        raise ValueError(f"part {part!r}: conductivity needs 1 or 3 values (x, y, z) in W/m K, got {spec!r}")
    return Conductivity(*values)
