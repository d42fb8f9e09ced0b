"""Small typed helpers over trimesh, shared by the exporters and the checks (no OCCT here)."""

from __future__ import annotations

from pathlib import Path

import trimesh


def concatenate(meshes: list[trimesh.Trimesh]) -> trimesh.Trimesh:
    """The meshes as one mesh (not fused: shells stay separate)."""
    merged = trimesh.util.concatenate(meshes)
    assert isinstance(merged, trimesh.Trimesh)
    return merged


def load_mesh(path: Path) -> trimesh.Trimesh:
    """A mesh file as one welded mesh."""
    mesh = trimesh.load(str(path), force="mesh", process=True)
    assert isinstance(mesh, trimesh.Trimesh)
    return mesh
