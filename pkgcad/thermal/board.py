"""A JESD51-7-like 2s2p test board as one orthotropic block under the package, for the theta-JA estimate.

JESD51-7 (high effective conductivity board): FR-4, 1.6 mm thick, two signal layers outside and two buried
copper planes. Here: 114.3 x 76.2 mm (the standard's board for packages up to 27 mm), two 35 um (1 oz)
copper planes, FR-4 k = 0.3 W/m K, the sparse outer traces left out (they carry little heat beyond the
package), no thermal vias. The block's conductivity comes from ``homogenize.laminate``: about 17 W/m K
in-plane and 0.31 W/m K through. It is an estimate, and the output says so. The block itself is a solid of the
FEM model (:class:`~pkgcad.conformal.fem.BoardBlock`), its top on the package's seating plane.
"""

from __future__ import annotations

from dataclasses import dataclass

from pkgcad.conformal.fem import BoardBlock
from pkgcad.thermal.conductivity import Conductivity
from pkgcad.thermal.homogenize import laminate

BOARD_PART = "board"


@dataclass(frozen=True)
class BoardSpec:
    length_mm: float = 114.3
    width_mm: float = 76.2
    thickness_mm: float = 1.6
    planes: int = 2
    plane_thickness_mm: float = 0.035
    copper_k_w_mk: float = 390.0
    fr4_k_w_mk: float = 0.3

    def conductivity(self) -> Conductivity:
        dielectric = self.thickness_mm - self.planes * self.plane_thickness_mm
        layers = [(dielectric, self.fr4_k_w_mk)] + [(self.plane_thickness_mm, self.copper_k_w_mk)] * self.planes
        return laminate(layers, label=f"JESD51-7-like {self.planes}-plane board (laminate estimate)")

    def block(self) -> BoardBlock:
        return BoardBlock(self.length_mm, self.width_mm, self.thickness_mm, BOARD_PART)
