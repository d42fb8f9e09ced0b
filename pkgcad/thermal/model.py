"""The package as a thermal model: a resolved :class:`~pkgcad.layout.Layout` -> named solids, conductivities,
thin-layer contacts and the faces the JEDEC metrics need (pure maths, no gmsh: :mod:`.geometry` meshes it).

What each part becomes (all lengths mm, conductivities W/m K):

- carrier: a BGA substrate is one orthotropic block, a laminate of BT resin and its copper layers
  (:data:`SUBSTRATE`, the FloTHERM PACK practice of volume-averaged metal layers); a QFN lead frame is the die
  pad and the leads, copper, with the mold between them.
- chip, buffer pad, heat sink plate (with its connecting portion): solids of their materials.
- thin layers are NOT meshed: the die attach, the buffer-pad attach and the adhesive are exact interface
  resistances (:class:`~pkgcad.thermal.contact.Contact`). To keep every z level, the neighbour grows over the
  layer (chip down over the die attach, buffer pad down over its attach, the heat sink down over the adhesive as
  a pedestal of the adhesive's footprint) and the contact takes the grown neighbour's own t/k off again.
  The interface layer on top is a series film under the held / cooled top face (``PackageFaces.top_layers``).
- arrays: bumps and balls are orthotropic blocks over their cells (:func:`homogenize.ball_array`; matrix: mold
  under the chip, air under the substrate); ``detail="full"`` makes every bump and ball a truncated sphere
  instead (to measure the homogenisation error). Balls are taken as truncated symmetrically (a pad on the board
  as wide as the one on the substrate): the built ball touches the board at a point, which has no theta-JB.
- left out, and said so in the notes: bonding wires (their parallel conductance is reported), bond fingers,
  the first surface's texture.
- mold fills the body (the envelope minus everything it holds); with ``heat_sink=False`` (the baseline of
  ``--compare``) it also fills where the heat sink, its interface layer, adhesive and buffer pad were.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pkgcad.layout import Layout, Rect, Sites
from pkgcad.materials import MATERIALS
from pkgcad.thermal.board import BOARD_PART, BoardSpec
from pkgcad.thermal.conductivity import Conductivity, MaterialSpec
from pkgcad.thermal.contact import Contact
from pkgcad.thermal.faces import Face
from pkgcad.thermal.homogenize import ball_array, laminate, parallel
from pkgcad.thermal.jedec import PackageFaces

AIR_K_W_MK = 0.0263  # CRC Handbook, 97th ed.: dry air at 300 K
DETAILS = ("homogenised", "full")


@dataclass(frozen=True)
class SubstrateStack:
    """A BGA substrate as a laminate: BT resin with ``layers`` copper layers of ``copper_mm`` at ``coverage``.

    Source of the method and ranges: FloTHERM PACK user guide, "Organic Substrate": resin 0.2-0.3 W/m K; metal
    layers volume-averaged by their coverage, 10-20 % for signal traces up to 100 % for planes; metal layers
    raise the in-plane conductivity and leave the through-plane one nearly unchanged (thermal vias, not
    modelled here, would raise it). Defaults: two 18 um layers at 20 %, resin 0.2 (materials table): about
    8 W/m K in-plane and 0.22 through the thickness for a 0.36 mm substrate.
    """

    layers: int = 2
    copper_mm: float = 0.018
    coverage: float = 0.20
    resin_k_w_mk: float = MATERIALS["bt-laminate"].conductivity_w_mk

    def conductivity(self, thickness_mm: float) -> Conductivity:
        k_cu = MATERIALS["copper"].conductivity_w_mk
        metal = parallel(k_cu, self.resin_k_w_mk, self.coverage)
        resin = thickness_mm - self.layers * self.copper_mm
        lam = laminate([(resin, self.resin_k_w_mk)] + [(self.copper_mm, metal)] * self.layers)
        return Conductivity(lam.kx, lam.ky, lam.kz, f"BT substrate, {self.layers} Cu layers "
                            f"{self.copper_mm * 1000:g} um at {self.coverage:.0%} (laminate)")


SUBSTRATE = SubstrateStack()


@dataclass(frozen=True)
class Solid:
    """A box ``(x0, y0, z0, dx, dy, dz)`` minus an optional inner box (a ring of peripheral sites)."""

    box: tuple[float, float, float, float, float, float]
    hole: tuple[float, float, float, float, float, float] | None = None


@dataclass(frozen=True)
class SphereArray:
    """Truncated spheres of ``radius`` centred at (x, y, z_centre), cut flat at z_lo and z_hi."""

    radius: float
    z_lo: float
    z_hi: float
    z_centre: float
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class ThermalModel:
    """Named solids (later names win where they overlap), their conductivities, the contacts and the faces."""

    name: str
    variant: str
    detail: str
    shapes: dict[str, list[Solid | SphereArray]]
    materials: dict[str, MaterialSpec]
    contacts: tuple[Contact, ...]
    faces: PackageFaces
    package_box: tuple[float, float, float, float, float, float]
    refine: tuple[tuple[float, float, float, float, float, float, float], ...]
    notes: tuple[str, ...] = field(default=())
    far_size_mm: float | None = None  # element size on the board block, away from the package

    @property
    def n_sites(self) -> int:
        return sum(len(s.points) for ss in self.shapes.values() for s in ss if isinstance(s, SphereArray))


def _box(rect: Rect, z0: float, z1: float) -> tuple[float, float, float, float, float, float]:
    cx, cy, sx, sy = rect
    return (cx - sx / 2, cy - sy / 2, z0, sx, sy, z1 - z0)


def _k(material: str) -> float:
    return MATERIALS[material].conductivity_w_mk


def _array_blocks(sites: Sites, z0: float, z1: float) -> Solid:
    """The cells of a fitted array (each site's pitch square), a ring for a peripheral pattern."""
    grid = sites.grid
    assert grid is not None
    p = grid.pitch
    outer = _box((0.0, 0.0, grid.nx * p, grid.ny * p), z0, z1)
    hole = None
    if grid.rows is not None and 2 * grid.rows < min(grid.nx, grid.ny):
        hole = _box((0.0, 0.0, (grid.nx - 2 * grid.rows) * p, (grid.ny - 2 * grid.rows) * p), z0, z1)
    return Solid(outer, hole)


def build_model(lay: Layout, *, heat_sink: bool = True, detail: str = "homogenised",
                board: BoardSpec | None = None) -> ThermalModel:
    """The thermal model of ``lay`` (see the module doc); ``heat_sink=False``: the no-heat-sink baseline;
    ``board``: the package on a JESD51-7-like board block (for the theta-JA estimate), its top at the board side."""
    if detail not in DETAILS:
        raise ValueError(f"detail {detail!r} is not one of {', '.join(DETAILS)}")
    spec, st = lay.spec, lay.stack
    fx0, fy0, fx1, fy1 = (-spec.carrier.size[0] / 2, -spec.carrier.size[1] / 2,
                          spec.carrier.size[0] / 2, spec.carrier.size[1] / 2)
    top_z = st.second_surface if heat_sink else st.interface_top
    shapes: dict[str, list[Solid | SphereArray]] = {"mold": [Solid(_box(lay.footprint, lay.mold_bottom,
                                                                        st.first_surface if heat_sink else top_z))]}
    mats: dict[str, MaterialSpec] = {"mold": spec.encapsulant.material}
    contacts: list[Contact] = []
    notes: list[str] = []
    bottom_z = 0.0

    # carrier
    if lay.qfn:
        assert lay.die_pad is not None
        shapes["die_pad"] = [Solid(_box(lay.die_pad, 0.0, st.carrier_top))]
        shapes["leads"] = [Solid(_box(ld.rect, 0.0, st.carrier_top)) for ld in lay.leads]
        mats["die_pad"] = mats["leads"] = "copper"
        board_face = Face(("die_pad", "leads"), "bottom", label="bottom of the die pad and the leads (board side)")
        below_chip = "die_pad"
    else:
        shapes["carrier"] = [Solid(_box(lay.footprint, 0.0, st.carrier_top))]
        mats["carrier"] = SUBSTRATE.conductivity(spec.carrier.thickness)
        below_chip = "carrier"
        board_face = Face("carrier", "bottom", label="substrate bottom (board side)")
        if lay.balls is not None and lay.balls.realised:
            b = spec.balls
            bottom_z = -b.height
            board_face = Face("balls", "bottom", label="ball ends (board side)")
            if detail == "full":
                shapes["balls"] = [SphereArray(b.diameter / 2, -b.height, 0.0, -b.height / 2,
                                               tuple((float(x), float(y)) for x, y in lay.balls.points))]
                mats["balls"] = "solder"
            else:
                shapes["balls"] = [_array_blocks(lay.balls, -b.height, 0.0)]
                g = lay.balls.grid
                assert g is not None
                mats["balls"] = _label(ball_array(_k("solder"), AIR_K_W_MK, b.diameter, b.height, g.pitch),
                                       f"{lay.balls.realised} solder balls in air, homogenised")

    # chip and what joins it to the carrier
    if lay.wirebond:
        shapes["chip"] = [Solid(_box(lay.chip, st.carrier_top, st.chip_top))]
        da = spec.die_attach
        contacts.append(Contact.thin_layer(below_chip, "chip", da.thickness, _k(da.material),
                                           absorbed_k_w_mk=_k("silicon"),
                                           label=f"die attach {da.thickness * 1000:g} um {da.material}"))
        wire_g = _wire_conductance_w_k(lay)
        notes.append(f"bonding wires left out (mold in their place): all {len(lay.wires)} in parallel conduct "
                     f"{wire_g * 1000:.3g} mW/K chip to carrier, against the die attach's "
                     f"{_die_attach_conductance_w_k(lay):.3g} W/K")
        active = Face("chip", "top", label="chip top (active face, wire bond)")
    else:
        shapes["chip"] = [Solid(_box(lay.chip, st.chip_bottom, st.chip_top))]
        assert lay.bumps is not None
        bu = spec.bumps
        if detail == "full":
            shapes["bumps"] = [SphereArray(bu.diameter / 2, st.carrier_top, st.chip_bottom,
                                           st.carrier_top + bu.height / 2,
                                           tuple((float(x), float(y)) for x, y in lay.bumps.points))]
            mats["bumps"] = "solder"
        else:
            shapes["bumps"] = [_array_blocks(lay.bumps, st.carrier_top, st.chip_bottom)]
            g = lay.bumps.grid
            assert g is not None
            mats["bumps"] = _label(ball_array(_k("solder"), _k(spec.encapsulant.material), bu.diameter, bu.height,
                                              g.pitch), f"{lay.bumps.realised} solder bumps in mold, homogenised")
        active = Face("chip", "bottom", label="chip bottom (active face, flip chip)")
    mats["chip"] = "silicon"

    # the claimed heat path above the chip
    top_layers: tuple[tuple[float, float], ...] = ()
    if heat_sink:
        under_sink = "chip"
        if lay.buffer_pad is not None:
            bp = spec.buffer_pad
            assert st.buffer_top is not None
            shapes["buffer_pad"] = [Solid(_box(lay.buffer_pad, st.chip_top, st.buffer_top))]
            mats["buffer_pad"] = bp.material
            contacts.append(Contact.thin_layer("chip", "buffer_pad", bp.attach_thickness,
                                               _k(spec.adhesive.material), absorbed_k_w_mk=_k(bp.material),
                                               label=f"buffer-pad attach {bp.attach_thickness * 1000:g} um "
                                               f"{spec.adhesive.material}"))
            under_sink = "buffer_pad"
        hs = spec.heat_sink
        sink: list[Solid | SphereArray] = [Solid(_box(lay.footprint, st.first_surface, st.second_surface)),
                Solid(_box(lay.adhesive, st.adhesive_bottom, st.adhesive_top))]
        if lay.connecting_portion is not None:
            sink.append(Solid(_box(lay.connecting_portion, st.adhesive_top, st.first_surface)))
        shapes["heat_sink"] = sink
        mats["heat_sink"] = hs.material
        ad = spec.adhesive
        contacts.append(Contact.thin_layer(under_sink, "heat_sink", ad.thickness, _k(ad.material),
                                           absorbed_k_w_mk=_k(hs.material),
                                           label=f"adhesive {ad.thickness * 1000:g} um {ad.material}"))
        il = spec.interface_layer
        top_layers = ((il.thickness, _k(il.material)),)
        top = Face("heat_sink", "top", label=f"package top: heat sink second surface under the "
                   f"{il.thickness * 1000:g} um {il.material} interface layer")
        if lay.texture.kind != "flat":
            notes.append(f"first-surface texture ({lay.texture.kind}, {lay.texture.count} features) left out: "
                         "the plate is flat below")
    else:
        top = Face("mold", "top", label="package top: mold (no heat sink)")
        notes.append("baseline: mold where the heat sink, its interface layer, the adhesive"
                     + (" and the buffer pad" if lay.buffer_pad is not None else "") + " were")
    if lay.fingers:
        notes.append(f"{len(lay.fingers)} bond fingers (copper, {spec.wires.finger_thickness * 1000:g} um) left out")
    far = None
    if board is not None:
        shapes = {BOARD_PART: [Solid((-board.length_mm / 2, -board.width_mm / 2, bottom_z - board.thickness_mm,
                                      board.length_mm, board.width_mm, board.thickness_mm))], **shapes}
        kb = board.conductivity()
        mats[BOARD_PART] = kb
        far = 4.0
        notes.append(f"on a {board.length_mm:g} x {board.width_mm:g} x {board.thickness_mm:g} mm board block "
                     f"({kb.label}: k in-plane {kb.kx:.3g}, through {kb.kz:.3g} W/m K)")
    faces = PackageFaces(active=active, top=top, board=board_face, top_layers=top_layers)
    chip_box = _box(lay.chip, st.carrier_top, st.chip_top)
    margin = 0.5
    refine = ((chip_box[0] - margin, chip_box[1] - margin, bottom_z, chip_box[0] + chip_box[3] + margin,
               chip_box[1] + chip_box[4] + margin, top_z, 0.5),)
    return ThermalModel(
        name=spec.meta.name, variant="with heat sink" if heat_sink else "no heat sink", detail=detail,
        shapes=shapes, materials=mats, contacts=tuple(contacts), faces=faces,
        package_box=(fx0, fy0, bottom_z, fx1, fy1, top_z), refine=refine, notes=tuple(notes), far_size_mm=far,
    )


def _label(k: Conductivity, label: str) -> Conductivity:
    return Conductivity(k.kx, k.ky, k.kz, f"{label} (x {k.kx:.3g}, y {k.ky:.3g}, z {k.kz:.3g})")


def _wire_conductance_w_k(lay: Layout) -> float:
    """All wires in parallel, each L / (k A) along its centre line (W/K): the most they could add."""
    import numpy as np

    area = math.pi * (lay.spec.wires.diameter / 2) ** 2
    total = 0.0
    for w in lay.wires:
        pts = w.path.polyline()
        length = float(np.linalg.norm(np.diff(pts, axis=0), axis=1).sum())
        total += _k("gold") * 1e-3 * area / length
    return total


def _die_attach_conductance_w_k(lay: Layout) -> float:
    da = lay.spec.die_attach
    return _k(da.material) * 1e-3 * lay.chip[2] * lay.chip[3] / da.thickness
