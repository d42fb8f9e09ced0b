"""Group the parts of a (thickened) package into printable pieces, in printed millimetres, as assembled.

One piece per part, except repeated parts, which become ONE piece tied together so it prints as one shell:

- balls and bumps: the array stands on a thin web (the ball array's web lies under the substrate, the bump
  array's on it, where the underfill would be);
- bond fingers and QFN leads: a rectangular frame through their centres, as in a lead frame before the saw;
- bonding wires: a wire fan, the wires' outer ends joined by a ring lying on the fingers or leads.

The encapsulant piece is computed here, not taken from the model: the mold envelope minus every other piece
(ties included), in one manifold boolean, so it fits the pieces it holds exactly and leaves room for the ties.
With a cutaway the whole package becomes one piece with a quarter (or half) removed, plus one body per
material for multi-colour printing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import manifold3d as mf
import numpy as np
import trimesh

from ..errors import GeometryError, InputError
from ..export.options import MeshQuality
from ..geometry import mold_envelope
from ..meshutil import concatenate
from ..package import Package, Part
from ..roles import ASSEMBLY_ORDER, Role
from ..tessellate import part_mesh, placed_mesh, shape_mesh
from .options import MockupOptions
from .solids import box, difference, frame, to_manifold, to_trimesh, union
from .thicken import PRINT_ANGULAR, PRINT_LINEAR


@dataclass
class Piece:
    """One printable piece: ``mesh`` in printed mm, where it sits in the assembled package."""

    name: str
    title: str
    material: str
    parts: list[str]
    instances: int
    mesh: trimesh.Trimesh
    tie: str = ""


@dataclass
class Body:
    """A single-material body for the 3MF (printed mm, assembled position)."""

    material: str
    mesh: trimesh.Trimesh


@dataclass
class Assembly:
    """The pieces of a kit and the bodies of its 3MF, both as assembled (printed mm, package frame)."""

    pieces: list[Piece]
    bodies: list[Body]
    cut: str
    timings: dict[str, float] = field(default_factory=dict)
    #: where the cut planes x = x0 and y = y0 lie (printed mm, package frame); (0, 0) without a cut
    cut_at: tuple[float, float] = (0.0, 0.0)
    cut_through: str = ""


# part name -> (piece name, title); repeated parts are handled by the tie functions below
SINGLE = {
    "carrier": ("substrate", "BGA substrate"),
    "die_pad": ("die_pad", "QFN die pad"),
    "die_attach": ("die_attach", "die-attach bond line"),
    "chip": ("chip", "silicon die"),
    "buffer_pad_attach": ("buffer_pad_attach", "buffer-pad bond line"),
    "buffer_pad": ("buffer_pad", "buffer pad"),
    "adhesive": ("adhesive", "thermally conductive adhesive"),
    "heat_sink": ("heat_sink", "heat sink (first surface down in the package)"),
    "interface_layer": ("interface_layer", "interface layer (plating) on the second surface"),
}


#: Ties keep this far [printed mm] inside the faces of the parts they join: manifold3d leaves zero-area
#: triangles where a union meets coplanar faces, and 0.02 mm is far below any printer's layer height.
INSET = 0.02


def tessellate(pkg: Package, scale: float) -> dict[str, trimesh.Trimesh]:
    """Every part but the encapsulant, all instances placed, scaled to printed mm. The chordal deviation is
    PRINT_LINEAR on the print."""
    quality = MeshQuality("print", PRINT_LINEAR / scale, PRINT_ANGULAR)
    out: dict[str, trimesh.Trimesh] = {}
    for part in pkg.parts:
        if part.role == Role.ENCAPSULANT:
            continue
        placed = placed_mesh(part, part_mesh(part, quality))
        placed.apply_scale(scale)
        out[part.name] = placed
    return out


def envelope(pkg: Package, scale: float) -> trimesh.Trimesh:
    """The space the mold fills, with the first surface's recesses (printed mm)."""
    env = mold_envelope(pkg.layout)
    quality = MeshQuality("print", PRINT_LINEAR / scale, PRINT_ANGULAR)
    mesh = shape_mesh(env, quality)
    mesh.apply_scale(scale)
    return mesh


def _extent(points: np.ndarray) -> tuple[float, float]:
    return float(np.abs(points[:, 0]).max()), float(np.abs(points[:, 1]).max())


def _ring_through(points: np.ndarray, width: float, z0: float, z1: float) -> mf.Manifold:
    """A rectangular frame of ``width`` whose centre line runs through the outermost ``points`` (n, 2)."""
    ax, ay = _extent(points)
    return frame((ax + width / 2, ay + width / 2), (ax - width / 2, ay - width / 2), z0, z1)


def _tied(name: str, title: str, material: str, parts: list[Part], meshes: dict[str, trimesh.Trimesh],
          tie: mf.Manifold, tie_text: str) -> Piece:
    solids = [to_manifold(meshes[p.name], p.name) for p in parts]
    merged = to_trimesh(union([*solids, tie]))
    return Piece(name, title, material, [p.name for p in parts], sum(p.count for p in parts), merged, tie_text)


def _placements_xy(part: Part, scale: float) -> np.ndarray:
    return np.array([[pl.x, pl.y] for pl in part.placements]) * scale


def repeated_pieces(pkg: Package, meshes: dict[str, trimesh.Trimesh], opts: MockupOptions) -> list[Piece]:
    spec, s, f = pkg.spec, opts.scale, opts.min_feature
    tie = 2 * f  # width and thickness of ties [printed mm]
    st = pkg.layout.stack
    out: list[Piece] = []
    by_name = {p.name: p for p in pkg.parts}
    if "ball" in by_name and (bz := pkg.layout.ball_z) is not None:
        part = by_name["ball"]
        top_r = bz.radius_at(bz.top) * s  # the flat on the substrate's underside
        t = _web(tie, bz.height, opts, "balls")
        ax, ay = _extent(_placements_xy(part, s))
        web = frame((ax + top_r, ay + top_r), (0, 0), -t, -INSET)
        out.append(_tied("balls", f"{part.count} solder balls on a web", "solder", [part], meshes, web,
                         f"the balls hang from a {t:.3g} mm web under the substrate"))
    if "bump" in by_name and (cut := pkg.layout.bump_z) is not None:
        part = by_name["bump"]
        foot_r = cut.radius_at(cut.bottom) * s  # the flat on the carrier
        t = _web(tie, cut.height, opts, "bumps")
        z0 = cut.bottom * s
        ax, ay = _extent(_placements_xy(part, s))
        web = frame((ax + foot_r, ay + foot_r), (0, 0), z0 + INSET, z0 + t)
        out.append(_tied("bumps", f"{part.count} solder bumps on a web", "solder", [part], meshes, web,
                         f"the bumps stand on a {t:.3g} mm web on the substrate (in the underfill)"))
    if "bond_finger" in by_name:
        part, w = by_name["bond_finger"], spec.wires
        z0, h = st.carrier_top * s, w.finger_thickness * s
        ring = _ring_through(_placements_xy(part, s), min(tie, w.finger_length * s), z0 + INSET,
                             z0 + min(h, tie) - INSET)
        out.append(_tied("bond_fingers", f"{part.count} bond fingers in a frame", "copper", [part], meshes, ring,
                         f"a {min(tie, w.finger_length * s):.3g} mm frame through the fingers' centres"))
    if "lead" in by_name:
        part, ld = by_name["lead"], spec.leads
        h = st.carrier_top * s
        ring = _ring_through(_placements_xy(part, s), min(tie, ld.length * s), INSET, min(h, tie) - INSET)
        out.append(_tied("lead_frame", f"{part.count} QFN leads in a frame", "copper", [part], meshes, ring,
                         f"a {min(tie, ld.length * s):.3g} mm frame through the leads' centres, as in the strip "
                         "before the saw"))
    wires = [p for p in pkg.parts if p.role == Role.WIRE]
    if wires:
        ends = np.array([w.end for w in pkg.layout.wires]) * s
        d = spec.wires.diameter * s
        width = max(tie, d)
        z0 = float(ends[:, 2].min())
        ring = _ring_through(ends[:, :2], width, z0 + INSET, z0 + width)
        out.append(_tied("wire_fan", f"{sum(p.count for p in wires)} bonding wires as a wire fan", "gold", wires,
                         meshes, ring, f"a {width:.3g} mm ring joins the wires' outer ends on the "
                         f"{'leads' if spec.qfn else 'bond fingers'}"))
    return out


def _web(tie: float, height: float, opts: MockupOptions, what: str) -> float:
    """Web thickness [printed mm] for balls or bumps ``height`` (model mm) high: ``tie``, but at most half
    their printed height, and at least --min-feature (else the error names the least scale that works)."""
    t = min(tie, height * opts.scale / 2)
    if t < opts.min_feature - 1e-9:
        least = math.ceil(2 * opts.min_feature / height * 10) / 10
        raise InputError("--scale", opts.scale, f"the {what} print {height * opts.scale:.3g} mm high; the web that "
                        f"ties them into one piece needs twice --min-feature: use --scale {least:g} or more")
    return t


def single_pieces(pkg: Package, meshes: dict[str, trimesh.Trimesh]) -> list[Piece]:
    out = []
    for part in pkg.parts:
        if part.name in SINGLE:
            name, title = SINGLE[part.name]
            out.append(Piece(name, title, part.material, [part.name], part.count, meshes[part.name]))
    return out


def assemble(pkg: Package, opts: MockupOptions, say: Callable[[str], None] | None = None) -> Assembly:
    """The pieces (or the one cutaway piece) and the 3MF bodies of ``pkg`` (already thickened)."""
    import time

    say = say or (lambda _s: None)
    t0 = time.perf_counter()
    say("tessellating")
    meshes = tessellate(pkg, opts.scale)
    env = to_manifold(envelope(pkg, opts.scale), "encapsulant envelope")
    t1 = time.perf_counter()
    say("tying repeated parts" if opts.cut == "none" else "cutting away")
    mold_material = pkg.spec.encapsulant.material
    if opts.cut == "none":
        pieces = single_pieces(pkg, meshes) + repeated_pieces(pkg, meshes, opts)
        # only what reaches into the mold is cut from it; the rest merely touches it (carrier, heat sink)
        lo, hi = np.array(env.bounding_box()).reshape(2, 3)
        inside = [p for p in pieces if np.all(p.mesh.bounds[0] < hi - 1e-6) and np.all(p.mesh.bounds[1] > lo + 1e-6)]
        enc = difference(env, [union([to_manifold(p.mesh, p.name) for p in inside])])
        pieces.append(Piece("encapsulant", "encapsulant (molding compound) with the hollows of what it holds",
                            mold_material, ["encapsulant"], 1, to_trimesh(enc)))
        pieces.sort(key=lambda p: assembly_key(pkg, p))
        bodies = _bodies_by_material(pieces)
    else:
        x0, y0, through = cut_position(pkg)
        cut_at = (x0 * opts.scale, y0 * opts.scale)
        pieces, bodies = _cutaway(pkg, meshes, env, opts, mold_material, cut_at)
        t2 = time.perf_counter()
        return Assembly(pieces, bodies, opts.cut, {"tessellate_s": t1 - t0, "booleans_s": t2 - t1}, cut_at,
                        through)
    t2 = time.perf_counter()
    return Assembly(pieces, bodies, opts.cut, {"tessellate_s": t1 - t0, "booleans_s": t2 - t1})


def assembly_key(pkg: Package, piece: Piece) -> tuple[int, int]:
    """Where ``piece`` goes in the order a person puts the pieces together (:data:`pkgcad.roles.ASSEMBLY_ORDER`:
    bottom up, the mold after what it holds, then the heat sink); pieces of one role in build order."""
    index = {p.name: i for i, p in enumerate(pkg.parts)}
    roles = {p.name: p.role for p in pkg.parts} | {"encapsulant": Role.ENCAPSULANT}
    first = piece.parts[0]
    return ASSEMBLY_ORDER.index(roles[first]), index.get(first, len(index))


def _bodies_by_material(pieces: list[Piece]) -> list[Body]:
    by: dict[str, list[trimesh.Trimesh]] = {}
    for p in pieces:
        by.setdefault(p.material, []).append(p.mesh)
    return [Body(m, concatenate(ms)) for m, ms in by.items()]


def _nearest(values: list[float], others: list[np.ndarray]) -> float:
    """The value nearest 0 that is also a row of another array, if one is; else the value nearest 0."""
    vals = sorted(set(round(v, 9) for v in values), key=abs)
    for v in vals:
        if others and all(len(o) and np.abs(o - v).min() < 1e-6 for o in others):
            return v
    return vals[0]


def cut_position(pkg: Package) -> tuple[float, float, str]:
    """Where to cut (model mm): through the middle of the row of wires (or bumps) nearest the centre, so the
    cut shows them halved lengthwise instead of missing them between two rows; through a row of balls too
    where one lines up. Returns x0, y0 and what the cut goes through."""
    spec = pkg.spec
    balls = [p for p in pkg.parts if p.role == Role.BALL]
    ball_rows = ([np.unique(np.round([pl.x for pl in balls[0].placements], 9)),
                  np.unique(np.round([pl.y for pl in balls[0].placements], 9))] if balls else [])
    if spec.wirebond:
        wires = pkg.layout.wires
        # the +x side's wires run along x at their pad's y; the -y side's along y at their pad's x
        ys = [w.start[1] for w in wires if abs(w.angle_deg) < 45]
        xs = [w.start[0] for w in wires if abs(w.angle_deg + 90) < 45]
        if xs and ys:
            return _nearest(xs, ball_rows[:1]), _nearest(ys, ball_rows[1:]), "the wires nearest the centre"
    bumps = [p for p in pkg.parts if p.role == Role.BUMP]
    if bumps:
        xs = [pl.x for pl in bumps[0].placements]
        ys = [pl.y for pl in bumps[0].placements]
        return _nearest(xs, ball_rows[:1]), _nearest(ys, ball_rows[1:]), "the bumps nearest the centre"
    return 0.0, 0.0, "the centre"


def keep_region(bounds: np.ndarray, cut: str, at: tuple[float, float] = (0.0, 0.0),
                setback: float = 0.0) -> mf.Manifold:
    """All of ``bounds`` (2, 3) but the removed quarter (x > x0, y < y0) or half (y < y0), facing the viewer;
    ``setback`` [mm] moves the cut faces that much further into what is kept."""
    lo, hi = bounds[0] - 1.0, bounds[1] + 1.0
    whole = box(lo, hi)
    x0 = lo[0] if cut == "half" else at[0] - setback
    return whole - box((x0, lo[1], lo[2]), (hi[0], at[1] + setback, hi[2]))


def _cutaway(pkg: Package, meshes: dict[str, trimesh.Trimesh], env: mf.Manifold, opts: MockupOptions,
             mold_material: str, at: tuple[float, float]) -> tuple[list[Piece], list[Body]]:
    everything = concatenate(list(meshes.values()))
    bounds = np.vstack([everything.bounds, np.array(env.bounding_box()).reshape(2, 3)])
    bounds_all = np.array([bounds.min(axis=0), bounds.max(axis=0)])
    keep = keep_region(bounds_all, opts.cut, at)
    by_material: dict[str, list[mf.Manifold]] = {}
    for part in pkg.parts:
        if part.role != Role.ENCAPSULANT:
            by_material.setdefault(part.material, []).append(to_manifold(meshes[part.name], part.name))
    solids = {m: union(ms) ^ keep for m, ms in by_material.items()}
    everything_else = union(list(solids.values()))
    # the mold is set back from the cut, so the layers, the chip and the wires stand out of the cut faces
    # even in a single-colour print
    mold_kept = env ^ keep_region(bounds_all, opts.cut, at, setback=2 * opts.min_feature)
    enc = mold_kept - everything_else
    whole = union([mold_kept, everything_else])
    bodies = [Body(m, to_trimesh(s)) for m, s in solids.items() if not s.is_empty()]
    bodies.append(Body(mold_material, to_trimesh(enc)))
    which = "a quarter" if opts.cut == "quarter" else "the front half"
    piece = Piece("cutaway", f"the whole package with {which} cut away", "mixed",
                  [p.name for p in pkg.parts], pkg.instance_count(), to_trimesh(whole),
                  f"one piece; the encapsulant is set back {2 * opts.min_feature:g} mm from the cut faces so "
                  "the layers, chip and wires stand out; the 3MF holds one body per material to print it in colour")
    if whole.is_empty():
        raise GeometryError("cutaway", "nothing left")
    return [piece], bodies
