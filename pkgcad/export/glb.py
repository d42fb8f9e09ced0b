"""glTF binary (GLB): one mesh per part definition, one named node per instance, PBR material colours;
millimetre coordinates under a root node scaled by 0.001, as glTF counts in metres."""

from __future__ import annotations

import numpy as np
import trimesh

from .. import __version__
from ..materials import material
from ..package import Package
from ..tessellate import Shifts


def pbr(name: str) -> trimesh.visual.material.PBRMaterial:
    """The glTF material of pkgcad material ``name``: its colour, metallic or not."""
    mat = material(name)
    return trimesh.visual.material.PBRMaterial(name=name, baseColorFactor=[*mat.color, 1.0],
                                               metallicFactor=0.8 if mat.metallic else 0.0, roughnessFactor=0.5)


def build_scene(pkg: Package, meshes: dict[str, trimesh.Trimesh],
                tiles: dict[str, list[tuple[trimesh.Trimesh, Shifts]]] | None = None) -> trimesh.Scene:
    """A glTF scene: one mesh per part definition, one named node per instance; millimetre coordinates
    under a root node scaled by 0.001, as glTF counts in metres. A part in ``tiles`` (a tiled encapsulant) is
    an instance node holding one child node per tile (``<part>_tile_NNNN``), each distinct tile one mesh."""
    scene = trimesh.Scene()
    root = pkg.name
    scene.graph.update(frame_from=scene.graph.base_frame, frame_to=root, matrix=np.diag([1e-3, 1e-3, 1e-3, 1.0]))
    for part in pkg.parts:
        look = pbr(part.material)
        pieces = (tiles or {}).get(part.name)
        if pieces is None or part.tiling is None:
            m = meshes[part.name].copy()
            m.visual = trimesh.visual.TextureVisuals(material=look)
            first, *rest = part.placements
            scene.add_geometry(m, geom_name=part.name, node_name=first.name, parent_node_name=root,
                               transform=first.matrix())
            for pl in rest:
                scene.graph.update(frame_from=root, frame_to=pl.name, matrix=pl.matrix(), geometry=part.name)
            continue
        for k, (piece, _shifts) in enumerate(pieces):
            m = piece.copy()
            m.visual = trimesh.visual.TextureVisuals(material=look)
            scene.geometry[f"{part.name}_{k}"] = m
        for pl in part.placements:
            scene.graph.update(frame_from=root, frame_to=pl.name, matrix=pl.matrix())
            i = 0
            for k, (_piece, shifts) in enumerate(pieces):
                for dx, dy in shifts:
                    shift = np.eye(4)
                    shift[:2, 3] = dx, dy
                    scene.graph.update(frame_from=pl.name, frame_to=f"{pl.name}_tile_{i:04d}", matrix=shift,
                                       geometry=f"{part.name}_{k}")
                    i += 1
    scene.metadata["extras"] = {"generator": f"pkgcad {__version__}", "units": "millimetre (root node scale 0.001)"}
    return scene


