"""The package as a thermal problem: the FEM model of the real parts (:mod:`pkgcad.conformal.fem`, the one
geometry pipeline) with a conductivity for each part, the faces the JEDEC metrics need and the notes on what
the model simplifies. No shapes are made here. Lengths mm, conductivities W/(m K).

What each part conducts:

- carrier: a BGA substrate is one orthotropic block, a laminate of BT resin and its copper layers
  (:data:`SUBSTRATE`, the FloTHERM PACK practice of volume-averaged metal layers); a QFN lead frame (die pad,
  leads) is copper.
- every other part its material's conductivity (the materials table), the thin layers included: die attach,
  buffer-pad attach, adhesive and interface layer are meshed with elements through their thickness, so their
  t/k is exact for P1 and nothing is taken off a neighbour.
- arrays (``detail="homogenised"``, the default): the bump block and the ball block are orthotropic
  (:func:`homogenize.ball_array`: slices of the truncated spheres in series through the height, Maxwell-Garnett
  across; matrix: mold between bumps, air between balls). The homogenised balls are taken as truncated
  symmetrically (a pad on the board as wide as the one on the substrate): the CAD ball touches the board at a
  point, which has no theta-JB. ``detail="full"``: every bump and ball is its CAD solid (to measure the
  homogenisation error); theta-JB then has no board-side face.
- left out by the pipeline, and said so: bonding wires (their parallel conductance is reported), bond fingers.
- the no-heat-sink baseline (``heat_sink=False``): mold where the heat sink, its interface layer, the adhesive
  and any buffer pad were, up to the same top.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pkgcad.conformal.fem import FemModel, FemOptions, fem_model
from pkgcad.conformal.femmesh import FemMesh
from pkgcad.layout import Layout
from pkgcad.materials import MATERIALS
from pkgcad.roles import Role
from pkgcad.thermal.board import BOARD_PART, BoardSpec
from pkgcad.thermal.conductivity import Conductivity, resolve
from pkgcad.thermal.homogenize import ball_array, laminate, parallel
from pkgcad.thermal.jedec import PackageFaces

AIR_K_W_MK = 0.0263  # CRC Handbook, 97th ed.: dry air at 300 K
DETAILS = {"homogenised": "blocks", "full": "full"}
"""``detail`` -> the pipeline's ``arrays``."""


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


@dataclass(frozen=True, eq=False)
class ThermalModel:
    """The FEM model, each part's conductivity, the faces of the metrics and the notes."""

    fem: FemModel
    conductivities: dict[str, Conductivity]
    faces: PackageFaces
    detail: str
    notes: tuple[str, ...] = ()

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

    def conductivity_w_mk(self, mesh: FemMesh) -> np.ndarray:
        """(3, n_elements): each element's conductivity along x, y, z, W/(m K)."""
        missing = [n for n in mesh.part_names if n not in self.conductivities]
        if missing:
            raise ValueError(f"no conductivity for part(s) {', '.join(missing)}")
        return mesh.per_element([self.conductivities[n].values for n in mesh.part_names])


def build_model(lay: Layout, *, heat_sink: bool = True, detail: str = "homogenised",
                board: BoardSpec | None = None, progress: Callable[[str], None] | None = None) -> ThermalModel:
    """The thermal model of ``lay`` (see the module doc); ``heat_sink=False``: the no-heat-sink baseline;
    ``board``: the package on a JESD51-7-like board block (for the theta-JA estimate)."""
    if detail not in DETAILS:
        raise ValueError(f"detail {detail!r} is not one of {', '.join(DETAILS)}")
    options = FemOptions(arrays=DETAILS[detail], heat_sink=heat_sink,
                         board=board.block() if board is not None else None)
    fem = fem_model(lay, options, progress=progress)
    ks: dict[str, Conductivity] = {}
    for part in fem.parts:
        if part.block is not None:
            b = part.block
            k_matrix = AIR_K_W_MK if b.matrix == "air" else _k(b.matrix)
            what = "bumps in mold" if part.role == Role.BUMP else "balls in air"
            ks[part.name] = _label(ball_array(_k("solder"), k_matrix, b.sphere.diameter, b.sphere.height, b.pitch),
                                   f"{b.sites.realised} solder {what}, homogenised")
        elif part.name == BOARD_PART and board is not None:
            ks[part.name] = board.conductivity()
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
    if board is not None:
        kb = ks[BOARD_PART]
        notes.append(f"on a {board.length_mm:g} x {board.width_mm:g} x {board.thickness_mm:g} mm board block "
                     f"({kb.label}: k in-plane {kb.kx:.3g}, through {kb.kz:.3g} W/m K)")
    faces = PackageFaces(active=fem.faces["chip_active"], top=fem.faces["top"], board=fem.faces.get("board_side"))
    return ThermalModel(fem, ks, faces, detail, tuple(notes))


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
