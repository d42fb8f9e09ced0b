"""glTF binary (GLB): pkgcad's ONE GLB writer (``pkgcad build`` and the stages of ``pkgcad strip``).

:class:`Scene` holds each distinct mesh ONCE and places it by nodes (instancing: one mesh, N nodes), PBR material
colours, millimetre coordinates under a root node scaled by 0.001 (glTF counts in metres). Two layouts of nodes:

* :func:`package_scene` (a build): one named node per instance; a tiled part's instance holds one child node
  per tile (``<part>_tile_NNNN``), each distinct tile one mesh without the faces it shares with its neighbours;
* :func:`assembly_scene` (a strip stage): a node per unit holding one node per unit part (the part's instances
  in the unit merged into one mesh, shared by every unit: a 585-unit strip is ~6,000 nodes, not 40,000, which
  trimesh writes in ~1 s); the model-wide parts as nodes of their own, a tiled part one node per tile.
"""

from __future__ import annotations

from collections.abc import Mapping

import cadquery as cq
import numpy as np
import trimesh

from .. import __version__
from ..materials import material
from ..package import Package, Part
from ..tessellate import Shifts, placed_mesh, shape_mesh
from .assembly import Assembly
from .options import MeshQuality


def pbr(name: str) -> trimesh.visual.material.PBRMaterial:
    """The glTF material of pkgcad material ``name``: its colour, metallic or not."""
    mat = material(name)
    return trimesh.visual.material.PBRMaterial(name=name, baseColorFactor=[*mat.color, 1.0],
                                               metallicFactor=0.8 if mat.metallic else 0.0, roughnessFactor=0.5)


def shift(dx: float, dy: float) -> np.ndarray:
    m = np.eye(4)
    m[:2, 3] = dx, dy
    return m


class Scene:
    """A glTF scene being filled: :meth:`mesh` adds a mesh once, :meth:`node` places it (or groups nodes)."""

    def __init__(self, name: str) -> None:
        self.root = name
        self.scene = trimesh.Scene()
        graph = self.scene.graph
        graph.update(frame_from=graph.base_frame, frame_to=name, matrix=np.diag([1e-3, 1e-3, 1e-3, 1.0]))

    def mesh(self, key: str, mesh: trimesh.Trimesh, material_name: str) -> str:
        """``mesh`` (copied) in ``material_name``'s colour, under ``key``."""
        m = mesh.copy()
        m.visual = trimesh.visual.TextureVisuals(material=pbr(material_name))
        self.scene.geometry[key] = m
        return key

    def node(self, parent: str, name: str, matrix: np.ndarray, mesh: str | None = None) -> str:
        """Node ``name`` under ``parent`` at ``matrix`` (millimetres), showing ``mesh`` if given."""
        self.scene.graph.update(frame_from=parent, frame_to=name, matrix=matrix, geometry=mesh)
        return name

    def glb(self) -> bytes:
        self.scene.metadata["extras"] = {"generator": f"pkgcad {__version__}",
                                         "units": "millimetre (root node scale 0.001)"}
        return bytes(self.scene.export(file_type="glb"))


def package_scene(pkg: Package, meshes: Mapping[str, trimesh.Trimesh],
                  tiles: Mapping[str, list[tuple[trimesh.Trimesh, Shifts]]] | None = None) -> Scene:
    """A build's scene: one mesh per part definition (``meshes[part]``), one named node per instance; a part in
    ``tiles`` (a tiled encapsulant: its distinct pieces and their shifts) an instance node holding one child node
    per tile (``<part>_tile_NNNN``)."""
    scene = Scene(pkg.name)
    for part in pkg.parts:
        pieces = (tiles or {}).get(part.name)
        if pieces is None or part.tiling is None:
            key = scene.mesh(part.name, meshes[part.name], part.material)
            for pl in part.placements:
                scene.node(scene.root, pl.name, pl.matrix(), key)
            continue
        keys = [scene.mesh(f"{part.name}_{k}", piece, part.material) for k, (piece, _s) in enumerate(pieces)]
        for pl in part.placements:
            scene.node(scene.root, pl.name, pl.matrix())
            i = 0
            for key, (_piece, shifts) in zip(keys, pieces, strict=True):
                for dx, dy in shifts:
                    scene.node(pl.name, f"{pl.name}_tile_{i:04d}", shift(dx, dy), key)
                    i += 1
    return scene


class Meshes:
    """Meshes of distinct shapes at one quality, each made once (kept across the stages of a strip)."""

    def __init__(self, quality: MeshQuality) -> None:
        self.quality = quality
        self._done: dict[int, tuple[cq.Shape, trimesh.Trimesh]] = {}
        self._merged: dict[int, tuple[Part, trimesh.Trimesh]] = {}

    def of(self, shape: cq.Shape) -> trimesh.Trimesh:
        hit = self._done.get(id(shape))
        if hit is None or hit[0] is not shape:
            hit = self._done[id(shape)] = (shape, shape_mesh(shape, self.quality))
        return hit[1]

    def merged(self, part: Part) -> trimesh.Trimesh:
        """Every instance of ``part`` (every tile of a tiled one) as one mesh in the part's frame (made once)."""
        hit = self._merged.get(id(part))
        if hit is not None and hit[0] is part:
            return hit[1]
        if part.tiling is None:
            one = placed_mesh(part, self.of(part.shape))
        else:
            moved = [self.of(part.tiling.shapes[k]).copy() for k, _dx, _dy in part.tiling.uses]
            for m, (_k, dx, dy) in zip(moved, part.tiling.uses, strict=True):
                m.apply_translation((dx, dy, 0.0))
            one = trimesh.util.concatenate(moved)  # type: ignore[assignment]
            if part.count > 1:
                one = placed_mesh(part, one)
        self._merged[id(part)] = (part, one)
        return one


def assembly_scene(assy: Assembly, meshes: Meshes) -> Scene:
    """A strip stage's scene (see the module notes): ``assy.unit_parts`` merged per part and placed per unit,
    ``assy.parts`` one node per placement (a tiled part: per tile)."""
    scene = Scene(assy.name)
    keys = [scene.mesh(f"unit:{p.name}", meshes.merged(p), p.material) for p in assy.unit_parts]
    for u in assy.units:
        scene.node(scene.root, u.name, u.matrix() + 0.0)  # + 0.0: no negative zeros in the file
        for p, key in zip(assy.unit_parts, keys, strict=True):
            scene.node(u.name, f"{u.name}/{p.name}", np.eye(4), key)
    for p in assy.parts:
        if p.tiling is None:
            key = scene.mesh(p.name, meshes.of(p.shape), p.material)
            for pl in p.placements:
                scene.node(scene.root, pl.name, pl.matrix(), key)
            continue
        tile_keys = [scene.mesh(f"{p.name}:{k}", meshes.of(s), p.material) for k, s in enumerate(p.tiling.shapes)]
        for pl in p.placements:
            scene.node(scene.root, pl.name, pl.matrix())
            for i, (k, dx, dy) in enumerate(p.tiling.uses):
                scene.node(pl.name, f"{pl.name}_tile_{i:04d}", shift(dx, dy), tile_keys[k])
    return scene
