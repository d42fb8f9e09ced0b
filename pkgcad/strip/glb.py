"""glTF binary (GLB) of a strip stage: each distinct shape meshed ONCE; a unit node per unit holding one node per
unit part (its instances in the unit merged into one mesh, shared by every unit); the strip-wide parts as nodes
of their own, a tiled part one node per tile. Millimetres under a root node scaled by 0.001 (glTF counts in
metres), PBR material colours as ``pkgcad build`` writes them.

A part's instances inside a unit are merged (32 leads are one mesh) so a 585-unit strip has ~6,000 nodes, not
40,000: trimesh writes that in ~1 s."""

from __future__ import annotations

from collections.abc import Sequence

import cadquery as cq
import numpy as np
import trimesh

from .. import __version__
from ..export.glb import pbr
from ..export.options import MeshQuality
from ..package import Part
from ..tessellate import placed_mesh, shape_mesh
from .layout import Unit


class Meshes:
    """Meshes of distinct shapes at one quality, each made once (kept across stages)."""

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
            shifted = [self.of(part.tiling.shapes[k]).copy() for k, _dx, _dy in part.tiling.uses]
            for m, (_k, dx, dy) in zip(shifted, part.tiling.uses, strict=True):
                m.apply_translation((dx, dy, 0.0))
            one = trimesh.util.concatenate(shifted)  # type: ignore[assignment]
            if part.count > 1:
                one = placed_mesh(part, one)
        self._merged[id(part)] = (part, one)
        return one


def _move(x: float, y: float) -> np.ndarray:
    m = np.eye(4)
    m[:2, 3] = x, y
    return m


def stage_scene(unit_parts: Sequence[Part], strip_parts: Sequence[Part], units: Sequence[Unit], name: str,
                meshes: Meshes) -> trimesh.Scene:
    """The scene of one stage (see the module notes)."""
    scene = trimesh.Scene()
    g = scene.graph
    g.update(frame_from=g.base_frame, frame_to=name, matrix=np.diag([1e-3, 1e-3, 1e-3, 1.0]))
    for p in unit_parts:
        m = meshes.merged(p).copy()
        m.visual = trimesh.visual.TextureVisuals(material=pbr(p.material))
        scene.geometry[f"unit:{p.name}"] = m
    for u in units:
        g.update(frame_from=name, frame_to=u.name, matrix=_move(u.x, u.y))
        for p in unit_parts:
            g.update(frame_from=u.name, frame_to=f"{u.name}/{p.name}", matrix=np.eye(4), geometry=f"unit:{p.name}")
    for p in strip_parts:
        look = pbr(p.material)
        if p.tiling is None:
            m = meshes.of(p.shape).copy()
            m.visual = trimesh.visual.TextureVisuals(material=look)
            scene.geometry[p.name] = m
            for pl in p.placements:
                g.update(frame_from=name, frame_to=pl.name, matrix=pl.matrix(), geometry=p.name)
            continue
        for k, shape in enumerate(p.tiling.shapes):
            m = meshes.of(shape).copy()
            m.visual = trimesh.visual.TextureVisuals(material=look)
            scene.geometry[f"{p.name}:{k}"] = m
        for pl in p.placements:
            g.update(frame_from=name, frame_to=pl.name, matrix=pl.matrix())
            for i, (k, dx, dy) in enumerate(p.tiling.uses):
                g.update(frame_from=pl.name, frame_to=f"{pl.name}_tile_{i:04d}", matrix=_move(dx, dy),
                         geometry=f"{p.name}:{k}")
    scene.metadata["extras"] = {"generator": f"pkgcad {__version__}", "units": "millimetre (root node scale 0.001)"}
    return scene


def stage_glb(unit_parts: Sequence[Part], strip_parts: Sequence[Part], units: Sequence[Unit], name: str,
              meshes: Meshes) -> bytes:
    return stage_scene(unit_parts, strip_parts, units, name, meshes).export(file_type="glb")
