"""Mesh-check settings the command line validates without loading OCCT or gmsh. Millimetres."""

from __future__ import annotations

DEFAULT_SIZE = 0.3
"""Default largest tetrahedron edge of the mesh check [mm]."""
# its range (0, 5] mm is in pkgcad.bounds, with every other length option's
