"""Triangle meshes of OCCT shapes, in float64 millimetres; a tiled part meshes each distinct tile once.

A part's mesh here is closed, wound outwards, welded and free of zero-area triangles: what the STL exporter
writes and what ``pkgcad check`` reads back. Only the display pieces of a tiled part (:class:`TiledMesh`,
placed many times in the GLB) are open where they meet their neighbours.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import cadquery as cq
import numpy as np
import trimesh
from OCP.BRep import BRep_Tool
from OCP.BRepBuilderAPI import BRepBuilderAPI_Copy
from OCP.BRepMesh import BRepMesh_IncrementalMesh
from OCP.TopAbs import TopAbs_REVERSED
from OCP.TopLoc import TopLoc_Location
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from .export.options import MeshQuality
from .package import Part, Tiling

log = logging.getLogger(__name__)

SNAP = 1e-6
"""Mesh vertices within this distance [mm] of a tile line lie on it (float64 noise is ~1e-15; every tool keeps
clear of the tile lines by much more, see ``build.tiles.CLEARANCE``)."""


def shape_mesh(shape: cq.Shape, quality: MeshQuality) -> trimesh.Trimesh:
    """``shape`` tessellated with ``quality``'s absolute tolerances: one triangle list for all its faces, welded,
    zero-area triangles (sphere poles) dropped, wound outwards. Meshes a copy: OCCT keeps a triangulation on
    the shape it meshes, and the model must not change by being exported."""
    fresh = BRepBuilderAPI_Copy(shape.wrapped, True, False).Shape()
    BRepMesh_IncrementalMesh(fresh, quality.linear, False, quality.angular, True)
    verts: list[np.ndarray] = []
    faces: list[np.ndarray] = []
    count = 0
    for face in cq.Shape.cast(fresh).Faces():
        loc = TopLoc_Location()
        tri = BRep_Tool.Triangulation_s(face.wrapped, loc)
        if tri is None:
            raise RuntimeError("OCCT left a face without triangles")
        trsf = loc.Transformation()
        pts = np.array([tri.Node(i).Transformed(trsf).Coord() for i in range(1, tri.NbNodes() + 1)])
        idx = np.array([tri.Triangle(i).Get() for i in range(1, tri.NbTriangles() + 1)]) - 1
        if face.wrapped.Orientation() == TopAbs_REVERSED:
            idx = idx[:, ::-1]
        verts.append(pts)
        faces.append(idx + count)
        count += len(pts)
    return _finish(np.concatenate(verts), np.concatenate(faces))


Shifts = list[tuple[float, float]]


@dataclass
class TiledMesh:
    """A part's meshes: ``mesh`` the whole part, welded and closed (for STL and the checks); ``pieces`` for
    instancing viewers (GLB): each distinct tile without the faces it shares with its neighbours, and the
    shifts that place it (tiles at the package's edge keep their outer faces, so they are pieces of their own).
    ``uses`` lists (piece, dx, dy) in the order ``mesh``'s triangles come in: the mesh's faces ARE the pieces'
    faces, shifted, one use after the other (welded on the tile faces). An untiled part is one piece, used once.
    """

    mesh: trimesh.Trimesh
    pieces: list[tuple[trimesh.Trimesh, Shifts]]
    uses: list[tuple[int, float, float]]

    @property
    def tiled(self) -> bool:
        return len(self.uses) > 1


def part_mesh(part: Part, quality: MeshQuality) -> trimesh.Trimesh:
    """One instance of ``part`` as a mesh; see :func:`part_meshes`."""
    return part_meshes(part, quality).mesh


def part_meshes(part: Part, quality: MeshQuality) -> TiledMesh:
    """One instance of ``part`` as a mesh, with the pieces an instancing viewer may draw instead (just the mesh,
    unshifted, unless the part is tiled). A tiled part is meshed from its tiles (:func:`tiled_mesh`), else, or
    if the tiles do not weld into a closed mesh, from its one solid."""
    if part.tiling is not None:
        tiled = tiled_mesh(part.tiling, quality)
        if tiled is not None:
            return tiled
        log.warning("%s: the tile meshes do not close up; meshing the glued solid", part.name)
        mesh = shape_mesh(part.solid(), quality)
    else:
        mesh = shape_mesh(part.shape, quality)
    return TiledMesh(mesh, [(mesh, [(0.0, 0.0)])], [(0, 0.0, 0.0)])


def placed_vertices(part: Part, mesh: trimesh.Trimesh) -> np.ndarray:
    """``mesh``'s vertices at every placement of ``part``: (instances, vertices, 3), by numpy transforms."""
    mats = np.stack([p.matrix() for p in part.placements])  # (n, 4, 4)
    return np.einsum("nij,vj->nvi", mats[:, :3, :3], mesh.vertices) + mats[:, None, :3, 3]


def placed_mesh(part: Part, mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """All instances of ``part`` as one mesh (not welded across instances): numpy transforms of ``mesh``."""
    verts = placed_vertices(part, mesh)
    faces = mesh.faces[None, :, :] + (np.arange(part.count) * len(mesh.vertices))[:, None, None]
    return trimesh.Trimesh(verts.reshape(-1, 3), faces.reshape(-1, 3), process=False)


def tiled_mesh(tiling: Tiling, quality: MeshQuality) -> TiledMesh | None:
    """The mesh of the glued tiles, made from one mesh per DISTINCT tile: each is shifted into every place it is
    used, the triangles on the faces where two tiles meet are dropped and the vertices on those faces welded.
    None if that does not give a closed, consistently wound mesh (then mesh the glued solid).

    Only the seams need checking: each distinct tile's mesh is closed, and a dropped triangle has all three
    corners on one inner tile line, so every edge left open lies in a tile face and must now be shared by
    exactly two triangles of neighbouring tiles, running opposite ways."""
    own = [shape_mesh(s, quality) for s in tiling.shapes]
    if not all(m.is_watertight and m.is_winding_consistent for m in own):
        return None
    sizes = np.array([len(own[k].vertices) for k, _dx, _dy in tiling.uses])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    verts = np.concatenate([own[k].vertices + np.array([dx, dy, 0.0]) for k, dx, dy in tiling.uses])
    faces = np.concatenate([own[k].faces + s for (k, _dx, _dy), s in zip(tiling.uses, starts, strict=True)])
    inner = np.zeros(len(faces), dtype=bool)
    lines = []  # per axis: the inner tile line each vertex lies on, or -1
    for axis, grid_ in ((0, tiling.xs), (1, tiling.ys)):
        grid = np.asarray(grid_, dtype=float)
        c = verts[:, axis]
        j = np.clip(np.searchsorted(grid, c), 1, len(grid) - 1)
        near = np.where(np.abs(c - grid[j - 1]) <= np.abs(c - grid[j]), j - 1, j)
        on = np.abs(c - grid[near]) <= SNAP
        verts[on, axis] = grid[near[on]]
        line = np.where(on & (near > 0) & (near < len(grid) - 1), near, -1)
        corner = line[faces]
        inner |= (corner[:, 0] >= 0) & (corner[:, 0] == corner[:, 1]) & (corner[:, 1] == corner[:, 2])
        lines.append(line)
    pieces, order = _pieces(own, tiling.uses, inner)
    faces = faces[~inner]
    # weld the vertices on tile faces: neighbours' copies of one point differ by float noise only
    seam = np.flatnonzero((lines[0] >= 0) | (lines[1] >= 0))
    pairs = cKDTree(verts[seam]).query_pairs(SNAP, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(seam), len(seam)))
    _n, label = connected_components(graph, directed=False)
    first = np.full(len(seam), -1)
    first[label[::-1]] = np.arange(len(seam))[::-1]  # the lowest seam index of each label
    to = np.arange(len(verts))
    to[seam] = seam[first[label]]
    faces = to[faces]
    # the open edges: both ends on one inner tile line; each must be shared by two triangles, opposite ways
    a, b = faces.reshape(-1), faces[:, [1, 2, 0]].reshape(-1)
    in_plane = ((lines[0][a] >= 0) & (lines[0][a] == lines[0][b])) | ((lines[1][a] >= 0) & (lines[1][a] == lines[1][b]))
    directed = np.stack([a[in_plane], b[in_plane]], axis=1)
    undirected = np.sort(directed, axis=1)
    if len(np.unique(directed, axis=0)) != len(directed):
        return None
    _keys, counts = np.unique(undirected, axis=0, return_counts=True)
    if (counts != 2).any():
        return None
    mesh = trimesh.Trimesh(verts, faces, process=False)
    mesh.remove_unreferenced_vertices()
    uses = [(k, float(dx), float(dy)) for k, (_own, dx, dy) in zip(order, tiling.uses, strict=True)]
    return TiledMesh(mesh, pieces, uses)


def _pieces(own: list[trimesh.Trimesh], uses: Sequence[tuple[int, float, float]],
            inner: np.ndarray) -> tuple[list[tuple[trimesh.Trimesh, Shifts]], list[int]]:
    """Distinct tile meshes without the faces ``inner`` drops (per use, in use order), grouped: tiles with the
    same shape and the same faces dropped are one piece placed at each of their shifts. Also the piece of each
    use, in use order."""
    found: dict[tuple[int, bytes], tuple[trimesh.Trimesh, Shifts]] = {}
    index: dict[tuple[int, bytes], int] = {}
    order: list[int] = []
    start = 0
    for k, dx, dy in uses:
        n = len(own[k].faces)
        drop = inner[start:start + n]
        start += n
        key = (k, np.packbits(drop).tobytes())
        if key not in found:
            piece = trimesh.Trimesh(own[k].vertices, own[k].faces[~drop], process=False)
            piece.remove_unreferenced_vertices()
            found[key] = (piece, [])
            index[key] = len(index)
        found[key][1].append((dx, dy))
        order.append(index[key])
    return list(found.values()), order


def _finish(verts: np.ndarray, faces: np.ndarray) -> trimesh.Trimesh:
    mesh = trimesh.Trimesh(verts, faces, process=False)
    mesh.merge_vertices()
    mesh.update_faces(mesh.nondegenerate_faces(height=1e-9))
    mesh.remove_unreferenced_vertices()
    if mesh.volume < 0:
        mesh.invert()
    return mesh
