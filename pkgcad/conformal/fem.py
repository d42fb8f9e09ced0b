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
- **board**: a board block under the package, its top on the seating plane.
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

from collections.abc import Callable
from dataclasses import dataclass, field

import cadquery as cq

from ..geometry.shapes import box, cut_all
from ..layout import Layout, Sites, SphereCut
from ..rect import Rect
from ..roles import Role
from .faces import Face
from .fuse import conformal, package_of
from .model import ConformalModel, Extra

THIN_LAYERS: tuple[str, ...] = (Role.DIE_ATTACH, Role.BUFFER_PAD_ATTACH, Role.ADHESIVE, Role.INTERFACE_LAYER)
"""Roles of the thin bond lines and films: meshed structured through their thickness."""
LEFT_OUT: frozenset[str] = frozenset({Role.WIRE, Role.BOND_FINGER})
"""Roles a solver model leaves to the mold by default (25 um wires and 18 um fingers would need 10 um tets)."""
BASELINE_REMOVED: frozenset[str] = frozenset({Role.HEAT_SINK, Role.INTERFACE_LAYER, Role.ADHESIVE, Role.BUFFER_PAD,
                                              Role.BUFFER_PAD_ATTACH})
"""Roles the no-heat-sink baseline replaces by mold."""
ARRAYS = ("blocks", "full")
FACE_NAMES = ("top", "chip_active", "board_side")
"""The named faces every model has (``board_side`` not with full-detail balls, which touch the board at a point),
besides ``<thin layer>_bottom`` / ``<thin layer>_top`` of each thin layer present."""
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
class FemOptions:
    """What the solver model makes of the real parts (see the module notes)."""

    arrays: str = "blocks"
    heat_sink: bool = True
    leave_out: frozenset[str] = LEFT_OUT
    board: BoardBlock | None = None

    def __post_init__(self) -> None:
        if self.arrays not in ARRAYS:
            raise ValueError(f"arrays {self.arrays!r} is not one of {', '.join(ARRAYS)}")


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
    simplified, and where the mesher refines (:attr:`refine`: boxes (xmin, ymin, zmin, xmax, ymax, zmax))."""

    layout: Layout
    options: FemOptions
    conformal: ConformalModel
    parts: tuple[FemPart, ...]
    faces: dict[str, Face]
    bounds: tuple[float, float, float, float, float, float]  # the package, board excluded
    refine: tuple[tuple[float, float, float, float, float, float], ...]
    notes: tuple[str, ...] = field(default=())

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
    if options.arrays == "blocks":
        for block in _array_blocks(lay):
            excluded.add(block.role)
            blocks[f"{block.role}_block"] = block
            extra.append(Extra(f"{block.role}_block", f"{block.role}_block", block.role, "solder",
                               _block_shape(block)))
    st = lay.stack
    if not options.heat_sink:
        excluded |= BASELINE_REMOVED & present
        enc = lay.spec.encapsulant.material
        extra.append(Extra("encapsulant_cap", "encapsulant", Role.ENCAPSULANT, enc,
                           box(lay.footprint, st.first_surface, st.interface_top)))
    b = options.board
    if b is not None:
        cx, cy = lay.footprint[:2]
        zb = lay.seating_plane
        extra.append(Extra(b.part, b.part, "board", "board",
                           box(Rect(cx, cy, b.length_mm, b.width_mm), zb - b.thickness_mm, zb)))
    say(f"fusing {sum(len(p.placements) for p in pkg.parts if str(p.role) not in excluded)} solids")
    model = conformal(pkg, exclude_roles=sorted(excluded), extra=extra, boxes=THIN_LAYERS)
    thickness = _thin_thickness(lay)
    roles = {s.part: s.role for s in model.solids}
    materials = model.materials()
    parts = tuple(FemPart(name, roles[name], materials[name], vol, blocks.get(name),
                          thickness.get(roles[name]) if roles[name] in THIN_LAYERS else None)
                  for name, vol in model.part_volumes().items())
    faces = _faces(lay, options, parts, notes)
    left = sorted(excluded & set(options.leave_out))
    if left:
        counts = {r: sum(len(p.placements) for p in pkg.parts if p.role == r) for r in left}
        notes.append("left out (mold in their place): " + ", ".join(f"{n} {r.replace('_', ' ')}s"
                                                                    for r, n in counts.items()))
    cx, cy, sx, sy = lay.chip
    z0, z1 = lay.bounds[2], lay.bounds[5]
    m = REFINE_MARGIN_MM
    refine = ((cx - sx / 2 - m, cy - sy / 2 - m, z0, cx + sx / 2 + m, cy + sy / 2 + m, z1),)
    return FemModel(lay, options, model, parts, faces, lay.bounds, refine, tuple(notes))


def _array_blocks(lay: Layout) -> list[ArrayBlock]:
    """The bump and ball arrays as blocks over their cells (each site's pitch square)."""
    out = []
    for role, sites, sphere, matrix in ((Role.BUMP, lay.bumps, lay.bump_z, lay.spec.encapsulant.material),
                                        (Role.BALL, lay.balls, lay.ball_z, "air")):
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
