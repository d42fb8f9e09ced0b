"""One solid minus many tools, tile by tile.

A single boolean with thousands of tools costs more than linearly in their number (OCCT splits and classifies
the faces of the whole argument at once). :func:`tiled_cut` therefore

1. splits the argument into a grid of tiles whose lines run between the tools (:func:`plan_tiles`);
2. cuts each tile with only the tools that overlap it, ONE cut per tile (:func:`cut_tile`); a tool that
   crosses a tile line, like a chip over many bumps, is used in every tile it overlaps;
3. cuts congruent tiles only once: tiles of one size holding the same tools at the same places relative to
   the tile (a box tool counts as its part over the tile) differ by a shift, so one is cut and the others
   are shifted copies of its result (:func:`tile_key`);
4. runs the cuts in worker processes (pkgcad's one pool, :mod:`pkgcad.pool`: spawned) when there are enough tools
   to pay for starting them, else here (:func:`workers_for`; inside a Dask worker always here);
5. hands back the tiles (:class:`TiledCut`): exporters write and mesh each distinct tile once and place it;
   only who needs ONE solid glues them, with ONE glue fuse (:func:`glue`, :meth:`TiledCut.solid`).

If the kernel fails on a tile (an OCCT exception, a tile that is not valid), the plain single cut is the fallback,
with a warning; anything else (a dead worker, a bug) is raised, never hidden behind the slow single cut. Two OCCT
traps shape the code:

* OCCT's thread pool does not survive ``fork`` (a forked worker that runs a *parallel* boolean waits forever for
  threads that exist only in the parent): the workers are spawned, and cut with ``SetRunParallel(False)``, one
  process a core.
* Placed tools share their edges. A boolean allowed to modify its inputs adds a pcurve to the ONE shared edge
  for every face it lands on, and later look-ups walk that list, so cut and validity check grow with the
  square of the count; a non-destructive boolean on placed (located) shapes is slower too. Tiles are cut on
  private, unlocated copies instead, which the cut may then modify in place.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO

import cadquery as cq
import numpy as np
from OCP.BinTools import BinTools
from OCP.Bnd import Bnd_Box
from OCP.BOPAlgo import BOPAlgo_GlueEnum, BOPAlgo_GlueShift
from OCP.BRepAlgoAPI import BRepAlgoAPI_Cut, BRepAlgoAPI_Fuse, BRepAlgoAPI_Splitter
from OCP.BRepBndLib import BRepBndLib
from OCP.BRepBuilderAPI import BRepBuilderAPI_Copy, BRepBuilderAPI_MakeFace
from OCP.BRepCheck import BRepCheck_Analyzer
from OCP.gp import gp_Dir, gp_Pln, gp_Pnt
from OCP.TopLoc import TopLoc_Location
from OCP.TopoDS import TopoDS_Iterator, TopoDS_Shape

from ..errors import GeometryError, kernel_failure
from ..pool import can_spawn, cores, run_jobs
from .shapes import cut_all, run_boolean, single_solid

log = logging.getLogger(__name__)

TOOLS_PER_TILE = 25
"""Aim for about this many tools (those that do not span the model) per tile."""
MIN_TOOLS = 150
"""Fewer tools than this: one plain cut, tiles would cost more than they save."""
POOL_MIN_TOOLS = 5000
"""Fewer tools than this in the tiles to cut: they are cut in this process (OCCT's threads in each boolean), a pool
would cost more than it saves. Measured (docs/processes.md): two spawned workers cost ~6 CPU s to start (their
imports), a tool ~3.4 ms to cut; a roughened first surface of 4,166 tools in 121 distinct tiles took 18.3 CPU s
in two workers against 14.1 CPU s here."""
SPANNING = 0.25
"""A tool longer than this share of the argument along an axis does not steer the tile lines."""
CLEARANCE = 1e-3
"""Least distance of a tile line from any tool's box side, as a share of the argument's smaller side."""
GLUE: BOPAlgo_GlueEnum = BOPAlgo_GlueShift
"""Glue mode of the final fuse. Full and Shift both glue these tiles into valid solids at the same speed (~25 %
faster than no glue); Shift does not rely on the two faces on a tile line, made by separate cuts, having the
same edges."""
DIGITS = 9
"""Tools within 10**-DIGITS mm of the same place relative to their tiles count as congruent."""

Box = tuple[float, float, float, float, float, float]  # xmin, ymin, zmin, xmax, ymax, zmax
TileKey = tuple[object, ...]
"""What a tile's cut depends on (:func:`tile_key`): equal keys, congruent tiles."""


# ------------------------------------------------------------------------------------------------ planning
@dataclass(frozen=True)
class TilePlan:
    """Tile edges along x and y; the outermost are the argument's own sides."""

    xs: tuple[float, ...]
    ys: tuple[float, ...]

    @property
    def count(self) -> int:
        return (len(self.xs) - 1) * (len(self.ys) - 1)

    def rects(self) -> list[tuple[float, float, float, float]]:
        """Each tile's ``xmin, ymin, xmax, ymax``, x-major."""
        return [(self.xs[i], self.ys[j], self.xs[i + 1], self.ys[j + 1])
                for i in range(len(self.xs) - 1) for j in range(len(self.ys) - 1)]


def plan_tiles(bounds: tuple[float, float, float, float], boxes: np.ndarray,
               per_tile: int | None = None) -> TilePlan:
    """Tile lines for cutting tools with xy ``boxes`` (``xmin, ymin, xmax, ymax`` rows) from an argument whose
    xy box is ``bounds``.

    About one tile per ``per_tile`` tools that do not span the argument, in a grid shaped like the spread of
    those tools. Each line starts between two columns of tools (or at the tools' quantile) and moves, within half
    a tile, to where it crosses the fewest tools, keeping clear of every tool's box side if it can: between two
    rows of bumps, say.
    """
    per_tile = per_tile or TOOLS_PER_TILE
    x0, y0, x1, y1 = bounds
    small = ((boxes[:, 2] - boxes[:, 0]) < SPANNING * (x1 - x0)) & ((boxes[:, 3] - boxes[:, 1]) < SPANNING * (y1 - y0))
    n_small = int(small.sum())
    if n_small < 2 * per_tile:
        return TilePlan((x0, x1), (y0, y1))
    centres = (boxes[small, :2] + boxes[small, 2:]) / 2
    spread = np.maximum(np.ptp(centres, axis=0), 1e-3 * np.array([x1 - x0, y1 - y0]))
    tiles = n_small / per_tile
    nx = max(1, round(np.sqrt(tiles * spread[0] / spread[1])))
    ny = max(1, round(tiles / nx))
    clear = CLEARANCE * min(x1 - x0, y1 - y0)
    xs = _lines(boxes[:, 0], boxes[:, 2], small, nx, (x0, x1), clear)
    ys = _lines(boxes[:, 1], boxes[:, 3], small, ny, (y0, y1), clear)
    return TilePlan(xs, ys)


def _lines(lo: np.ndarray, hi: np.ndarray, small: np.ndarray, n: int, span: tuple[float, float],
           clear: float) -> tuple[float, ...]:
    """The ends of ``span`` and up to ``n - 1`` lines between them along one axis, see :func:`plan_tiles`: each
    between two neighbouring columns of tool centres (every k-th), or, with fewer than 2n columns, at the centres'
    quantiles."""
    centres = (lo[small] + hi[small]) / 2
    sides = np.unique(np.concatenate([lo, hi, span]))
    sides = sides[(sides >= span[0]) & (sides <= span[1])]
    # the intervals between neighbouring box sides, and how many small tools cross each
    left, right = sides[:-1], sides[1:]
    mid = (left + right) / 2
    crossing = np.searchsorted(np.sort(lo[small]), mid) - np.searchsorted(np.sort(hi[small]), mid)
    roomy = (right - left) >= 2 * clear
    # an array's columns (distinct centres): k to a tile, the rest in the last one, so that the inner tiles hold
    # the same columns at the same places and are congruent (100,000 bumps: 9 distinct tiles, not 25)
    cols = np.unique(np.round(centres, 6))
    k = round(len(cols) / n)
    if k >= 2:  # after every k-th column, leaving k/2 to 3k/2 columns to the last tile
        breaks = range(k, len(cols) - (k + 1) // 2 + 1, k)
        targets = [((cols[j - 1] + cols[j]) / 2, cols[j - 1 - k // 2], cols[min(len(cols) - 1, j + k // 2)])
                   for j in breaks]
    else:
        targets = [tuple(np.quantile(centres, [i / n, (i - 0.5) / n, (i + 0.5) / n])) for i in range(1, n)]
    out = [span[0]]
    for target, w0, w1 in targets:
        window = (mid > max(w0, out[-1] + clear)) & (mid < min(w1, span[1] - clear))
        if not window.any():
            continue
        # the fewest crossings, then roomy (clear of every box side), then the nearest the target: a roomy interval
        # may lie inside a tool (a bump is wider than the gap between two)
        cand = np.flatnonzero(window)
        best = cand[np.lexsort((np.abs(mid[cand] - target), ~roomy[cand], crossing[cand]))[0]]
        out.append(float(mid[best]))
    out.append(span[1])
    return tuple(out)


# ---------------------------------------------------------------------------------------------------- tools
class Tools:
    """The tools with, per tool, its xy box and where it is placed (which shape, which transformation)."""

    def __init__(self, shapes: Sequence[cq.Shape]) -> None:
        self.shapes = list(shapes)
        self.boxes = np.empty((len(shapes), 4))  # xmin, ymin, xmax, ymax
        self.shape_ids = np.empty(len(shapes), dtype=np.int64)  # equal for instances of one shape
        self.transforms = np.empty((len(shapes), 12))  # the 3 x 4 matrix of each placement, row-major
        identity = TopLoc_Location()
        for i, s in enumerate(self.shapes):
            b = bnd_box(s)
            self.boxes[i] = b[0], b[1], b[3], b[4]
            self.shape_ids[i] = hash(s.wrapped.Located(identity))
            trsf = s.wrapped.Location().Transformation()
            self.transforms[i] = [trsf.Value(r, c) for r in (1, 2, 3) for c in (1, 2, 3, 4)]
        self._box_bounds: dict[int, Box | None] = {}
        self._not_box: dict[int, bool] = {}  # by shape id: placed copies of one shape are all boxes or none

    def box_bounds(self, i: int) -> Box | None:
        """Tool ``i``'s extent if it is an axis-aligned box, else None (remembered; a shape that is not a box is
        asked once, whatever the number of its placements: 35,000 bumps crossing tile lines took 33 s)."""
        if i not in self._box_bounds:
            sid = int(self.shape_ids[i])
            if self._not_box.get(sid, False):
                return None
            self._box_bounds[i] = box_bounds(self.shapes[i])
            self._not_box[sid] = self._box_bounds[i] is None
        return self._box_bounds[i]


def bnd_box(shape: cq.Shape) -> Box:
    """``shape``'s box, tolerance included. Not ``cq.Shape.BoundingBox()``: its optimal box costs ~2 ms a sphere."""
    b = Bnd_Box()
    BRepBndLib.Add_s(shape.wrapped, b, False)
    return b.Get()


def box_bounds(shape: cq.Shape) -> Box | None:
    """``shape``'s exact extent if it is one axis-aligned box, else None."""
    solids = shape.Solids()
    if len(solids) != 1 or len(faces := solids[0].Faces()) != 6 or any(f.geomType() != "PLANE" for f in faces):
        return None
    pts = np.array([v.toTuple() for v in solids[0].Vertices()])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    if abs(np.prod(hi - lo) - solids[0].Volume()) > 1e-9 * solids[0].Volume():
        return None
    return (*lo.tolist(), *hi.tolist())


def _box(b: Box) -> cq.Solid:
    return cq.Solid.makeBox(b[3] - b[0], b[4] - b[1], b[5] - b[2], pnt=cq.Vector(b[0], b[1], b[2]))


# ---------------------------------------------------------------------------------------------------- tiles
@dataclass
class Tile:
    """One cut: a piece of the argument, the tools over it, and a key shared by congruent tiles (None: none
    is congruent). ``origin`` is the tile's lower-left corner; congruent tiles differ by their origins."""

    piece: cq.Shape
    tools: list[cq.Shape]
    origin: tuple[float, float]
    key: TileKey | None = None


def make_tiles(arg: cq.Shape, tools: Tools, plan: TilePlan, exact: Box | None) -> list[Tile]:
    """The tiles of ``plan``: boxes when ``arg`` is the box ``exact`` (congruent ones keyed), else pieces of one
    split."""
    if exact is None:
        return [Tile(p, [tools.shapes[j] for j in _over(tools, (b[0], b[1], b[3], b[4]))], (b[0], b[1]))
                for p in split(arg, plan) for b in [bnd_box(p)]]
    z0, z1 = exact[2], exact[5]
    # a box tool reaching out of a tile is cut to the tile, grown by half the least clearance of a tile line
    grow = CLEARANCE * min(exact[3] - exact[0], exact[4] - exact[1]) / 2
    out = []
    made: dict[TileKey, Tile] = {}  # congruent tiles share the first one's piece and tools: only one is cut
    over = _overlaps(tools, plan)
    for rect, near in zip(plan.rects(), over, strict=True):
        x0, y0, x1, y1 = rect
        picked, clipped = [], []
        for j in near:
            b = tools.boxes[j]
            inside = b[0] > x0 and b[1] > y0 and b[2] < x1 and b[3] < y1
            bb = None if inside else tools.box_bounds(j)
            if bb is None:
                picked.append(j)
            else:
                clipped.append((max(bb[0], x0 - grow), max(bb[1], y0 - grow), bb[2],
                                min(bb[3], x1 + grow), min(bb[4], y1 + grow), bb[5]))
        key = tile_key(tools, rect, (z0, z1), picked, clipped)
        first = made.get(key)
        if first is not None:
            out.append(Tile(first.piece, first.tools, (x0, y0), key))
            continue
        piece = _box((x0, y0, z0, x1, y1, z1))
        out.append(Tile(piece, [tools.shapes[j] for j in picked] + [_box(c) for c in clipped], (x0, y0), key))
        made[key] = out[-1]
    return out


def _over(tools: Tools, rect: tuple[float, float, float, float]) -> np.ndarray:
    """Indices of the tools whose xy box overlaps ``rect``."""
    x0, y0, x1, y1 = rect
    b = tools.boxes
    return np.flatnonzero((b[:, 2] > x0) & (b[:, 0] < x1) & (b[:, 3] > y0) & (b[:, 1] < y1))


def _overlaps(tools: Tools, plan: TilePlan) -> list[np.ndarray]:
    """:func:`_over` of every tile of ``plan`` (in :meth:`TilePlan.rects` order), by binning: each tool lands in
    the range of tiles its box overlaps (tile i along x: ``xs[i] < xmax`` and ``xs[i + 1] > xmin``), instead of
    testing every tool against every tile (100,000 bumps in 4,000 tiles: 4e8 tests)."""
    xs, ys = np.asarray(plan.xs), np.asarray(plan.ys)
    nx, ny = len(xs) - 1, len(ys) - 1
    b = tools.boxes
    i0 = np.searchsorted(xs[1:], b[:, 0], side="right")
    i1 = np.searchsorted(xs[:-1], b[:, 2], side="left") - 1
    j0 = np.searchsorted(ys[1:], b[:, 1], side="right")
    j1 = np.searchsorted(ys[:-1], b[:, 3], side="left") - 1
    i0, j0 = np.maximum(i0, 0), np.maximum(j0, 0)
    i1, j1 = np.minimum(i1, nx - 1), np.minimum(j1, ny - 1)
    small = ((i1 - i0) <= 2) & ((j1 - j0) <= 2)
    tile_of, tool_of = [], []
    for di in range(3):  # tools over at most 3 x 3 tiles (nearly all of them), in bulk
        for dj in range(3):
            sel = np.flatnonzero(small & (i0 + di <= i1) & (j0 + dj <= j1))
            tile_of.append((i0[sel] + di) * ny + (j0[sel] + dj))
            tool_of.append(sel)
    for j in np.flatnonzero(~small):  # the few large ones (the chip, the adhesive): every tile of their box
        ii, jj = np.meshgrid(np.arange(i0[j], i1[j] + 1), np.arange(j0[j], j1[j] + 1), indexing="ij")
        tile_of.append((ii * ny + jj).ravel())
        tool_of.append(np.full(ii.size, j))
    tile = np.concatenate(tile_of) if tile_of else np.zeros(0, dtype=np.int64)
    tool = np.concatenate(tool_of) if tool_of else np.zeros(0, dtype=np.int64)
    order = np.lexsort((tool, tile))
    tile, tool = tile[order], tool[order]
    bounds = np.searchsorted(tile, np.arange(nx * ny + 1))
    return [tool[bounds[t]:bounds[t + 1]] for t in range(nx * ny)]


def tile_key(tools: Tools, rect: tuple[float, float, float, float], z: tuple[float, float], picked: list[int],
             clipped: list[Box]) -> TileKey:
    """What a box tile's cut depends on, relative to its lower-left corner: the tile's size and height, each
    picked tool's shape and placement, each clipped box. Equal keys: the cuts differ only by a shift."""
    x0, y0, x1, y1 = rect
    rel = tools.transforms[picked].copy()
    rel[:, 3] -= x0
    rel[:, 7] -= y0
    boxes = np.array(clipped).reshape(-1, 6) - [x0, y0, 0, x0, y0, 0]
    return (tuple(np.round([x1 - x0, y1 - y0, *z], DIGITS)),
            tuple(sorted(zip(tools.shape_ids[picked].tolist(), map(tuple, np.round(rel, DIGITS).tolist()),
                             strict=True))),
            tuple(sorted(map(tuple, np.round(boxes, DIGITS).tolist()))))


def box_tile_key(rect: tuple[float, float, float, float], z: tuple[float, float], boxes: np.ndarray
                 ) -> TileKey:
    """:func:`tile_key` of a box tile ``rect`` (``xmin, ymin, xmax, ymax``) from ``z[0]`` to ``z[1]`` cut only by
    the boxes ``boxes`` ((n, 6), clipped to the tile): the key of a strip's street tile (:mod:`pkgcad.strip.tiling`)."""
    return tile_key(Tools(()), rect, z, [], list(map(tuple, boxes)))


def split(arg: cq.Shape, plan: TilePlan) -> list[cq.Solid]:
    """``arg`` cut by the planes of the tile lines (one splitter run)."""
    b = Bnd_Box()
    BRepBndLib.Add_s(arg.wrapped, b, False)
    planes = [_plane_face(gp_Pnt(x, 0, 0), gp_Dir(1, 0, 0), b) for x in plan.xs[1:-1]]
    planes += [_plane_face(gp_Pnt(0, y, 0), gp_Dir(0, 1, 0), b) for y in plan.ys[1:-1]]
    return run_boolean(BRepAlgoAPI_Splitter(), [arg], planes, parallel=True).Solids()


def _plane_face(p: gp_Pnt, n: gp_Dir, b: Bnd_Box) -> cq.Face:
    """A square of ``plane(p, n)`` larger than ``b`` all round."""
    r = 2 * (b.CornerMax().Distance(b.CornerMin()) + abs(p.X()) + abs(p.Y()) + 1)
    return cq.Face(BRepBuilderAPI_MakeFace(gp_Pln(p, n), -r, r, -r, r).Face())


# ------------------------------------------------------------------------------------------------- booleans
def cut_tile(piece: cq.Shape, tools: Sequence[cq.Shape], parallel: bool = True) -> cq.Shape:
    """``piece`` minus ``tools`` in one cut, done on private copies of all of them (see the module notes)."""
    if not tools:
        return piece
    own = [cq.Shape.cast(BRepBuilderAPI_Copy(s.wrapped).Shape()) for s in (piece, *tools)]
    return run_boolean(BRepAlgoAPI_Cut(), own[:1], own[1:], parallel=parallel, keep_args=False)


def glue(pieces: Sequence[cq.Shape], mode: BOPAlgo_GlueEnum = GLUE) -> cq.Shape:
    """The pieces, which touch only on their shared tile faces, fused into one shape by one glue fuse."""
    if len(pieces) == 1:
        return pieces[0]
    op = BRepAlgoAPI_Fuse()
    op.SetGlue(mode)
    return run_boolean(op, pieces[:1], pieces[1:], parallel=True)


def valid_solid(shape: cq.Shape, what: str) -> cq.Solid:
    """:func:`single_solid`, with the same validity check run on all cores: a solid with thousands of faces
    takes seconds to check."""
    solids = shape.Solids()
    if len(solids) != 1:
        raise GeometryError(what, f"expected one solid, got {len(solids)}")
    if not BRepCheck_Analyzer(solids[0].wrapped, True, True).IsValid():
        raise GeometryError(what, "OCCT reports the solid invalid")
    return solids[0]


def valid_solids(shape: cq.Shape, what: str) -> cq.Shape | None:
    """The solids of a cut tile, each checked valid (else :class:`GeometryError`): one solid as it is, several as a
    compound, none as None."""
    solids = shape.Solids()
    for s in solids:
        if not BRepCheck_Analyzer(s.wrapped, True, True).IsValid():
            raise GeometryError(what, "OCCT reports a solid invalid")
    if not solids:
        return None
    return solids[0] if len(solids) == 1 else cq.Compound.makeCompound(solids)


def shifted(shape: cq.Shape, dx: float, dy: float) -> cq.Shape:
    """``shape`` moved by ``(dx, dy)``: the same geometry, placed. Measured: it glues and checks faster than a
    deep copy with transformed geometry."""
    return shape.moved(cq.Location(cq.Vector(dx, dy, 0)))


# -------------------------------------------------------------------------------------------------- workers
def _cut_job(data: bytes) -> bytes:
    """Worker: a tile and its tools (BinTools bytes of one compound, the tile first) cut, serialised. A serial
    boolean: the workers are the parallelism."""
    piece, *tools = _children(_from_bytes(data))
    return _to_bytes(cut_tile(piece, tools, parallel=False))


def _children(shape: cq.Shape) -> list[cq.Shape]:
    """The shapes a compound holds, in order (a cut tile's tools may be compounds themselves)."""
    it = TopoDS_Iterator(shape.wrapped)
    out = []
    while it.More():
        out.append(cq.Shape.cast(it.Value()))
        it.Next()
    return out


def _to_bytes(shape: cq.Shape) -> bytes:
    data = BytesIO()
    BinTools.Write_s(shape.wrapped, data)
    return data.getvalue()


def _from_bytes(data: bytes) -> cq.Shape:
    shape = TopoDS_Shape()
    BinTools.Read_s(shape, BytesIO(data))
    return cq.Shape.cast(shape)


def congruent(tiles: Sequence[Tile]) -> tuple[list[int], list[int]]:
    """The tiles to cut (one per set of congruent tiles) and, for each tile, which of those it copies."""
    first: dict[TileKey, int] = {}
    cut: list[int] = []
    copies: list[int] = []
    for i, t in enumerate(tiles):
        j = len(cut) if t.key is None else first.setdefault(t.key, len(cut))
        if j == len(cut):
            cut.append(i)
        copies.append(j)
    return cut, copies


def workers_for(jobs: Sequence[Tile]) -> int:
    """How many processes cut ``jobs``: one a core when their tools are :data:`POOL_MIN_TOOLS` or more and this
    process may start workers; else none (1: this process, OCCT's own threads in each boolean). Inside a Dask
    worker (a sweep: already one process per core, and a daemon that may not start children) the tiles are cut
    here, tile by tile, never by the plain single cut."""
    if not can_spawn() or sum(len(t.tools) for t in jobs) < POOL_MIN_TOOLS:
        return 1
    return cores()


def _run_jobs(jobs: list[Tile], workers: int | None) -> list[cq.Shape]:
    """Each tile cut: in ``workers`` processes (pkgcad's one pool, :func:`pkgcad.pool.run_jobs`; default
    :func:`workers_for`), else here."""
    n = min(workers_for(jobs) if workers is None else workers, len(jobs))
    if n <= 1 or not can_spawn():
        return [cut_tile(t.piece, t.tools) for t in jobs]
    order = sorted(range(len(jobs)), key=lambda i: -len(jobs[i].tools))  # the biggest first, for balance
    data = [_to_bytes(cq.Compound.makeCompound([jobs[i].piece, *jobs[i].tools])) for i in order]
    done = run_jobs(_cut_job, data, n, what="the tiled cut")
    cut = dict(zip(order, done, strict=True))
    return [_from_bytes(cut[i]) for i in range(len(jobs))]


# ---------------------------------------------------------------------------------------------------- entry
@dataclass(frozen=True)
class TiledCut:
    """What :func:`tiled_cut` made: the cut tiles, which touch face to face on the tile lines ``xs`` x ``ys``.

    ``shapes`` are the distinct cut tiles; ``uses`` places them: ``(k, dx, dy)`` is ``shapes[k]`` shifted by
    ``(dx, dy)``. Congruent tiles share one shape, so exporters can write or mesh each once. One plain cut is
    one tile, used once. :meth:`solid` glues the tiles into one solid (seconds at thousands of tools), so it
    runs only for whoever needs one solid."""

    shapes: tuple[cq.Shape, ...]
    uses: tuple[tuple[int, float, float], ...]
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    what: str = "tiled cut"

    @property
    def tiles(self) -> int:
        return len(self.uses)

    @property
    def cuts(self) -> int:
        return len(self.shapes)

    def pieces(self) -> list[cq.Shape]:
        """Every tile, in place."""
        return [self.shapes[k] if dx == dy == 0 else shifted(self.shapes[k], dx, dy) for k, dx, dy in self.uses]

    def compound(self) -> cq.Shape:
        """The tiles as one compound (no boolean): the cut's exact geometry, in several touching solids."""
        return self.shapes[0] if self.tiles == 1 else cq.Compound.makeCompound(self.pieces())

    @functools.cached_property
    def _glued(self) -> cq.Solid:
        if self.tiles == 1:
            return single_solid(self.shapes[0], self.what)
        t0 = time.perf_counter()
        glued = glue(self.pieces())
        t1 = time.perf_counter()
        solid = valid_solid(glued, self.what)
        log.debug("%s: %d tiles glued in %.2f s, checked in %.2f s", self.what, self.tiles, t1 - t0,
                  time.perf_counter() - t1)
        return solid

    def solid(self) -> cq.Solid:
        """The tiles glued into ONE valid solid (else :class:`GeometryError`); made once, on first use."""
        return self._glued


def tiled_cut(arg: cq.Shape, tools: Sequence[cq.Shape], what: str, workers: int | None = None) -> TiledCut:
    """``arg`` minus every tool: the result of ``single_solid(cut_all(arg, tools))``, made tile by tile (see the
    module notes) and returned as tiles; :meth:`TiledCut.solid` glues them into that one solid (a
    :class:`GeometryError` naming ``what`` if they do not make one valid solid).

    ``workers``: processes for the tile cuts; default :func:`workers_for`."""
    try:
        plan, tiles = make_plan(arg, tools)
        if tiles:
            return _tiled(plan, tiles, workers, len(tools), what)
    except Exception as exc:  # the kernel failed on a tile: the plain way, slow but sure; anything else is raised
        if not (isinstance(exc, GeometryError) or kernel_failure(exc)):
            raise
        log.warning("%s: tiled cut failed (%s); cutting in one piece", what, exc)
    b = bnd_box(arg)
    return TiledCut((single_solid(cut_all(arg, tools), what),), ((0, 0.0, 0.0),), (b[0], b[3]), (b[1], b[4]), what)


def make_plan(arg: cq.Shape, tools: Sequence[cq.Shape]) -> tuple[TilePlan, list[Tile]]:
    """The tile lines and the tiles :func:`tiled_cut` cuts ``arg`` into; no tiles when one plain cut is better."""
    exact = box_bounds(arg)
    b = exact or bnd_box(arg)
    whole = TilePlan((b[0], b[3]), (b[1], b[4]))
    if len(tools) < MIN_TOOLS:
        return whole, []
    ts = Tools(tools)
    plan = plan_tiles((b[0], b[1], b[3], b[4]), ts.boxes)
    return (plan, make_tiles(arg, ts, plan, exact)) if plan.count > 1 else (whole, [])


def _tiled(plan: TilePlan, tiles: list[Tile], workers: int | None, n_tools: int, what: str) -> TiledCut:
    """The tiles cut, each distinct one once; raises if a tile is not one valid solid."""
    t0 = time.perf_counter()
    cut, copies = congruent(tiles)
    done = [valid_solids(s, f"{what} tile") for s in _run_jobs([tiles[i] for i in cut], workers)]
    shapes = tuple(s for s in done if s is not None)  # a tile the tools fill leaves nothing
    new = {j: n for n, j in enumerate(j for j, s in enumerate(done) if s is not None)}
    uses = []
    for t, j in zip(tiles, copies, strict=True):
        if j in new:
            o = tiles[cut[j]].origin
            uses.append((new[j], t.origin[0] - o[0], t.origin[1] - o[1]))
    log.debug("%s: %d tools, %d tiles, %d cuts in %.2f s", what, n_tools, len(tiles), len(cut),
              time.perf_counter() - t0)
    return TiledCut(shapes, tuple(uses), plan.xs, plan.ys, what)
