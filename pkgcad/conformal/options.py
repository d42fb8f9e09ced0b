"""Mesh settings the command line validates without loading OCCT or gmsh: the solver mesh presets (``--mesh
coarse|normal|fine`` of ``pkgcad thermal`` and every later solver: tetrahedra) and the mesh check's size.
Millimetres. Not the STL/GLB tessellation: that is :class:`pkgcad.export.options.MeshQuality` (``--quality``)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_SIZE = 0.3
"""Default largest tetrahedron edge of the mesh check [mm]."""
# its range (0, 5] mm is in pkgcad.bounds, with every other length option's


@dataclass(frozen=True)
class MeshPreset:
    """How fine a solver mesh is: ``across`` elements across the package's largest extent, ``near_chip`` times
    that size in a box round the chip (where the heat and the stresses concentrate), ``through`` elements
    through the thickness of every thin layer (die attach, buffer-pad attach, adhesive, interface layer),
    meshed structured (:mod:`pkgcad.conformal.meshing`), ``edge`` times the near-chip size on the rims the
    model names (:attr:`pkgcad.conformal.fem.FemModel.edges`: a thin layer's outline inside the package, where
    the heat crowds), growing by ``grading`` mm per mm away from them (0: no rim refinement; ``pkgcad warp``
    meshes with 0), and ``far_mm`` on a board away from the package."""

    name: str
    across: int
    near_chip: float = 0.5
    through: int = 2
    edge: float = 0.0
    grading: float = 0.5
    far_mm: float = 4.0

    def size_mm(self, extent_mm: float) -> float:
        """The element size [mm] for a package whose largest extent is ``extent_mm``."""
        return extent_mm / self.across


PRESETS: dict[str, MeshPreset] = {
    "coarse": MeshPreset("coarse", 12, edge=0.25),
    "normal": MeshPreset("normal", 24, edge=0.25),
    "fine": MeshPreset("fine", 48, edge=0.25),
}
"""The solver mesh presets by name: ``--mesh coarse|normal|fine``."""

