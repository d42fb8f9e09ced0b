"""The package as a thermal problem: the FEM model of the real parts (:mod:`pkgcad.conformal.fem`, the one
geometry pipeline) with a conductivity for each part, the faces the JEDEC metrics need and the notes on what
the model simplifies. No shapes are made here. Lengths mm, conductivities W/(m K).

What each part conducts:

- carrier: a BGA substrate is BT resin with its two copper layers as conducting sheets on its faces
  (:data:`SUBSTRATE`: the FloTHERM PACK laminate's totals, the copper kept where it is, on the ball pads' face
  and the top); a QFN lead frame (die pad, leads) is copper.
- every other part its material's conductivity (the materials table), the thin layers included: die attach,
  buffer-pad attach, adhesive and interface layer are meshed with elements through their thickness, so their
  t/k is exact for P1 and nothing is taken off a neighbour.
- the package is soldered to the JEDEC 2s2p test board (:mod:`pkgcad.thermal.board`): FR-4 slabs with the
  copper planes and traces as conducting sheets, a via field under a QFN's exposed pad. The JESD51-8 theta-JB and
  the heat split use the whole assembly; theta-JC(top) and theta-JC(bot) use the package alone (the same mesh less
  the board, its solder and the balls: :attr:`ThermalModel.package_parts`).
- arrays (``detail``): ``"homogenised"`` (the default) makes the bump array one orthotropic block
  (:func:`homogenize.sphere_cut_array`: slices of the cut spheres in series through the height, Maxwell-Garnett
  across; mold between the bumps) and keeps every soldered ball a solid, where the detail matters: the heat enters
  the board through each joint's pad; ``"blocks"``: the balls too as one block (air between them); ``"full"``:
  every bump and ball its solid (to measure the homogenisation error).
- left out by the pipeline, and said so: bonding wires (their parallel conductance is reported), bond fingers.
- the no-heat-sink baseline (``heat_sink=False``): mold where the heat sink, its interface layer, the adhesive
  and any buffer pad were, up to the same top.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pkgcad.conformal.faces import PlaneFacets
from pkgcad.conformal.fem import BOARD_VIAS, FemModel, FemOptions, fem_model
from pkgcad.conformal.femmesh import FemMesh
from pkgcad.layout import Layout
from pkgcad.materials import MATERIALS
from pkgcad.roles import Role
from pkgcad.solvers.conduction import Sheet
from pkgcad.thermal.board import JedecBoard
from pkgcad.thermal.conductivity import Conductivity, resolve
from pkgcad.thermal.homogenize import laminate, parallel, sphere_cut_array
from pkgcad.thermal.jedec import PackageFaces

AIR_K_W_MK = 0.0263  # CRC Handbook, 97th ed.: dry air at 300 K
DETAILS: dict[str, tuple[str, frozenset[str]]] = {
    "homogenised": ("blocks", frozenset({str(Role.BALL)})),
    "blocks": ("blocks", frozenset()),
    "full": ("full", frozenset()),
}
"""``detail`` -> the pipeline's ``arrays`` and the roles kept as solids (see the module notes)."""
SOLDERED = frozenset({str(Role.BALL), "ball_block"})
"""Parts that are the package's balls, soldered: left out with the board for theta-JC."""


@dataclass(frozen=True)
class SubstrateStack:
    """A BGA substrate as a laminate: BT resin with ``layers`` copper layers of ``copper_mm`` at ``coverage``.

    Source of the method and ranges: FloTHERM PACK user guide, "Organic Substrate": resin 0.2-0.3 W/m K; metal
    layers volume-averaged by their coverage, 10-20 % for signal traces up to 100 % for planes; metal layers
    raise the in-plane conductivity and leave the through-plane one nearly unchanged (thermal vias, not
    modelled here, would raise it). Defaults: two 18 um layers at 20 %, resin 0.2 (materials table): as one
    block about 8 W/m K in-plane and 0.22 through the thickness for a 0.36 mm substrate (:meth:`laminate`).

    The model keeps the copper where it is (issue 25): the layers of a two-layer substrate are its faces, the
    bottom one the ball pads' layer, so each layer is a conducting sheet on its face (:meth:`sheet_w_k`, in-plane
    k t at its coverage, as the test board's copper) and the block between them (:meth:`conductivity`) conducts
    the rest: the laminate's through-thickness k and the resin's share of its in-plane conductance. The totals
    are the laminate's. Spread through the block instead, the copper made the resin a 36:1 anisotropic medium
    right at the 0.4 mm pads, whose constriction no isotropic mesh resolves: theta-JB rose 1.5-5 % per mesh
    halving, without end in sight (README, Thermal, "Mesh convergence")."""

    layers: int = 2
    copper_mm: float = 0.018
    coverage: float = 0.20
    resin_k_w_mk: float = MATERIALS["bt-laminate"].conductivity_w_mk

    def __post_init__(self) -> None:
        if self.layers not in (1, 2):
            raise ValueError(f"substrate copper layers: {self.layers!r}; 1 (the ball pads' face) or 2 (both faces): "
                             "inner layers have no mesh plane to lie on")

    def metal_k_w_mk(self) -> float:
        """A copper layer at its coverage (copper and resin side by side)."""
        return parallel(MATERIALS["copper"].conductivity_w_mk, self.resin_k_w_mk, self.coverage)

    def laminate(self, thickness_mm: float) -> Conductivity:
        """The whole substrate as one block: resin and copper layers volume-averaged (FloTHERM PACK's practice)."""
        resin = thickness_mm - self.layers * self.copper_mm
        lam = laminate([(resin, self.resin_k_w_mk)] + [(self.copper_mm, self.metal_k_w_mk())] * self.layers)
        return Conductivity(lam.kx, lam.ky, lam.kz, f"BT substrate, {self.layers} Cu layers "
                            f"{self.copper_mm * 1000:g} um at {self.coverage:.0%} (laminate)")

    def conductivity(self, thickness_mm: float) -> Conductivity:
        """The block between the copper sheets: the laminate's kz, the resin's in-plane conductance spread over
        the whole thickness (the copper's is in the sheets)."""
        kz = self.laminate(thickness_mm).kz
        k_plane = self.resin_k_w_mk * (thickness_mm - self.layers * self.copper_mm) / thickness_mm
        return Conductivity(k_plane, k_plane, kz, f"BT substrate between its {self.layers} Cu layers (sheets on its "
                            f"faces): x {k_plane:.3g}, y {k_plane:.3g}, z {kz:.3g}")

    def sheet_w_k(self) -> float:
        """In-plane conductance k t [W/K] of one copper layer (a sheet)."""
        return self.metal_k_w_mk() * self.copper_mm * 1e-3

    def sheets(self, lay: Layout) -> tuple[Sheet, ...]:
        """The copper layers of ``lay``'s substrate (z = 0 to the carrier top) as sheets over its footprint: the
        bottom face (the ball pads' layer) and, with two layers, the top face."""
        x0, y0, _z0, x1, y1, _z1 = lay.bounds
        levels = (("substrate_bottom_copper", 0.0), ("substrate_top_copper", lay.stack.carrier_top))
        return tuple(Sheet(PlaneFacets(z, (x0, y0, x1, y1), f"{name.replace('_', ' ')} (z = {z:g} mm, "
                                       f"{self.copper_mm * 1000:g} um at {self.coverage:.0%})"), self.sheet_w_k(), name)
                     for name, z in levels[: self.layers])


SUBSTRATE = SubstrateStack()


@dataclass(frozen=True, eq=False)
class ThermalModel:
    """The FEM model (the package soldered to its test board), each part's conductivity, the board's copper
    sheets, the faces of the metrics, the parts of the package alone and the notes."""

    fem: FemModel
    conductivities: dict[str, Conductivity]
    faces: PackageFaces
    detail: str
    notes: tuple[str, ...] = ()
    sheets: tuple[Sheet, ...] = ()
    board: JedecBoard | None = None
    package_sheets: tuple[Sheet, ...] = ()  # the package's own (a BGA substrate's copper): in ``sheets`` too

    @property
    def name(self) -> str:
        return self.fem.name

    @property
    def variant(self) -> str:
        return "with heat sink" if self.fem.options.heat_sink else "no heat sink"

    @property
    def n_sites(self) -> int:
        return self.fem.n_sites

    @property
    def package_box(self) -> tuple[float, float, float, float, float, float]:
        return self.fem.bounds

    @property
    def package_parts(self) -> tuple[str, ...]:
        """The package alone: every part but the board, its vias and solder, and the soldered balls."""
        return tuple(p.name for p in self.fem.parts if p.name not in self.fem.assembly | SOLDERED)

    @property
    def probe(self) -> tuple[float, float, float] | None:
        """Where the board thermocouple reads (JESD51-8), or None without a board."""
        return self.fem.points.get("board_probe")

    def conductivity_w_mk(self, mesh: FemMesh) -> np.ndarray:
        """(3, n_elements): each element's conductivity along x, y, z, W/(m K)."""
        missing = [n for n in mesh.part_names if n not in self.conductivities]
        if missing:
            raise ValueError(f"no conductivity for part(s) {', '.join(missing)}")
        return mesh.per_element([self.conductivities[n].values for n in mesh.part_names])


def build_model(lay: Layout, *, heat_sink: bool = True, detail: str = "homogenised", board: bool = True,
                progress: Callable[[str], None] | None = None) -> ThermalModel:
    """The thermal model of ``lay`` (see the module doc): soldered to its JEDEC test board unless ``board`` is
    False or the package has neither balls nor QFN leads (an LGA); ``heat_sink=False``: the no-heat-sink
    baseline."""
    if detail not in DETAILS:
        raise ValueError(f"detail {detail!r} is not one of {', '.join(DETAILS)}")
    arrays, keep = DETAILS[detail]
    jedec_board = JedecBoard.for_layout(lay) if board and (lay.qfn or lay.ball_z is not None) else None
    options = FemOptions(arrays=arrays, heat_sink=heat_sink, keep=keep,
                         board=jedec_board.geometry(lay) if jedec_board is not None else None)
    fem = fem_model(lay, options, progress=progress)
    ks: dict[str, Conductivity] = {}
    if jedec_board is not None:
        ks.update(jedec_board.conductivities(lay))
    for part in fem.parts:
        if part.name in ks:
            continue
        if part.block is not None:
            b = part.block
            k_matrix = AIR_K_W_MK if b.matrix == "air" else _k(b.matrix)
            what = "bumps in mold" if part.role == Role.BUMP else "soldered balls in air"
            ks[part.name] = _label(sphere_cut_array(_k("solder"), k_matrix, b.sphere, b.pitch),
                                   f"{b.sites.realised} solder {what}, homogenised")
        elif part.role == Role.CARRIER and not lay.qfn:
            ks[part.name] = SUBSTRATE.conductivity(lay.stack.carrier_top)  # the substrate: z = 0 to its top
        else:
            ks[part.name] = resolve(part.material, part=part.name)
    notes = list(fem.notes)
    if lay.wirebond:
        notes.append(f"the {len(lay.wires)} bonding wires in parallel conduct {_wire_conductance_w_k(lay) * 1000:.3g}"
                     f" mW/K chip to carrier, against the die attach's {_die_attach_conductance_w_k(lay):.3g} W/K")
    for part in fem.thin_parts():
        assert part.thickness_mm is not None
        k = ks[part.name].kz
        notes.append(f"{part.name.replace('_', ' ')} {part.thickness_mm * 1000:g} um {part.material} (k {k:g} W/m K)"
                     f" meshed, {part.thickness_mm / (k * 1e-3):.4g} mm2 K/W through it")
    if not heat_sink:
        notes.append("baseline: mold where the heat sink, its interface layer, the adhesive"
                     + (" and the buffer pad" if lay.buffer_pad is not None else "") + " were")
    package_sheets: tuple[Sheet, ...] = ()
    if any(p.role == Role.CARRIER for p in fem.parts) and not lay.qfn:
        package_sheets = SUBSTRATE.sheets(lay)
        notes.append("substrate copper as conducting sheets: " + "; ".join(
            f"{sh.plane.describe()}, {sh.conductance_w_k * 1000:.3g} mW/K in plane" for sh in package_sheets))
    sheets = package_sheets
    if jedec_board is not None:
        conductance = jedec_board.sheets_w_k()
        sheets += tuple(Sheet(plane, conductance[name], name) for name, plane in fem.planes.items())
        notes.append(jedec_board.describe())
        if BOARD_VIAS in ks:
            notes.append(ks[BOARD_VIAS].label)
    elif not lay.qfn and lay.ball_z is None:
        notes.append("an LGA (no balls, no QFN leads): no soldered board model, so no theta-JB")
    faces = PackageFaces(active=fem.faces["chip_active"], top=fem.faces["top"], board=fem.faces.get("board_side"),
                         ring=(fem.faces["ring_top"], fem.faces["ring_bottom"]) if "ring_top" in fem.faces else None,
                         exposed_pad=lay.qfn)
    return ThermalModel(fem, ks, faces, detail, tuple(notes), sheets, jedec_board, package_sheets)


def _k(material: str) -> float:
    return MATERIALS[material].conductivity_w_mk


def _label(k: Conductivity, label: str) -> Conductivity:
    return Conductivity(k.kx, k.ky, k.kz, f"{label} (x {k.kx:.3g}, y {k.ky:.3g}, z {k.kz:.3g})")


def _wire_conductance_w_k(lay: Layout) -> float:
    """All wires in parallel, each L / (k A) along its centre line (W/K): the most they could add."""
    area = math.pi * (lay.spec.wires.diameter / 2) ** 2
    total = 0.0
    for w in lay.wires:
        pts = w.path.polyline()
        length = float(np.linalg.norm(np.diff(pts, axis=0), axis=1).sum())
        total += _k("gold") * 1e-3 * area / length
    return total


def _die_attach_conductance_w_k(lay: Layout) -> float:
    thickness = lay.stack.chip_bottom - lay.stack.carrier_top
    return _k(lay.spec.die_attach.material) * 1e-3 * lay.chip[2] * lay.chip[3] / thickness
