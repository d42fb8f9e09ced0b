"""Export settings that the CLI can list without loading the geometry kernel."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MeshQuality:
    """Tessellation tolerances for STL and GLB: chordal deviation [mm] and angle [rad]."""

    name: str
    linear: float
    angular: float


QUALITIES = {
    "draft": MeshQuality("draft", 0.02, 0.8),
    "normal": MeshQuality("normal", 0.005, 0.5),
    "fine": MeshQuality("fine", 0.001, 0.2),
}

STEP_MODES = {
    "assembly": "named, instanced parts; a large encapsulant as instanced congruent tiles (smallest, fastest)",
    "solid": "as assembly, but the encapsulant always one solid (tiles glued: slower and bigger when large)",
    "fused": "the whole package as one solid with face colours",
}
