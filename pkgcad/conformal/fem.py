"""The FEM model: the conformal model of the real parts, made ready for solvers (``pkgcad thermal`` today, the
mechanics next). ONE geometric model for every solver; a solver chooses materials, never shapes. Millimetres.

What :func:`fem_model` does to the real parts (:class:`FemOptions`), and nothing else:

- **arrays** ``"blocks"`` (default): the bumps and the balls each become ONE block over their cells (a ring for a
  peripheral pattern), from the carrier top to the chip bottom (bumps, inside the mold) or from the seating
  plane to the substrate (balls). :class:`ArrayBlock` tells a solver what the block stands for (the sites, the
  sphere cut, what fills between them) so it can give it homogenised properties. ``"full"``: every bump and
  ball is its CAD solid.
- **left out** (default: bonding wires and bond fingers): the mold fills their space; the solver says so.
- **heat_sink=False**: the no-heat-sink baseline: mold where the heat sink, its interface layer, the adhesive
  and any buffer pad (and its attach) were, up to the same package top.
- **board**: a board block under the package, its top on the seating plane (:class:`BoardBlock`); or the
  package SOLDERED to a layered test board (:class:`TestBoard`): each ball collapses onto a board pad of a stated
  diameter (:meth:`~pkgcad.layout.Layout.ball_joint`: the same solder, a sphere through both pad circles), a QFN's
  die pad and leads sit on a solder layer (a thin layer), the board is slabs split where its copper planes lie
  (:attr:`FemModel.planes`: planes of facets a solver gives an in-plane conductance) and cut along the ring where
  a cold plate clamps it (faces ``ring_top`` / ``ring_bottom``), with a via field under an exposed pad as a part
  of its own; :attr:`FemModel.points` names where a board thermocouple reads.
- **thin layers** (:data:`THIN_LAYERS`: die attach, buffer-pad attach, adhesive, interface layer; 2-120 um over
  several mm) stay solids of their own material, cut into boxes along their neighbours' edges, so the mesher
  gives them a structured mesh with a stated number of elements through their thickness
  (:mod:`pkgcad.conformal.meshing`): the conduction through them is exact for P1, and their shear compliance
  is meshed, not guessed.

Every part is one physical volume group named after its part (``carrier``, ``die_pad``, ``lead``, ``chip``,
``die_attach``, ``bump_block``/``bump``, ``ball_block``/``ball``, ``buffer_pad_attach``, ``buffer_pad``,
``adhesive``, ``heat_sink``, ``interface_layer``, ``encapsulant``, ``board``), and :attr:`FemModel.faces` names
the faces solvers need (:data:`FACE_NAMES`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cadquery as cq

from ..geometry.shapes import box, cut_all, truncated_sphere
from ..layout import Layout, Sites, SphereCut
from ..rect import Rect
from ..roles import Role
from .faces import Face, PlaneFacets
from .fuse import conformal, package_of
from .model import ConformalModel, Extra

THIN_LAYERS: tuple[str, ...] = (Role.DIE_ATTACH, Role.BUFFER_PAD_ATTACH, Role.ADHESIVE, Role.INTERFACE_LAYER)
"""Roles of the thin bond lines and films: meshed structured through their thickness."""
LEFT_OUT: frozenset[str] = frozenset({Role.WIRE, Role.BOND_FINGER})
"""Roles a solver model leaves to the mold by default (25 um wires and 18 um fingers would need 10 um tets)."""
BASELINE_REMOVED: frozenset[str] = frozenset({Role.HEAT_SINK, Role.INTERFACE_LAYER, Role.ADHESIVE, Role.BUFFER_PAD,
                                              Role.BUFFER_PAD_ATTACH})
"""Roles the no-heat-sink baseline replaces by mold."""
BOARD_SOLDER = "board_solder"
"""Role (and part) of the solder under a QFN's die pad and leads on a test board: a thin layer."""
BOARD_VIAS = "board_vias"
"""Part of a test board's via field (under an exposed pad)."""
ARRAYS = ("blocks", "full")
FACE_NAMES = ("top", "chip_active", "board_side")
"""The named faces every model has (``board_side`` not with full-detail balls resting on nothing, which touch the
seating plane at a point), besides ``<thin layer>_bottom`` / ``<thin layer>_top`` of each thin layer present and,
on a :class:`TestBoard`, ``board_top`` (the board's top surface), ``ring_top`` and ``ring_bottom`` (where the
ring cold plate clamps it)."""
REFINE_MARGIN_MM = 0.5
"""The refinement box reaches this far beyond the chip's edges [mm]."""


@dataclass(frozen=True)
class BoardBlock:
    """A board block centred under the package, its top on the seating plane [mm]."""

    length_mm: float
    width_mm: float
    thickness_mm: float
    part: str = "board"


@dataclass(frozen=True)
class TestBoard:
    """A layered test board the package is soldered to [mm]: ``length_mm`` (x) by ``width_mm`` (y), centred under
    the package shifted by ``offset_mm``, ``thickness_mm`` thick, made of slabs split at ``planes_mm`` (depths
    below its top of the copper planes inside it: each a named plane of facets, :attr:`FemModel.planes`, and the
    top surface ``<part>_top_copper`` too). The package's balls are soldered to board pads ``pad_mm`` across (None:
    as wide as the substrate's pad), a QFN's die pad and leads to the board through ``solder_mm`` of solder; a via
    field (part :data:`BOARD_VIAS`) goes through the board under an exposed pad when ``vias``. A cold plate clamps
    the board in a ring ``ring_gap_mm`` outside the package's shadow, ``ring_width_mm`` wide (faces ``ring_top``,
    ``ring_bottom``); a thermocouple reads its top ``probe_gap_mm`` outside the middle of the package's longer side
    (point ``board_probe``)."""

    length_mm: float
    width_mm: float
    thickness_mm: float = 1.6
    planes_mm: tuple[tuple[str, float], ...] = ()
    pad_mm: float | None = None
    solder_mm: float = 0.05
    vias: bool = False
    ring_gap_mm: float = 5.0
    ring_width_mm: float = 4.0
    probe_gap_mm: float = 1.0
    offset_mm: tuple[float, float] = (0.0, 0.0)
    part: str = "board"

    def __post_init__(self) -> None:
        for name, depth in self.planes_mm:
            if not 0.0 < depth < self.thickness_mm:
                raise ValueError(f"plane {name!r} at {depth!r} mm: inside the {self.thickness_mm:g} mm board")
        if not self.solder_mm > 0.0:
            raise ValueError(f"solder_mm {self.solder_mm!r}: a positive thickness")


@dataclass(frozen=True)
class FemOptions:
    """What the solver model makes of the real parts (see the module notes). ``keep``: roles whose arrays stay
    their CAD solids (soldered joints on a :class:`TestBoard`) while ``arrays`` is ``"blocks"``."""

    arrays: str = "blocks"
    heat_sink: bool = True
    leave_out: frozenset[str] = LEFT_OUT
    board: BoardBlock | TestBoard | None = None
    keep: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.arrays not in ARRAYS:
            raise ValueError(f"arrays {self.arrays!r} is not one of {', '.join(ARRAYS)}")

    def solid(self, role: str) -> bool:
        """Whether the array of ``role`` (bump, ball) is modelled site by site."""
        return self.arrays == "full" or role in self.keep


@dataclass(frozen=True, eq=False)
class ArrayBlock:
    """A bump or ball array as one block: ``rect`` (minus ``hole`` for a peripheral ring) between ``sphere``'s
    bottom and top, standing for ``sites`` (each a ``sphere`` cut) with ``matrix`` between them (a material
    name, or ``"air"``)."""

    role: str  # bump or ball
    sites: Sites
    sphere: SphereCut
    matrix: str
    rect: Rect
    hole: Rect | None

    @property
    def pitch(self) -> float:
        assert self.sites.grid is not None
        return self.sites.grid.pitch

    @property
    def volume_mm3(self) -> float:
        inner = self.hole[2] * self.hole[3] if self.hole is not None else 0.0
        return (self.rect[2] * self.rect[3] - inner) * self.sphere.height


@dataclass(frozen=True, eq=False)
class FemPart:
    """One physical volume group: its role and material (an array block's material is its sites'; what fills
    between them is :attr:`ArrayBlock.matrix`), its volume as modelled [mm^3] (the conformal solids'), what an
    array block stands for, a thin layer's thickness."""

    name: str
    role: str
    material: str
    volume_mm3: float
    block: ArrayBlock | None = None
    thickness_mm: float | None = None  # a thin layer, meshed structured through this thickness


@dataclass(eq=False)
class FemModel:
    """The solver model of one package: the conformal solids, the parts, the named faces, the notes on what was
    simplified, and where the mesher refines (:attr:`refine`: boxes (xmin, ymin, zmin, xmax, ymax, zmax)). On a
    :class:`TestBoard` also its planes (name -> facets), its points (name -> (x, y, z) mm), the board's z levels
    and :attr:`assembly`, the parts that are not the package as built (the board, its vias, the solder)."""

    layout: Layout
    options: FemOptions
    conformal: ConformalModel
    parts: tuple[FemPart, ...]
    faces: dict[str, Face]
    bounds: tuple[float, float, float, float, float, float]  # the package, board excluded
    refine: tuple[tuple[float, float, float, float, float, float], ...]
    notes: tuple[str, ...] = field(default=())
    planes: dict[str, PlaneFacets] = field(default_factory=dict)
    points: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    assembly: frozenset[str] = frozenset()
    joint: SphereCut | None = None  # the soldered ball, on a test board
    edges: tuple[str, ...] = ()  # parts whose rims (a thin layer's outline inside the package) the mesher refines

    @property
    def name(self) -> str:
        return self.conformal.name

    def part(self, name: str) -> FemPart:
        for p in self.parts:
            if p.name == name:
                return p
        raise KeyError(f"no part {name!r}; parts: {', '.join(p.name for p in self.parts)}")

    def thin_parts(self) -> tuple[FemPart, ...]:
        return tuple(p for p in self.parts if p.thickness_mm is not None)

    @property
    def n_sites(self) -> int:
        """Bumps and balls modelled one by one (full detail)."""
        return sum(1 for s in self.conformal.solids if s.role in (Role.BUMP, Role.BALL))


def fem_model(lay: Layout, options: FemOptions = FemOptions(),
              progress: Callable[[str], None] | None = None) -> FemModel:
    """The solver model of ``lay`` (see the module notes). Raises :class:`~pkgcad.conformal.ConformalError` when
    the kernel fails."""
    say = progress or (lambda _s: None)
    say("building the parts")
    pkg = package_of(lay)
    present = {str(p.role) for p in pkg.parts}
    excluded = set(options.leave_out) & present
    extra: list[Extra] = []
    blocks: dict[str, ArrayBlock] = {}
    notes: list[str] = []
    b = options.board
    seat = _Seat.of(lay, b) if isinstance(b, TestBoard) else None
    joint = seat.joint if seat is not None else None
    for block in _array_blocks(lay, joint):
        if options.solid(block.role):
            continue
        excluded.add(block.role)
        blocks[f"{block.role}_block"] = block
        extra.append(Extra(f"{block.role}_block", f"{block.role}_block", block.role, "solder", _block_shape(block)))
    if joint is not None and options.solid(str(Role.BALL)) and lay.balls is not None:
        excluded.add(str(Role.BALL))  # the CAD balls as built give way to the joints
        extra.append(Extra("ball", "ball", Role.BALL, "solder", _joints(lay, joint)))
    st = lay.stack
    if not options.heat_sink:
        excluded |= BASELINE_REMOVED & present
        enc = lay.spec.encapsulant.material
        extra.append(Extra("encapsulant_cap", "encapsulant", Role.ENCAPSULANT, enc,
                           box(lay.footprint, st.first_surface, st.interface_top)))
    planes: dict[str, PlaneFacets] = {}
    points: dict[str, tuple[float, float, float]] = {}
    assembly: set[str] = set()
    if isinstance(b, BoardBlock):
        cx, cy = lay.footprint[:2]
        zb = lay.seating_plane
        extra.append(Extra(b.part, b.part, "board", "board",
                           box(Rect(cx, cy, b.length_mm, b.width_mm), zb - b.thickness_mm, zb)))
        assembly.add(b.part)
    elif isinstance(b, TestBoard):
        assert seat is not None
        extra += seat.extras()
        planes, points = seat.planes(), seat.points()
        assembly |= seat.parts()
    boxes = THIN_LAYERS + ((BOARD_SOLDER,) if seat is not None and lay.qfn else ())
    say(f"fusing {sum(len(p.placements) for p in pkg.parts if str(p.role) not in excluded)} solids")
    model = conformal(pkg, exclude_roles=sorted(excluded), extra=extra, boxes=boxes)
    thickness = _thin_thickness(lay)
    if seat is not None and lay.qfn:
        thickness[BOARD_SOLDER] = seat.board.solder_mm
    roles = {s.part: s.role for s in model.solids}
    materials = model.materials()
    parts = tuple(FemPart(name, roles[name], materials[name], vol, blocks.get(name),
                          thickness.get(roles[name]) if roles[name] in boxes else None)
                  for name, vol in model.part_volumes().items())
    faces = _faces(lay, options, parts, notes)
    if seat is not None:
        faces.update(seat.faces())
        notes.append(seat.note())
    left = sorted(excluded & set(options.leave_out))
    if left:
        counts = {r: sum(len(p.placements) for p in pkg.parts if p.role == r) for r in left}
        notes.append("left out (mold in their place): " + ", ".join(f"{n} {r.replace('_', ' ')}s"
                                                                    for r, n in counts.items()))
    cx, cy, sx, sy = lay.chip
    bounds = lay.bounds if seat is None else (*lay.bounds[:2], seat.top, *lay.bounds[3:])
    z0, z1 = bounds[2], bounds[5]
    m = REFINE_MARGIN_MM
    refine = ((cx - sx / 2 - m, cy - sy / 2 - m, z0, cx + sx / 2 + m, cy + sy / 2 + m, z1),)
    # the thin layers' outlines only: the solder under a QFN's leads and pad is left out (its many lead outlines
    # cost 2.5x the tetrahedra, and qfn's theta-JB was within 0.6 % of converged without them), and so are the
    # soldered balls' pad circles (refining them made a BGA's thermal mesh 2.4-3x larger and still left theta-JB
    # rising about 3 % per halving; the cause was the substrate's copper volume-averaged into a 36:1 anisotropic
    # block at the pads, now sheets on its faces (pkgcad.thermal.model.SubstrateStack): theta-JB converges on
    # this mesh, README, Thermal, "Mesh convergence")
    edges = tuple(p.name for p in parts if p.thickness_mm is not None and p.name != BOARD_SOLDER)
    return FemModel(lay, options, model, parts, faces, bounds, refine, tuple(notes), planes, points,
                    frozenset(assembly), joint, edges)


def _array_blocks(lay: Layout, joint: SphereCut | None = None) -> list[ArrayBlock]:
    """The bump and ball arrays as blocks over their cells (each site's pitch square); the balls soldered
    (``joint``) when the package sits on a test board."""
    out = []
    balls = joint if joint is not None else lay.ball_z
    for role, sites, sphere, matrix in ((Role.BUMP, lay.bumps, lay.bump_z, lay.spec.encapsulant.material),
                                        (Role.BALL, lay.balls, balls, "air")):
        if sites is None or sphere is None or sites.grid is None or not sites.realised:
            continue
        g = sites.grid
        rect = Rect(0.0, 0.0, g.nx * g.pitch, g.ny * g.pitch)
        hole: Rect | None = None
        if g.rows is not None and 2 * g.rows < min(g.nx, g.ny):
            hole = Rect(0.0, 0.0, (g.nx - 2 * g.rows) * g.pitch, (g.ny - 2 * g.rows) * g.pitch)
        out.append(ArrayBlock(str(role), sites, sphere, matrix, rect, hole))
    return out


def _block_shape(block: ArrayBlock) -> cq.Shape:
    z0, z1 = block.sphere.bottom, block.sphere.top
    outer = box(block.rect, z0, z1)
    return outer if block.hole is None else cut_all(outer, [box(block.hole, z0, z1)])


def _joints(lay: Layout, joint: SphereCut) -> cq.Shape:
    """Every ball soldered (one truncated sphere placed at each site), as one compound."""
    assert lay.balls is not None
    one = truncated_sphere(joint.diameter, joint.bottom, joint.top, joint.centre)
    return cq.Compound.makeCompound([one.moved(cq.Location(cq.Vector(float(x), float(y), 0.0)))
                                     for x, y in lay.balls.points])


@dataclass(frozen=True)
class _Seat:
    """The package soldered to a :class:`TestBoard`: the joint, the board's top, and the board's solids, planes,
    faces and points."""

    lay: Layout
    board: TestBoard
    joint: SphereCut | None
    top: float  # the board's top surface [mm]

    @classmethod
    def of(cls, lay: Layout, board: TestBoard) -> _Seat:
        if lay.qfn:
            return cls(lay, board, None, -board.solder_mm)
        bz = lay.ball_z
        if bz is None:
            raise ValueError("a test board needs balls or QFN leads to solder the package to (an LGA has neither)")
        pad = board.pad_mm if board.pad_mm is not None else 2 * bz.radius_at(bz.top)
        joint = lay.ball_joint(pad)
        assert joint is not None
        return cls(lay, board, joint, joint.bottom)

    def levels(self) -> list[float]:
        """The board's z levels, top to bottom: its top, each plane, its bottom."""
        b = self.board
        return [self.top, *sorted((self.top - d for _n, d in b.planes_mm), reverse=True), self.top - b.thickness_mm]

    def outline(self) -> tuple[float, float, float, float]:
        """The board's (xmin, ymin, xmax, ymax)."""
        cx, cy = self.lay.footprint[0] + self.board.offset_mm[0], self.lay.footprint[1] + self.board.offset_mm[1]
        return (cx - self.board.length_mm / 2, cy - self.board.width_mm / 2, cx + self.board.length_mm / 2,
                cy + self.board.width_mm / 2)

    def ring(self) -> tuple[tuple[float, float, float, float], tuple[float, float, float, float]]:
        """The ring's inner and outer rectangles (xmin, ymin, xmax, ymax), each inside the board."""
        cx, cy, sx, sy = self.lay.footprint
        x0, y0, x1, y1 = self.outline()
        out = []
        for d in (self.board.ring_gap_mm, self.board.ring_gap_mm + self.board.ring_width_mm):
            out.append((max(cx - sx / 2 - d, x0), max(cy - sy / 2 - d, y0), min(cx + sx / 2 + d, x1),
                        min(cy + sy / 2 + d, y1)))
        return out[0], out[1]

    def via_rect(self) -> Rect | None:
        return self.lay.die_pad if self.board.vias and self.lay.qfn else None

    def extras(self) -> list[Extra]:
        """The QFN's solder and the board: slabs between its levels, each cut along the ring and the via field."""
        out: list[Extra] = []
        lay, b = self.lay, self.board
        if lay.qfn:
            assert lay.die_pad is not None
            pads = [lay.die_pad, *(lead.rect for lead in lay.leads)]
            out.append(Extra(BOARD_SOLDER, BOARD_SOLDER, BOARD_SOLDER, "solder", cq.Compound.makeCompound(
                [box(r, self.top, 0.0) for r in pads])))
        x0, y0, x1, y1 = self.outline()
        inner, outer = self.ring()
        xs, ys = {x0, x1, inner[0], inner[2], outer[0], outer[2]}, {y0, y1, inner[1], inner[3], outer[1], outer[3]}
        via = self.via_rect()
        if via is not None:
            xs |= {via[0] - via[2] / 2, via[0] + via[2] / 2}
            ys |= {via[1] - via[3] / 2, via[1] + via[3] / 2}
        gx, gy, zs = sorted(xs), sorted(ys), self.levels()
        cells: dict[str, list[cq.Shape]] = {b.part: [], BOARD_VIAS: []}
        for zb, za in itertools.pairwise(zs):
            for xa, xb in itertools.pairwise(gx):
                for ya, yb in itertools.pairwise(gy):
                    rect = Rect((xa + xb) / 2, (ya + yb) / 2, xb - xa, yb - ya)
                    inside = via is not None and _within(rect, via)
                    cells[BOARD_VIAS if inside else b.part].append(box(rect, za, zb))
        for part, shapes in cells.items():
            if shapes:
                out.append(Extra(part, part, "board", "fr4", cq.Compound.makeCompound(shapes)))
        return out

    def parts(self) -> set[str]:
        out = {self.board.part}
        if self.via_rect() is not None:
            out.add(BOARD_VIAS)
        if self.lay.qfn:
            out.add(BOARD_SOLDER)
        return out

    def planes(self) -> dict[str, PlaneFacets]:
        x0, y0, x1, y1 = self.outline()
        rect = (x0, y0, x1, y1)
        out = {f"{self.board.part}_top_copper": PlaneFacets(self.top, rect, f"{self.board.part} top copper "
                                                            f"(z = {self.top:g} mm)")}
        for name, depth in self.board.planes_mm:
            out[name] = PlaneFacets(self.top - depth, rect, f"{name.replace('_', ' ')}, {depth:g} mm below the "
                                    "board top")
        return out

    def faces(self) -> dict[str, Face]:
        inner, outer = self.ring()
        parts = tuple(sorted(self.parts() - {BOARD_SOLDER}))
        g, w = self.board.ring_gap_mm, self.board.ring_width_mm

        def in_ring(c: Any) -> Any:
            inside_outer = (c[0] >= outer[0]) & (c[0] <= outer[2]) & (c[1] >= outer[1]) & (c[1] <= outer[3])
            inside_inner = (c[0] > inner[0]) & (c[0] < inner[2]) & (c[1] > inner[1]) & (c[1] < inner[3])
            return inside_outer & ~inside_inner

        what = f"{g:g} to {g + w:g} mm outside the package's shadow"
        return {
            "board_top": Face(parts, "top", label="board top surface"),
            "ring_top": Face(parts, "top", where=in_ring, label=f"ring cold plate on the board top, {what}"),
            "ring_bottom": Face(parts, "bottom", where=in_ring, label=f"ring cold plate on the board bottom, {what}"),
        }

    def points(self) -> dict[str, tuple[float, float, float]]:
        cx, cy, sx, sy = self.lay.footprint
        d = self.board.probe_gap_mm
        return {"board_probe": (cx + sx / 2 + d, cy, self.top) if sx >= sy else (cx, cy + sy / 2 + d, self.top)}

    def note(self) -> str:
        b = self.board
        if self.lay.qfn:
            how = f"die pad and {len(self.lay.leads)} leads on {b.solder_mm * 1000:g} um of solder"
        else:
            assert self.joint is not None
            n = self.lay.balls.realised if self.lay.balls is not None else 0
            built = self.lay.ball_z.height if self.lay.ball_z is not None else 0.0
            how = (f"{n} balls soldered to {2 * self.joint.radius_at(self.joint.bottom):.3g} mm board pads "
                   f"(joint {self.joint.height:.3g} mm high, {built:g} mm as built)")
        return (f"soldered to a {b.length_mm:g} x {b.width_mm:g} x {b.thickness_mm:g} mm test board: {how}"
                + (f"; via field under the {self.lay.die_pad[2]:g} x {self.lay.die_pad[3]:g} mm exposed pad"
                   if self.via_rect() is not None and self.lay.die_pad is not None else ""))


def _within(rect: Rect, region: Rect, tol: float = 1e-9) -> bool:
    return (abs(rect[0] - region[0]) + rect[2] / 2 <= region[2] / 2 + tol
            and abs(rect[1] - region[1]) + rect[3] / 2 <= region[3] / 2 + tol)


def _thin_thickness(lay: Layout) -> dict[str, float]:
    st = lay.stack
    out = {Role.DIE_ATTACH: st.chip_bottom - st.carrier_top, Role.ADHESIVE: st.adhesive_top - st.adhesive_bottom,
           Role.INTERFACE_LAYER: st.interface_top - st.second_surface}
    if st.buffer_bottom is not None:
        out[Role.BUFFER_PAD_ATTACH] = st.buffer_bottom - st.chip_top
    return {str(k): v for k, v in out.items()}


def _faces(lay: Layout, options: FemOptions, parts: tuple[FemPart, ...], notes: list[str]
           ) -> dict[str, Face]:
    """The named faces (see :data:`FACE_NAMES`)."""
    names = {p.name for p in parts}
    faces: dict[str, Face] = {}
    if options.heat_sink:
        il = lay.spec.interface_layer
        faces["top"] = Face("interface_layer", "top", label=f"package top: the {il.thickness * 1000:g} um "
                            f"{il.material} interface layer on the heat sink's second surface")
    else:
        faces["top"] = Face("encapsulant", "top", label="package top: mold (no heat sink)")
    faces["chip_active"] = (Face("chip", "top", label="chip top (active face, wire bond)") if lay.wirebond
                            else Face("chip", "bottom", label="chip bottom (active face, flip chip)"))
    if lay.qfn:
        faces["board_side"] = Face(("die_pad", "lead"), "bottom",
                                   label="bottom of the die pad and the leads (board side)")
    elif "ball_block" in names:
        faces["board_side"] = Face("ball_block", "bottom", label="ball ends (board side), the ball block's bottom")
    elif "ball" in names and isinstance(options.board, TestBoard):
        faces["board_side"] = Face("ball", "bottom", label="the soldered balls' flats on the board pads")
    elif "ball" in names:
        notes.append("every ball is its CAD solid, which touches the board at a point: no board-side face "
                     "(theta-JB needs the balls seated on pads)")
    else:
        faces["board_side"] = Face("carrier", "bottom", label="substrate bottom (board side)")
    for p in parts:
        if p.thickness_mm is not None:
            what = p.name.replace("_", " ")
            faces[f"{p.name}_bottom"] = Face(p.name, "bottom", label=f"{what}: its bottom face")
            faces[f"{p.name}_top"] = Face(p.name, "top", label=f"{what}: its top face")
    return faces
