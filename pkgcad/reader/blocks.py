"""A part file read as blocks: one small mesh placed at many shifts, PROVEN against every triangle of the file.

A 10,000-bump package writes ~6 M triangles, but they are 10,000 copies of one bump and a few hundred uses of
a dozen distinct encapsulant tiles. The manifest says how they lie in each ``parts/<group>.stl`` (per part row:
``triangles`` per instance, ``placements``, and ``tiles`` for a tiled part; see
:func:`pkgcad.export.manifest.stl_layout`). Here every copy in the file is compared with the first one shifted
by the manifest's placement (all coordinates, within :func:`copy_tol`, and the same corners bit-equal), so the
checks may judge one copy and the shifts instead of the soup, and still judge exactly what the user received.

Parts turned about +z (wires, leads, bond fingers) and files without that layout are read as one block of the
welded triangle soup, placed once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..errors import NO_VALUE, InputError
from ..meshutil import Mesh, vertex_components, weld
from .schema import PartRow

BATCH = 2_000_000
"""Corners compared per step when proving copies (bounds the memory: ~100 MB)."""


def copy_tol(corners: np.ndarray) -> float:
    """How far [mm] a copy may stray from the first one shifted: float32 rounding of the file's coordinates
    (a few 1e-7 of their size) and the export's weld of tile seams (1e-6 mm), far below any check tolerance."""
    return max(1e-5, 4e-7 * float(np.abs(corners).max(initial=0.0)))


@dataclass(eq=False)
class Block:
    """``faces`` over ``vertices`` (float64 mm, the block's own frame) placed at each of ``shifts`` (n, 3).

    ``open_edges`` are directed edges without their reverse: a tile piece's seams, closed by its neighbours'
    (``seam_corners`` holds their float32 corners from the file for every use, (n, e, 2, 3)); a whole part has
    none unless its file is broken."""

    vertices: np.ndarray
    faces: np.ndarray
    shifts: np.ndarray
    open_edges: np.ndarray
    seam_corners: np.ndarray
    crowded: int  # edges shared by more than two faces
    doubled: int  # directed edges that occur twice (faces wound against their neighbours)
    tiled: bool = False
    note: str = ""  # why a file with a layout in the manifest was read as soup
    seam_tol: float = 0.0  # 0: seam corners meet bit for bit (copies read from the file); else within this [mm]

    @cached_property
    def tris(self) -> np.ndarray:
        return self.vertices[self.faces]

    @cached_property
    def lo(self) -> np.ndarray:
        return self.vertices.min(axis=0)

    @cached_property
    def hi(self) -> np.ndarray:
        return self.vertices.max(axis=0)

    @property
    def count(self) -> int:
        return len(self.shifts)

    @property
    def triangles(self) -> int:
        return len(self.faces) * self.count

    @cached_property
    def mesh(self) -> Mesh:
        """The block's own mesh (one copy, unshifted)."""
        return Mesh(self.vertices, self.faces)

    def volume(self) -> float:
        """Signed volume of every copy [mm^3]: a shift adds s . sum((b - a) x (c - a)) / 6 (zero for a closed
        mesh), so open tile pieces add up to the volume of the closed part they make."""
        a, b, c = self.tris[:, 0], self.tris[:, 1], self.tris[:, 2]
        own = float(np.einsum("ij,ij->", a, np.cross(b, c))) / 6
        n = np.cross(b - a, c - a).sum(axis=0)
        return own * self.count + float(self.shifts.sum(axis=0) @ n) / 6

    def bodies(self) -> tuple[np.ndarray, np.ndarray]:
        """Boxes (lo, hi), each (k, 3), of the connected bodies of every copy."""
        return self._bodies

    @cached_property
    def _bodies(self) -> tuple[np.ndarray, np.ndarray]:
        n, label = vertex_components(self.mesh)
        lo = np.full((n, 3), np.inf)
        hi = np.full((n, 3), -np.inf)
        np.minimum.at(lo, label, self.vertices)
        np.maximum.at(hi, label, self.vertices)
        return ((lo[None] + self.shifts[:, None]).reshape(-1, 3), (hi[None] + self.shifts[:, None]).reshape(-1, 3))

    def placed(self, faces: np.ndarray | None = None) -> np.ndarray:
        """The triangles ``faces`` (default: all) of every copy, (n * f, 3, 3)."""
        tris = self.tris if faces is None else self.tris[faces]
        return (tris[None] + self.shifts[:, None, None, :]).reshape(-1, 3, 3)


def edge_counts(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, int, int]:
    """For directed edges ``a -> b`` (vertex ids): which edge is alone (no other face on it), how many edges are
    shared by more than two faces, and how many directed edges occur twice (faces wound against a neighbour)."""
    a, b = a.astype(np.int64), b.astype(np.int64)
    n = int(max(a.max(initial=0), b.max(initial=0))) + 1
    _keys, inv, counts = np.unique(np.minimum(a, b) * n + np.maximum(a, b), return_inverse=True, return_counts=True)
    per_edge = counts[inv.ravel()]
    fwd = np.sort(a * n + b)
    return per_edge == 1, int((counts > 2).sum()), int((fwd[1:] == fwd[:-1]).sum())


class NotCopies(ValueError):
    """The file's triangles are not laid out as the manifest says (edited after export?)."""


def block_of(copies: np.ndarray, shifts: np.ndarray, where: str, what: str, tiled: bool = False) -> Block:
    """The block of ``copies`` (m, t, 3, 3) float32 corners from the file, copy k meant to be copy 0 shifted by
    ``shifts[k] - shifts[0]``; :class:`NotCopies` naming ``what`` if one is not."""
    m = len(copies)
    flat = copies.reshape(m, -1, 3)
    first, inverse = weld(np.ascontiguousarray(flat[0]))
    same = first[inverse]
    tol = copy_tol(flat[0])
    base = flat[0].astype(np.float64) - shifts[0]
    moves = (shifts - shifts[0]).astype(np.float32)  # float32 arithmetic: its rounding is far below tol
    step = max(1, BATCH // max(1, flat.shape[1]))
    for s in range(1, m, step):
        chunk = flat[s:s + step]
        if not np.array_equal(np.take(chunk, same, axis=1), chunk):  # np.take: ~5x faster than chunk[:, same]
            k = s + int(np.flatnonzero((np.take(chunk, same, axis=1) != chunk).any(axis=(1, 2)))[0])
            raise NotCopies(f"{what} copy {k}: its corners do not coincide as copy 0's do")
        diff = chunk - flat[0][None]
        diff -= moves[s:s + step, None, :]
        err = np.abs(diff, out=diff).max(axis=(1, 2))
        if (err > tol).any():
            k = s + int(np.argmax(err > tol))
            raise NotCopies(f"{what} copy {k} is {err[k - s]:.3g} mm off copy 0 shifted by the manifest's placement")
    faces = inverse.reshape(-1, 3)
    keep = (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 2] != faces[:, 0])
    faces = faces[keep]  # a zero-length edge (float32 rounding): dropping the triangle keeps the mesh closed
    if not len(faces):
        raise InputError(where, NO_VALUE, "only zero-area triangles")
    used = np.unique(faces)
    remap = np.full(len(first), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    vertices, faces = base[first][used], remap[faces]
    a, b = faces.reshape(-1), faces[:, [1, 2, 0]].reshape(-1)
    alone, crowded, doubled = edge_counts(a, b)
    open_edges = np.column_stack([a[alone], b[alone]])
    corner = first[used]  # the file corner of each vertex (in copy 0's numbering)
    seam = flat[:, corner[open_edges]] if len(open_edges) else np.zeros((m, 0, 2, 3), np.float32)
    return Block(vertices, faces, np.asarray(shifts, dtype=np.float64), open_edges, seam, crowded, doubled, tiled)


def blocks_of(corners: np.ndarray, rows: list[PartRow], where: str, instanced: bool = False) -> list[Block]:
    """The blocks of one group's file: ``corners`` (T, 3, 3) float32, ``rows`` the group's part rows in manifest
    order; ``instanced``: the file holds each distinct mesh once (:func:`instanced_blocks`; a group of parts
    placed once is the same either way). Without a layout in the rows, or a file not laid out as they say
    (edited after export): one block of the whole soup, placed once (every triangle judged; the block's
    ``note`` says why)."""
    zero = np.zeros((1, 3))
    if not rows or any(r.triangles is None or r.placements is None for r in rows):
        return [block_of(corners[None], zero, where, "the file")]
    try:
        if instanced and any(r.count > 1 or r.tiles is not None for r in rows):
            return instanced_blocks(corners, rows, where)
        return _laid_out(corners, rows, where)
    except NotCopies as exc:
        soup = block_of(corners[None], zero, where, "the file")
        soup.note = f"not laid out as the manifest says ({exc}): judged triangle by triangle"
        return [soup]


def _laid_out(corners: np.ndarray, rows: list[PartRow], where: str) -> list[Block]:
    zero = np.zeros((1, 3))
    want = sum(r.count * (r.triangles or 0) for r in rows)
    if want != len(corners):
        raise NotCopies(f"{len(corners):,} triangles, the manifest's parts {want:,}")
    blocks: list[Block] = []
    rest: list[np.ndarray] = []
    start = 0
    for r in rows:
        n = r.count * (r.triangles or 0)
        chunk, start = corners[start:start + n], start + n
        place = np.asarray(r.placements, dtype=np.float64)
        if (place[:, 3] != 0).any():  # turned copies: read as soup
            rest.append(chunk)
        elif r.tiles is not None:
            uses = np.asarray(r.tiles.uses, dtype=np.float64)
            piece = uses[:, 0].astype(np.int64)
            size = np.asarray(r.tiles.piece_triangles)[piece]
            begin = np.concatenate([[0], np.cumsum(size)[:-1]])
            for k in np.unique(piece):
                sel = np.flatnonzero(piece == k)
                rows_ = (begin[sel][:, None] + np.arange(size[sel[0]])).ravel()
                copies = np.take(chunk, rows_, axis=0).reshape(len(sel), -1, 3, 3)
                shifts = place[0, :3] + np.column_stack([uses[sel, 1:], np.zeros(len(sel))])
                blocks.append(block_of(copies, shifts, where, f"{r.name} tile piece {k}", tiled=True))
        else:
            blocks.append(block_of(chunk.reshape(r.count, -1, 3, 3), place[:, :3], where, r.name))
    if rest:
        blocks.append(block_of(np.concatenate(rest)[None], zero, where, "the turned parts"))
    return blocks


def seams(blocks: list[Block]) -> tuple[int, int, int]:
    """The open edges of a group's tile pieces (their seams) matched across all copies: (edges still alone,
    edges shared by more than two faces, directed edges twice). All zero: the pieces close each other up.

    Copies read from an every-instance file must meet on the file's bit-equal corners (the exporter welded
    them); pieces stored once and placed by the manifest meet within their ``seam_tol`` (float32 rounding of one
    piece's coordinates against its neighbour's, a few 1e-6 mm)."""
    tiled = [b for b in blocks if b.tiled and b.seam_corners.size]
    if not tiled:
        return 0, 0, 0
    ends = np.concatenate([b.seam_corners.reshape(-1, 2, 3) for b in tiled])
    tol = max(b.seam_tol for b in tiled)
    if tol > 0:
        ids = near_ids(ends.reshape(-1, 3).astype(np.float64), tol)
    else:
        _first, ids = weld(np.ascontiguousarray(ends.reshape(-1, 3)))
    alone, crowded, doubled = edge_counts(ids[0::2], ids[1::2])
    return int(alone.sum()), crowded, doubled


def near_ids(points: np.ndarray, tol: float) -> np.ndarray:
    """One id per point, shared by points within ``tol`` of each other (chained)."""
    from scipy.sparse import coo_matrix  # here: keeps the reader's import light
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    pairs = cKDTree(points).query_pairs(tol, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(points), len(points)))
    return np.asarray(connected_components(graph, directed=False)[1])


def instanced_blocks(corners: np.ndarray, rows: list[PartRow], where: str) -> list[Block]:
    """The blocks of one group's INSTANCED file (``parts_layout`` "instanced"): each part's mesh once, at its
    first placement (a tiled part: each distinct piece once, at its first use), the rows' placements and tile
    uses placing every copy: nothing to prove copies against. :class:`NotCopies` if the file does not hold as
    many triangles as the rows say (edited after export)."""
    want = sum(sum(r.tiles.piece_triangles) if r.tiles is not None else (r.triangles or 0) for r in rows)
    if want != len(corners):
        raise NotCopies(f"{len(corners):,} triangles, the manifest's parts {want:,} (each distinct mesh once)")
    tol = copy_tol(corners)
    blocks: list[Block] = []
    turned: list[np.ndarray] = []
    start = 0
    for r in rows:
        place = np.asarray(r.placements, dtype=np.float64)
        if r.tiles is not None:
            if (place[:, 3] != 0).any():
                raise NotCopies(f"{r.name}: a tiled part turned about z")
            uses = np.asarray(r.tiles.uses, dtype=np.float64)
            for k, n in enumerate(r.tiles.piece_triangles):
                chunk, start = corners[start:start + n], start + n
                sel = np.flatnonzero(uses[:, 0] == k)
                if len(sel):
                    shifts = place[0, :3] + np.column_stack([uses[sel, 1:], np.zeros(len(sel))])
                    blocks.append(_once(chunk, shifts, where, f"{r.name} tile piece {k}", tol, tiled=True))
            continue
        n = r.triangles or 0
        chunk, start = corners[start:start + n], start + n
        if (place[:, 3] != 0).any():  # turned copies: every copy placed, read as soup
            turned.append(_turned(chunk, place))
        else:
            blocks.append(_once(chunk, place[:, :3], where, r.name, tol))
    if turned:
        blocks.append(block_of(np.concatenate(turned)[None], np.zeros((1, 3)), where, "the turned parts"))
    return blocks


def _once(chunk: np.ndarray, shifts: np.ndarray, where: str, what: str, tol: float, tiled: bool = False) -> Block:
    """The block of one copy stored at ``shifts[0]``, placed at every one of ``shifts``."""
    b = block_of(chunk[None], shifts[:1], where, what, tiled)
    seam = b.vertices[b.open_edges][None] + shifts[:, None, None, :] if len(b.open_edges) else \
        np.zeros((len(shifts), 0, 2, 3))
    return Block(b.vertices, b.faces, np.asarray(shifts, dtype=np.float64), b.open_edges, seam, b.crowded,
                 b.doubled, tiled, seam_tol=tol)


def _turned(chunk: np.ndarray, place: np.ndarray) -> np.ndarray:
    """Every copy of a part stored once at ``place[0]``: (copies * t, 3, 3) float32, turned and shifted. The
    stored copy's corners are welded first and each distinct one placed once, so corners that coincide in the
    stored copy coincide bit for bit in every copy."""
    def turn(deg: np.ndarray) -> np.ndarray:
        c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
        m = np.zeros((len(deg), 3, 3))
        m[:, 0, 0], m[:, 0, 1], m[:, 1, 0], m[:, 1, 1], m[:, 2, 2] = c, -s, s, c, 1.0
        return m

    first, inverse = weld(np.ascontiguousarray(chunk.reshape(-1, 3)))
    local = (chunk.reshape(-1, 3)[first].astype(np.float64) - place[0, :3]) @ turn(place[:1, 3])[0]
    placed = (np.einsum("nij,vj->nvi", turn(place[:, 3]), local) + place[:, None, :3]).astype(np.float32)
    return placed[:, inverse].reshape(-1, 3, 3)


def block_from_mesh(vertices: np.ndarray, faces: np.ndarray, shifts: np.ndarray) -> Block:
    """A block of a mesh that is already welded (``vertices`` float64 mm, ``faces`` (m, 3)) placed at ``shifts``
    (n, 3): a model read from somewhere else than part files (a STEP), judged like one."""
    faces = np.asarray(faces, dtype=np.int64)
    a, b = faces.reshape(-1), faces[:, [1, 2, 0]].reshape(-1)
    alone, crowded, doubled = edge_counts(a, b)
    shifts = np.asarray(shifts, dtype=np.float64).reshape(-1, 3)
    return Block(np.asarray(vertices, dtype=np.float64), faces, shifts, np.column_stack([a[alone], b[alone]]),
                 np.zeros((len(shifts), 0, 2, 3), np.float32), crowded, doubled)
