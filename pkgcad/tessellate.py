"""Triangle meshes of OCCT shapes, in float64 millimetres; a tiled part meshes each distinct tile once.

A part's mesh here is closed, wound outwards, welded and free of zero-area triangles: what the STL exporter
writes and what ``pkgcad check`` reads back. Only the display pieces of a tiled part (:class:`TiledMesh`,
placed many times in the GLB) are open where they meet their neighbours.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

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

from .package import Part, Tiling

log = logging.getLogger(__name__)


class Tolerances(Protocol):
    """What tessellating needs of a quality: the chordal deviation [mm] and the angle [rad]
    (:class:`pkgcad.export.options.MeshQuality` is one; taken structurally, so this layer imports no export)."""

    @property
    def linear(self) -> float: ...

    @property
    def angular(self) -> float: ...

SNAP = 1e-6
"""Mesh vertices within this distance [mm] of a tile line lie on it (float64 noise is ~1e-15; every tool keeps
clear of the tile lines by much more, see ``build.tiles.CLEARANCE``)."""


def shape_mesh(shape: cq.Shape, quality: Tolerances) -> trimesh.Trimesh:
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


@dataclass(eq=False)
class TiledMesh:
    """A part's meshes: ``pieces`` for instancing (GLB, the instanced part files): each distinct tile without the
    faces it shares with its neighbours, and the shifts that place it (tiles at the package's edge keep their
    outer faces, so they are pieces of their own); ``uses`` lists (piece, dx, dy) in the order :attr:`mesh`'s
    triangles come in. ``tiles`` holds each distinct tile CLOSED (what a 3MF object must be) and the shifts
    placing it. An untiled part is one piece (and one tile), used once.

    :attr:`mesh` is the whole part, welded and closed (for the whole-part STL files and the checks on them); a
    tiled part's is made on first use from its pieces (its faces ARE the pieces' faces, shifted, one use after
    the other, welded on the tile faces): 100,000 bumps make a 30 M-triangle encapsulant nobody needs unless the
    every-instance STL files are asked for."""

    pieces: list[tuple[trimesh.Trimesh, Shifts]]
    uses: list[tuple[int, float, float]]
    tiles: list[tuple[trimesh.Trimesh, Shifts]]
    _mesh: trimesh.Trimesh | None = None
    _tiling: Tiling | None = None

    @property
    def tiled(self) -> bool:
        return len(self.uses) > 1

    @property
    def mesh(self) -> trimesh.Trimesh:
        if self._mesh is None:
            assert self._tiling is not None
            self._mesh = _welded_tiles(self._tiling, [t for t, _s in self.tiles], self.uses)
        return self._mesh

    @property
    def triangles(self) -> int:
        """Triangles of one instance (of :attr:`mesh`), without making it."""
        return sum(len(self.pieces[k][0].faces) for k, _dx, _dy in self.uses)

    @property
    def bounds(self) -> np.ndarray:
        """(2, 3) box of one instance (of :attr:`mesh`), without making it."""
        los = [piece.bounds[0] + np.array([dx, dy, 0.0]) for piece, shifts in self.pieces for dx, dy in shifts]
        his = [piece.bounds[1] + np.array([dx, dy, 0.0]) for piece, shifts in self.pieces for dx, dy in shifts]
        return np.array([np.min(los, axis=0), np.max(his, axis=0)])


def whole(mesh: trimesh.Trimesh) -> TiledMesh:
    """An untiled part's mesh as a :class:`TiledMesh`: one piece, one tile, used once."""
    return TiledMesh([(mesh, [(0.0, 0.0)])], [(0, 0.0, 0.0)], [(mesh, [(0.0, 0.0)])], mesh)


def part_mesh(part: Part, quality: Tolerances) -> trimesh.Trimesh:
    """One instance of ``part`` as a mesh; see :func:`part_meshes`."""
    return part_meshes(part, quality).mesh


def part_meshes(part: Part, quality: Tolerances) -> TiledMesh:
    """One instance of ``part`` as a mesh, with the pieces an instancing viewer may draw instead (just the mesh,
    unshifted, unless the part is tiled). A tiled part is meshed from its tiles (:func:`tiled_mesh`), else, or
    if the tiles do not weld into a closed mesh, from its one solid."""
    if part.tiling is not None:
        tiled = tiled_mesh(part.tiling, quality)
        if tiled is not None:
            return tiled
        log.warning("%s: the tile meshes do not close up; meshing the glued solid", part.name)
        return whole(shape_mesh(part.solid(), quality))
    return whole(shape_mesh(part.shape, quality))


def placed_vertices(part: Part, mesh: trimesh.Trimesh, start: int = 0, stop: int | None = None) -> np.ndarray:
    """``mesh``'s vertices at every placement of ``part`` (or placements ``start`` to ``stop``): (instances,
    vertices, 3), by numpy transforms."""
    mats = np.stack([p.matrix() for p in part.placements[start:stop]])  # (n, 4, 4)
    return np.einsum("nij,vj->nvi", mats[:, :3, :3], mesh.vertices) + mats[:, None, :3, 3]


def placed_mesh(part: Part, mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """All instances of ``part`` as one mesh (not welded across instances): numpy transforms of ``mesh``."""
    verts = placed_vertices(part, mesh)
    faces = mesh.faces[None, :, :] + (np.arange(part.count) * len(mesh.vertices))[:, None, None]
    return trimesh.Trimesh(verts.reshape(-1, 3), faces.reshape(-1, 3), process=False)


def _on_lines(verts: np.ndarray, grids: tuple[np.ndarray, np.ndarray]) -> list[np.ndarray]:
    """Per axis (x, y): the INNER tile line each of ``verts`` lies on (within :data:`SNAP`), or -1; the
    coordinates on a line are snapped onto it, in place."""
    lines = []
    for axis, grid in enumerate(grids):
        c = verts[:, axis]
        j = np.clip(np.searchsorted(grid, c), 1, len(grid) - 1)
        near = np.where(np.abs(c - grid[j - 1]) <= np.abs(c - grid[j]), j - 1, j)
        on = np.abs(c - grid[near]) <= SNAP
        verts[on, axis] = grid[near[on]]
        lines.append(np.where(on & (near > 0) & (near < len(grid) - 1), near, -1))
    return lines


def _inner(faces: np.ndarray, lines: list[np.ndarray]) -> np.ndarray:
    """The triangles with all three corners on one inner tile line: faces two tiles share."""
    inner = np.zeros(len(faces), dtype=bool)
    for line in lines:
        corner = line[faces]
        inner |= (corner[:, 0] >= 0) & (corner[:, 0] == corner[:, 1]) & (corner[:, 1] == corner[:, 2])
    return inner


def _in_plane(a: np.ndarray, b: np.ndarray, lines: list[np.ndarray]) -> np.ndarray:
    """Which edges ``a -> b`` have both ends on one inner tile line (a tile face's edges)."""
    x, y = lines
    return ((x[a] >= 0) & (x[a] == x[b])) | ((y[a] >= 0) & (y[a] == y[b]))


def tiled_mesh(tiling: Tiling, quality: Tolerances) -> TiledMesh | None:
    """The meshes of a tiled part, made from one mesh per DISTINCT tile: each shifted into every place it is
    used, the triangles on the faces where two tiles meet dropped (a distinct tile with the same faces dropped
    is one piece). None if the pieces do not close each other up (then mesh the glued solid).

    Only the seams need checking: each distinct tile's mesh is closed, and a dropped triangle has all three
    corners on one inner tile line, so every edge left open lies in a tile face and must now be shared by
    exactly two triangles of neighbouring tiles, running opposite ways. Proven here on those edges alone (their
    ends welded across tiles within :data:`SNAP`), without making the whole mesh."""
    own = [shape_mesh(s, quality) for s in tiling.shapes]
    if not all(m.is_watertight and m.is_winding_consistent for m in own):
        return None
    grids = (np.asarray(tiling.xs, dtype=float), np.asarray(tiling.ys, dtype=float))
    found: dict[tuple[int, bytes], int] = {}
    pieces: list[tuple[trimesh.Trimesh, Shifts]] = []
    uses: list[tuple[int, float, float]] = []
    tiles: list[tuple[trimesh.Trimesh, Shifts]] = [(m, []) for m in own]
    ends: list[np.ndarray] = []  # per use, its open in-plane edges' ends (e, 2, 3), snapped, in place
    for k, dx, dy in tiling.uses:
        m = own[k]
        verts = m.vertices + np.array([dx, dy, 0.0])
        lines = _on_lines(verts, grids)
        drop = _inner(m.faces, lines)
        key = (k, np.packbits(drop).tobytes())
        if key not in found:
            piece = trimesh.Trimesh(m.vertices, m.faces[~drop], process=False)
            piece.remove_unreferenced_vertices()
            found[key] = len(pieces)
            pieces.append((piece, []))
        pieces[found[key]][1].append((float(dx), float(dy)))
        tiles[k][1].append((float(dx), float(dy)))
        uses.append((found[key], float(dx), float(dy)))
        kept = m.faces[~drop]
        a, b = kept.reshape(-1), kept[:, [1, 2, 0]].reshape(-1)
        plane = _in_plane(a, b, lines)
        ends.append(np.stack([verts[a[plane]], verts[b[plane]]], axis=1))
    if not _seams_close(np.concatenate(ends)):
        return None
    return TiledMesh(pieces, uses, tiles, None, tiling)


def _seams_close(ends: np.ndarray) -> bool:
    """Do the directed edges ``ends`` (e, 2, 3) pair up, each with one running the other way (their ends welded
    within :data:`SNAP`)?"""
    if not len(ends):
        return True
    pts = ends.reshape(-1, 3)
    pairs = cKDTree(pts).query_pairs(SNAP, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(pts), len(pts)))
    _n, label = connected_components(graph, directed=False)
    directed = label.reshape(-1, 2)
    if len(np.unique(directed, axis=0)) != len(directed):
        return False
    _keys, counts = np.unique(np.sort(directed, axis=1), axis=0, return_counts=True)
    return bool((counts == 2).all())


def _welded_tiles(tiling: Tiling, own: list[trimesh.Trimesh], uses: list[tuple[int, float, float]]) -> trimesh.Trimesh:
    """The whole tiled part as ONE closed mesh: every distinct tile's mesh shifted into each of its uses, the
    triangles where two tiles meet dropped and the vertices on the tile faces welded (the seams proven to close
    by :func:`tiled_mesh`). Its faces come use by use, each use's in its piece's order."""
    grids = (np.asarray(tiling.xs, dtype=float), np.asarray(tiling.ys, dtype=float))
    sizes = np.array([len(own[k].vertices) for k, _dx, _dy in tiling.uses])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    verts = np.concatenate([own[k].vertices + np.array([dx, dy, 0.0]) for k, dx, dy in tiling.uses])
    faces = np.concatenate([own[k].faces + s for (k, _dx, _dy), s in zip(tiling.uses, starts, strict=True)])
    lines = _on_lines(verts, grids)
    faces = faces[~_inner(faces, lines)]
    # weld the vertices on tile faces: neighbours' copies of one point differ by float noise only
    seam = np.flatnonzero((lines[0] >= 0) | (lines[1] >= 0))
    pairs = cKDTree(verts[seam]).query_pairs(SNAP, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(seam), len(seam)))
    _n, label = connected_components(graph, directed=False)
    first = np.full(len(seam), -1)
    first[label[::-1]] = np.arange(len(seam))[::-1]  # the lowest seam index of each label
    to = np.arange(len(verts))
    to[seam] = seam[first[label]]
    mesh = trimesh.Trimesh(verts, to[faces], process=False)
    mesh.remove_unreferenced_vertices()
    return mesh


def _finish(verts: np.ndarray, faces: np.ndarray) -> trimesh.Trimesh:
    mesh = trimesh.Trimesh(verts, faces, process=False)
    mesh.merge_vertices()
    mesh.update_faces(mesh.nondegenerate_faces(height=1e-9))
    mesh.remove_unreferenced_vertices()
    if mesh.volume < 0:
        mesh.invert()
    return mesh
