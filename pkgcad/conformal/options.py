"""Mesh-check settings the command line validates without loading OCCT or gmsh. Millimetres."""

from __future__ import annotations

DEFAULT_SIZE = 0.3
"""Default largest tetrahedron edge of the mesh check [mm]."""
MAX_SIZE = 5.0
"""Largest --mesh-size accepted [mm]: beyond it every part is one or two tetrahedra thick."""


def size_error(size: float) -> str | None:
    """Why ``size`` [mm] is no valid --mesh-size (the rule, for an InputError), or None."""
    if not 0 < size <= MAX_SIZE:  # NaN fails too
        return f"allowed above 0 and up to {MAX_SIZE:g} mm"
    return None
