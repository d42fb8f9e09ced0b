"""The conformal model: ONE General Fuse of every placed part solid and the UNCUT mold envelope.

Why this works where fragmenting the exported STEP fails: the exported encapsulant already has a cavity for each
wire, and a second kernel cannot match the cavity's swept faces to the wire's. Here the envelope is never cut:
the fuse splits it by the wires itself, so each contact face exists once, shared by the two solids it separates.

1. Arguments: every placed instance (the encapsulant Part is left out: the envelope stands for it) and any
   :class:`~pkgcad.conformal.model.Extra` solids, minus the roles the caller excludes.
2. Large models (:data:`TILE_MIN` instances or more) are tiled: the arguments that cross a tile line (chip,
   carrier, envelope ...) are split along the lines first, so no face carries thousands of imprints (one
   OCCT face split by n circles costs ~n^2; tiled, the fuse grows ~linearly).
3. ONE fuse (``BOPAlgo_CellsBuilder``), in glue mode for the package's own parts: they only touch, so OCCT may
   skip crossing-face intersections (pave filler 2-5x faster, same result). Glue mode would keep two crossing
   solids as two whole overlapping cells, so its result must also fill the package box exactly (the package,
   balls aside, does); if not, or if a caller adds solids, the fuse runs without glue, where a crossing shows as
   a piece of two parts.
4. History maps each piece to the arguments it came from. A piece of the envelope alone is encapsulant; a piece
   of the envelope and one part is that part; a piece of two parts is an overlap (an error). A part the envelope
   split (a heat sink with a connecting portion) is merged back into one solid.
5. Checks: each argument's pieces add up to its volume; the total equals the package's (manifest) within
   :data:`REL_TOL` when nothing was excluded or added.

``boxes`` (roles, e.g. the thin bond lines) are split, before the fuse, along every edge line of the solids
that touch them, so each of their pieces is a six-sided box whose faces each meet one neighbour: what a
structured (transfinite) mesh through their thickness needs (:mod:`pkgcad.conformal.meshing`). A box that no
neighbour's edge crosses stays whole.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import cadquery as cq
import numpy as np
from OCP.Bnd import Bnd_Box
from OCP.BOPAlgo import BOPAlgo_CellsBuilder, BOPAlgo_GlueOff, BOPAlgo_GlueShift
from OCP.BRepAlgoAPI import BRepAlgoAPI_Splitter
from OCP.BRepBndLib import BRepBndLib
from OCP.BRepBuilderAPI import BRepBuilderAPI_MakeFace
from OCP.BRepGProp import BRepGProp
from OCP.gp import gp_Dir, gp_Pln, gp_Pnt
from OCP.GProp import GProp_GProps
from OCP.TopAbs import TopAbs_SOLID
from OCP.TopExp import TopExp
from OCP.TopLoc import TopLoc_Location
from OCP.TopoDS import TopoDS_Shape
from OCP.TopTools import TopTools_IndexedMapOfShape, TopTools_ListOfShape

from ..geometry import build_package, mold_envelope
from ..geometry.tiles import TilePlan, plan_tiles
from ..layout import Layout
from ..package import Package
from ..roles import Role
from .model import ConformalError, ConformalModel, Extra, Solid

log = logging.getLogger(__name__)

TILE_MIN = 800
"""Instances (besides the envelope) from which the fuse is tiled. Measured (CPU s, one core): 400 bumps 1.7 plain
vs 1.9 tiled; 1,225 bumps 10.1 vs 6.5; 2,500 bumps 47 vs 13."""
REL_TOL = 1e-6
"""Volumes must agree this closely (relative): pieces vs their argument, total vs the package."""


def package_of(source: Layout | Package) -> Package:
    """``source`` as a Package; a Layout is built WITHOUT its encapsulant (the conformal model makes the
    encapsulant from the uncut mold envelope itself, so the tiled cut would be wasted time)."""
    return source if isinstance(source, Package) else build_package(source, mold=False)


def box_volume(pkg: Package) -> float:
    """The package's box [mm^3]: the footprint from the package bottom (z = 0) to the interface layer's top.
    Every part but the solder balls lies inside it, and together they fill it."""
    _cx, _cy, sx, sy = pkg.layout.footprint
    return sx * sy * pkg.layout.stack.interface_top


@dataclass(frozen=True)
class Owner:
    """A part instance (or the encapsulant) that arguments of the fuse belong to."""

    name: str
    part: str
    role: str
    material: str
    volume: float  # mm^3, expected


def conformal(source: Layout | Package, *, exclude_roles: Iterable[str] = (),
              extra: Sequence[Extra] = (), tile: bool | None = None, boxes: Iterable[str] = ()) -> ConformalModel:
    """The package (a built Package, or a Layout: built here without its encapsulant, which the model makes
    itself) as solids that share every contact face, each named by its part instance.

    ``exclude_roles`` leaves every part of those roles out (inside the mold envelope the encapsulant then fills
    their space; ``"encapsulant"`` leaves the mold out); ``extra`` adds solids (e.g. a homogenised block for an
    excluded bump array). ``tile`` forces tiling on or off (default: from :data:`TILE_MIN` instances).
    ``boxes``: roles whose solids are split into boxes along their neighbours' edges (see the module notes).
    Raises :class:`ConformalError` when the kernel fails or a check does not hold (overlapping parts, lost
    volume)."""
    t0 = time.perf_counter()
    pkg = package_of(source)
    excluded = set(exclude_roles)
    roles = {str(p.role) for p in pkg.parts} | {Role.ENCAPSULANT.value}
    if unknown := excluded - roles:
        raise ValueError(f"exclude_roles: no part has role {', '.join(sorted(unknown))}; roles: "
                         f"{', '.join(sorted(roles))}")
    owners, args, arg_owner = _arguments(pkg, excluded, extra)
    n_parts = len(args)
    env_owner = -1
    if Role.ENCAPSULANT not in excluded:
        env = mold_envelope(pkg.layout)
        env_owner = len(owners)
        enc = Role.ENCAPSULANT
        owners.append(Owner("encapsulant", "encapsulant", enc.value, pkg.spec.encapsulant.material,
                            float(env.Volume())))
        for s in env.Solids():
            args.append(s.wrapped)
            arg_owner.append(env_owner)
    if box_roles := set(boxes):
        args, arg_owner = _boxes(args, arg_owner, [owners[o].role in box_roles for o in arg_owner])
        n_parts = sum(1 for o in arg_owner if o != env_owner)
    t1 = time.perf_counter()
    plan = _plan(args[:n_parts], args[n_parts:]) if (tile is None and n_parts >= TILE_MIN) or tile else None
    if plan is not None and plan.count > 1:
        args, arg_owner = _split(args, arg_owner, plan)
    t2 = time.perf_counter()
    glue = not extra  # the package's own parts only touch; a caller's solid might cross one
    try:
        cells, pieces = _fuse(args, arg_owner, owners, env_owner, glue=glue)
        if glue and not excluded:
            _fills_box(pieces, owners, box_volume(pkg))
    except ConformalError as exc:
        if not glue:
            raise
        log.warning("conformal fuse in glue mode failed a check (%s); fusing again without glue", exc)
        glue = False
        cells, pieces = _fuse(args, arg_owner, owners, env_owner, glue=False)
    t3 = time.perf_counter()
    solids = _solids(pieces, owners)
    model = ConformalModel(pkg.name, cq.Compound.makeCompound([s.shape for s in solids]), tuple(solids),
                           tiles=plan.count if plan is not None else 1, glue=glue)
    has_mold = any(p.role == Role.ENCAPSULANT for p in pkg.parts)
    if not excluded and not extra and has_mold:  # a Layout's package has no encapsulant to compare with
        want = sum(p.volume() * p.count for p in pkg.parts)
        if abs(model.volume() - want) > REL_TOL * want:
            raise ConformalError(f"conformal model holds {model.volume():.9g} mm3, the package {want:.9g} mm3")
    model.timings = {"arguments_s": t1 - t0, "split_s": t2 - t1, "fuse_s": t3 - t2,
                     "total_s": time.perf_counter() - t0}
    log.debug("%s: %d arguments, %d cells, %d solids, %s", pkg.name, len(args), cells, len(solids), model.timings)
    return model


def _arguments(pkg: Package, excluded: set[str], extra: Sequence[Extra]
               ) -> tuple[list[Owner], list[TopoDS_Shape], list[int]]:
    """Every placed solid of every part (not the encapsulant, not ``excluded``) and of ``extra``, each with
    the index of its owner."""
    owners: list[Owner] = []
    args: list[TopoDS_Shape] = []
    arg_owner: list[int] = []
    for part in pkg.parts:
        if part.role == Role.ENCAPSULANT or part.role in excluded:
            continue
        vol = part.volume()
        for pl, shape in zip(part.placements, part.placed(), strict=True):
            owners.append(Owner(pl.name, part.name, str(part.role), part.material, vol))
            for s in shape.Solids():
                args.append(s.wrapped)
                arg_owner.append(len(owners) - 1)
    for e in extra:
        solids = e.shape.Solids()
        if not solids:
            raise ValueError(f"extra solid {e.name!r} has no solid")
        owners.append(Owner(e.name, e.part, e.role, e.material, float(sum(s.Volume() for s in solids))))
        for s in solids:
            args.append(s.wrapped)
            arg_owner.append(len(owners) - 1)
    return owners, args, arg_owner


# ---------------------------------------------------------------------------------------------------- tiles
def _box(shape: TopoDS_Shape) -> tuple[float, float, float, float, float, float]:
    b = Bnd_Box()
    BRepBndLib.Add_s(shape, b, False)
    return b.Get()


def _exact_box(shape: TopoDS_Shape) -> tuple[float, float, float, float, float, float]:
    b = Bnd_Box()
    BRepBndLib.AddOptimal_s(shape, b, False, False)
    return b.Get()


def _plan(parts: Sequence[TopoDS_Shape], envelope: Sequence[TopoDS_Shape]) -> TilePlan | None:
    """Tile lines between the instances inside the envelope (the planner the tiled encapsulant uses)."""
    if not envelope:
        return None
    e = np.array([_box(s) for s in envelope])
    lo, hi = e[:, :3].min(axis=0), e[:, 3:].max(axis=0)
    boxes = np.array([_box(s) for s in parts]).reshape(-1, 6)
    inside = np.all((boxes[:, :3] >= lo - 1e-9) & (boxes[:, 3:] <= hi + 1e-9), axis=1)
    if not inside.any():
        return None
    return plan_tiles((lo[0], lo[1], hi[0], hi[1]), boxes[inside][:, [0, 1, 3, 4]])


def _split(args: list[TopoDS_Shape], arg_owner: list[int], plan: TilePlan
           ) -> tuple[list[TopoDS_Shape], list[int]]:
    """The arguments with each one that crosses a tile line replaced by its pieces (ONE splitter run)."""
    boxes = np.array([_box(s) for s in args])
    xs, ys = np.array(plan.xs[1:-1]), np.array(plan.ys[1:-1])
    crossing = [i for i, b in enumerate(boxes)
                if ((xs > b[0]) & (xs < b[3])).any() or ((ys > b[1]) & (ys < b[4])).any()]
    if not crossing:
        return args, arg_owner
    return _cut_along(args, arg_owner, crossing, xs, ys, "the large parts along the tile lines")


def _boxes(args: list[TopoDS_Shape], arg_owner: list[int], wanted: list[bool]
           ) -> tuple[list[TopoDS_Shape], list[int]]:
    """The ``wanted`` arguments cut along every x and y edge line of the arguments that touch them (bounding
    boxes within 1 nm) that crosses them, so each piece meets one neighbour per face (ONE splitter run). The
    boxes are the precise ones (no tolerance added), so a cut falls on the neighbour's edge itself."""
    boxes = np.array([_exact_box(s) for s in args])
    tol = 1e-6
    xs: set[float] = set()
    ys: set[float] = set()
    chosen = []
    for i in np.flatnonzero(wanted):
        b = boxes[i]
        touching = np.all((boxes[:, :3] <= b[3:] + tol) & (boxes[:, 3:] >= b[:3] - tol), axis=1)
        touching[i] = False
        near = boxes[touching]
        lines_x = {float(v) for v in near[:, [0, 3]].ravel() if b[0] + tol < v < b[3] - tol}
        lines_y = {float(v) for v in near[:, [1, 4]].ravel() if b[1] + tol < v < b[4] - tol}
        if lines_x or lines_y:
            chosen.append(int(i))
            xs |= lines_x
            ys |= lines_y
    if not chosen:
        return args, arg_owner
    # one set of planes for all: a line that crosses another box it does not concern only adds a seam
    return _cut_along(args, arg_owner, chosen, np.array(sorted(xs)), np.array(sorted(ys)),
                      "the thin layers into boxes")


def _cut_along(args: list[TopoDS_Shape], arg_owner: list[int], which: Sequence[int], xs: np.ndarray,
               ys: np.ndarray, what: str) -> tuple[list[TopoDS_Shape], list[int]]:
    """The arguments with those in ``which`` replaced by their pieces between the planes x = ``xs`` and y =
    ``ys`` (ONE splitter run)."""
    boxes = np.array([_box(s) for s in args])
    lo, hi = boxes[:, :3].min(axis=0), boxes[:, 3:].max(axis=0)
    r = 2 * float(np.linalg.norm(hi - lo)) + 1
    planes = [BRepBuilderAPI_MakeFace(gp_Pln(gp_Pnt(x, 0, 0), gp_Dir(1, 0, 0)), -r, r, -r, r).Face() for x in xs]
    planes += [BRepBuilderAPI_MakeFace(gp_Pln(gp_Pnt(0, y, 0), gp_Dir(0, 1, 0)), -r, r, -r, r).Face() for y in ys]
    op = BRepAlgoAPI_Splitter()
    op.SetArguments(_list(args[i] for i in which))
    op.SetTools(_list(planes))
    op.SetRunParallel(True)
    op.SetNonDestructive(True)
    op.Build()
    if not op.IsDone():
        raise ConformalError(f"OCCT could not split {what}")
    split = set(which)
    out: list[TopoDS_Shape] = []
    out_owner: list[int] = []
    for i, a in enumerate(args):
        pieces = _solids_of(op.Modified(a)) if i in split else []
        for p in pieces or [a]:
            out.append(p)
            out_owner.append(arg_owner[i])
    return out, out_owner


# ----------------------------------------------------------------------------------------------------- fuse
def _fuse(args: list[TopoDS_Shape], arg_owner: list[int], owners: list[Owner], env_owner: int, *, glue: bool
          ) -> tuple[int, list[tuple[TopoDS_Shape, int, float, tuple[float, float, float]]]]:
    """ONE General Fuse of ``args``; returns the number of cells and, per output solid, (solid, owner, volume,
    centroid). Raises :class:`ConformalError` if a check fails."""
    op = BOPAlgo_CellsBuilder()
    op.SetArguments(_list(args))
    op.SetRunParallel(True)
    op.SetNonDestructive(True)
    op.SetUseOBB(True)
    op.SetCheckInverted(False)  # closed solids, never inverted
    op.SetGlue(BOPAlgo_GlueShift if glue else BOPAlgo_GlueOff)
    op.Perform()
    if op.HasErrors():
        raise ConformalError("OCCT's general fuse failed")
    images = op.Images()

    def cells_of(a: TopoDS_Shape) -> list[TopoDS_Shape]:
        return _solids_of(images.Find(a)) if images.IsBound(a) else [a]

    cell_map = TopTools_IndexedMapOfShape()
    per_arg = [cells_of(a) for a in args]
    for cs in per_arg:
        for c in cs:
            cell_map.Add(c)
    props = [_props(cell_map.FindKey(i)) for i in range(1, cell_map.Extent() + 1)]
    # every argument is exactly covered by its cells (congruent placed arguments measured once)
    own_volume: dict[int, float] = {}
    for i, (a, cs) in enumerate(zip(args, per_arg, strict=True)):
        got = sum(props[cell_map.FindIndex(c) - 1][0] for c in cs)
        key = hash(a.Located(TopLoc_Location()))
        want = own_volume.get(key)
        if want is None:
            want = own_volume[key] = _props(a)[0]
        if abs(got - want) > REL_TOL * want + 1e-12:
            raise ConformalError(f"{owners[arg_owner[i]].name}: its pieces hold {got:.9g} mm3 of {want:.9g}")
    owner_of = _ownership(per_arg, arg_owner, cell_map, owners, env_owner, props)
    # an argument the envelope split (heat sink with a connecting portion) becomes one solid again
    multi = [i for i, cs in enumerate(per_arg) if len(cs) > 1 and arg_owner[i] != env_owner]
    if not multi:
        return cell_map.Extent(), [(cell_map.FindKey(j), owner_of[j], *props[j - 1])
                                   for j in range(1, cell_map.Extent() + 1)]
    op.AddAllToResult(0, False)
    for k, i in enumerate(multi, start=1):
        op.AddToResult(_list([args[i]]), TopTools_ListOfShape(), k, False)
    op.RemoveInternalBoundaries()
    merged: set[int] = set()
    out = []
    for i in multi:
        new = _solids_of(op.Modified(args[i]))
        if len(new) != 1:
            raise ConformalError(f"{owners[arg_owner[i]].name}: its {len(per_arg[i])} pieces did not merge into "
                                 f"one solid")
        merged.update(cell_map.FindIndex(c) for c in per_arg[i])
        out.append((new[0], arg_owner[i], *_props(new[0])))
    rest = [(cell_map.FindKey(j), owner_of[j], *props[j - 1]) for j in range(1, cell_map.Extent() + 1)
            if j not in merged]
    return cell_map.Extent(), rest + out


def _ownership(per_arg: list[list[TopoDS_Shape]], arg_owner: list[int], cell_map: TopTools_IndexedMapOfShape,
               owners: list[Owner], env_owner: int, props: list[tuple[float, tuple[float, float, float]]]
               ) -> dict[int, int]:
    """Cell index -> owner: the one part it belongs to, else the encapsulant. Two parts: an overlap, an error."""
    owner_of: dict[int, int] = {}
    for cs, o in zip(per_arg, arg_owner, strict=True):
        for c in cs:
            j = cell_map.FindIndex(c)
            prev = owner_of.get(j)
            if prev is None or prev in (env_owner, o):
                owner_of[j] = o
            elif o != env_owner:
                raise ConformalError(f"{owners[prev].name} and {owners[o].name} overlap "
                                     f"({props[j - 1][0]:.3g} mm3): parts may only touch")
    return owner_of


def _fills_box(pieces: list[tuple[TopoDS_Shape, int, float, tuple[float, float, float]]], owners: list[Owner],
               box: float) -> None:
    """Glue mode trusts that no two arguments cross: an overlap would stay two whole, overlapping cells that
    every other check accepts. The package (balls aside) fills its box exactly, so the cells must too."""
    got = sum(vol for _s, o, vol, _c in pieces if owners[o].role != Role.BALL)
    if abs(got - box) > REL_TOL * box:
        raise ConformalError(f"the solids inside the package box hold {got:.9g} mm3, the box {box:.9g} mm3")


def _solids(pieces: list[tuple[TopoDS_Shape, int, float, tuple[float, float, float]]], owners: list[Owner]
            ) -> list[Solid]:
    """The output solids in owner order (parts, extras, encapsulant last), numbered from 1."""
    pieces = sorted(pieces, key=lambda p: p[1])
    out = []
    for n, (shape, o, vol, centroid) in enumerate(pieces, start=1):
        ow = owners[o]
        out.append(Solid(n, ow.name, ow.part, ow.role, ow.material, cq.Solid(shape), vol, centroid))
    return out


# -------------------------------------------------------------------------------------------------- helpers
def _list(shapes: Iterable[TopoDS_Shape]) -> TopTools_ListOfShape:
    out = TopTools_ListOfShape()
    for s in shapes:
        out.Append(s)
    return out


def _solids_of(shapes: Iterable[TopoDS_Shape]) -> list[TopoDS_Shape]:
    """The solids in ``shapes`` (each listed once, in order)."""
    m = TopTools_IndexedMapOfShape()
    for s in shapes:
        TopExp.MapShapes_s(s, TopAbs_SOLID, m)
    return [m.FindKey(i) for i in range(1, m.Extent() + 1)]


def _props(shape: TopoDS_Shape) -> tuple[float, tuple[float, float, float]]:
    """Volume [mm^3] and centroid [mm] of ``shape``."""
    g = GProp_GProps()
    BRepGProp.VolumeProperties_s(shape, g)
    c = g.CentreOfMass()
    return g.Mass(), (c.X(), c.Y(), c.Z())
