"""A JESD51-7-like 2s2p test board as one orthotropic block under the package, for the theta-JA estimate.

JESD51-7 (high effective conductivity board): FR-4, 1.6 mm thick, two signal layers outside and two buried
copper planes. Here: 114.3 x 76.2 mm (the standard's board for packages up to 27 mm), two 35 um (1 oz)
copper planes, FR-4 k = 0.3 W/m K, the sparse outer traces left out (they carry little heat beyond the
package), no thermal vias. The block's conductivity comes from ``homogenize.laminate``: about 17 W/m K
in-plane and 0.31 W/m K through. It is an estimate, and the output says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


def add_board_block(
    parts: dict[str, list[int]], centre_xy: tuple[float, float], z_top: float, spec: BoardSpec = BoardSpec(),
    model: Any = None,
) -> dict[str, list[int]]:
    """Add the board box (top face at z_top, centred under the package) and fragment it with every part.

    ``parts`` maps part names to OCC volume tags in the current gmsh model (before meshing). The fragment makes
    the board share faces with whatever touches it (ball ends, leads); tags are renumbered, so the updated map
    is returned, with the board under ``BOARD_PART``. Physical groups are the caller's job afterwards.
    """
    if model is None:
        import gmsh

        model = gmsh.model
    occ = model.occ
    board = occ.addBox(centre_xy[0] - spec.length_mm / 2, centre_xy[1] - spec.width_mm / 2,
                       z_top - spec.thickness_mm, spec.length_mm, spec.width_mm, spec.thickness_mm)
    names = list(parts)
    objects = [(3, tag) for name in names for tag in parts[name]]
    _, mapping = occ.fragment(objects, [(3, board)])
    occ.synchronize()
    updated: dict[str, list[int]] = {name: [] for name in names}
    i = 0
    for name in names:
        for _ in parts[name]:
            updated[name].extend(tag for dim, tag in mapping[i] if dim == 3)
            i += 1
    updated[BOARD_PART] = [tag for dim, tag in mapping[i] if dim == 3]
    return updated
