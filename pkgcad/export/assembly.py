"""What the STEP and GLB writers write (:mod:`.step`, :mod:`.glb`): named parts placed in the model's frame and,
optionally, a UNIT: a group of parts written ONCE and placed at many places (a strip's package unit, placed at
every unit of the strip). No geometry kernel here. Millimetres."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..package import Package, Part, Placement


@dataclass(frozen=True)
class Assembly:
    """``parts`` placed in the model frame; ``unit_parts`` placed in the unit's frame, the unit placed at each of
    ``units`` (a placement's name names that unit). A package is an assembly without units."""

    name: str
    parts: Sequence[Part]
    unit_parts: Sequence[Part] = ()
    units: Sequence[Placement] = ()

    @classmethod
    def of(cls, pkg: Package) -> Assembly:
        return cls(pkg.name, pkg.parts)
