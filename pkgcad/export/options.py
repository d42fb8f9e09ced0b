"""Export settings that the CLI can list without loading the geometry kernel.

:class:`MeshQuality` (``--quality draft|normal|fine``) is how finely the STL and GLB files TESSELLATE the exact
shapes: the one tessellation setting of pkgcad (build, strip, KiCad's WRL, screen, mockup). It is not the
solver mesh: that is :class:`pkgcad.conformal.options.MeshPreset` (``--mesh coarse|normal|fine``, tetrahedra).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError


@dataclass(frozen=True)
class MeshQuality:
    """Tessellation tolerances for STL and GLB (triangles on the exact faces): chordal deviation [mm] and angle
    [rad]."""

    name: str
    linear: float
    angular: float


#: Every quality keeps the angle at or below 0.5 rad: the angle, not the chordal deviation, decides how closely
#: small round parts (bumps, balls, wires and their mold cavities) are meshed, since a chord spans at most that
#: angle of a circle whatever its size. At 0.8 rad a draft ball lost 9.4 % of its volume and failed
#: ``pkgcad check``; at 0.5 rad it loses at most 3.8 %, at the cost of about as many triangles on those parts as
#: at normal (draft stays coarser on large curved faces through its chordal deviation).
QUALITIES = {
    "draft": MeshQuality("draft", 0.02, 0.5),
    "normal": MeshQuality("normal", 0.005, 0.5),
    "fine": MeshQuality("fine", 0.001, 0.2),
}


def mesh_quality(name: str) -> MeshQuality:
    """THE ``--quality`` check of every command: the :class:`MeshQuality` called ``name``, else one
    :class:`~pkgcad.errors.InputError` naming the choices."""
    if name not in QUALITIES:
        raise InputError("--quality", name, f"choose one of {' | '.join(QUALITIES)}")
    return QUALITIES[name]

STEP_MODES = {
    "assembly": "named, instanced parts; a large encapsulant as instanced congruent tiles (smallest, fastest)",
    "solid": "as assembly, but the encapsulant always one solid (tiles glued: slower and bigger when large)",
    "fused": "the whole package as one solid with face colours",
    "conformal": "FEM-ready: every solid (named by its part instance) shares its contact faces with its "
    "neighbours, so meshers need no fragment (gmsh groups: manifest.json 'conformal')",
}

STL_MODES = {
    "instanced": "parts/<group>.stl hold each distinct mesh ONCE (one bump, each distinct encapsulant tile), "
    "placed by manifest.json's placements (what pkgcad check and the views read; the smallest)",
    "parts": "parts/<group>.stl hold every instance: self-contained files for any STL tool",
    "whole": "instanced part files and <name>.stl, the whole package as one mesh with every instance (to print)",
    "all": "every instance in the part files and in <name>.stl (the largest)",
}
"""What ``--stl`` writes. Every mode writes the part files ``pkgcad check`` reads, and the 3MF (the whole package
for slicers, each distinct mesh once)."""
DEFAULT_STL = "instanced"
