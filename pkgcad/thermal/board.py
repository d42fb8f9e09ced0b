"""The JEDEC thermal test board the package is soldered to: theta-JB (JESD51-8) and the still-air estimates.

What the standards give, and what is assumed here (each number is in the output's notes):

- **board** (JESD51-7 for leaded and leadless packages such as a QFN, 114.3 x 76.2 mm; JESD51-9 for area arrays
  such as a BGA, 101.5 x 114.5 mm with the package centred in its 101.5 mm square towards the top): FR-4, 1.6 mm,
  the 2s2p build: top and bottom trace layers of 70 um (2 oz) copper and two solid 35 um (1 oz) planes inside,
  0.25 mm of dielectric under each trace layer (JESD51-9 figure 1b, JESD51-11 table 4: "dielectric layer
  thickness 0.25 mm"). Modelled as FR-4 slabs (k :data:`FR4_K_W_MK`, isotropic) with the copper as conducting
  sheets of no thickness (:class:`~pkgcad.solvers.conduction.Sheet`, in-plane conductance k t): plane 1 0.32 mm
  below the top (the trace layer and its dielectric), plane 2 0.32 mm above the bottom, and the top trace layer on
  the top surface at :data:`TRACE_COVERAGE` of solid copper (the fan-out traces; an assumption: the standards fix
  the trace width, 36-44 % of the pitch, not the coverage). No bottom traces, no vias under a BGA.
- **soldered**: each ball collapses onto a board pad of the IPC-7351B nominal land for its diameter (the land
  ``pkgcad kicad`` draws; 0.40 mm for a 0.50 mm ball) keeping its solder volume
  (:meth:`~pkgcad.layout.Layout.ball_joint`); a QFN's die pad and leads sit on :data:`QFN_SOLDER_MM` of solder
  (full wetting, no voids), and the board has a via field under the exposed pad (JESD51-5's thermal land with
  vias to the planes) with the vias of ``pkgcad kicad --thermal-vias`` (:data:`VIA_DRILL_MM` drill at the inner
  corners of the paste grid), plated :data:`VIA_PLATING_MM`, homogenised with the FR-4 between them.
- **ring cold plate** (JESD51-8): clamps the board's top and bottom in a ring 5 mm outside the package's shadow
  (the standard's minimum), 4 mm wide (its minimum clamp width), held at the plate temperature; the package and
  the rest of the board adiabatic (the fixture's insulation). The board temperature Tb is read on the board's top,
  1 mm outside the middle of the package's longer side ("no more than 1 mm from the edge of the package body").
- **still air** (the JESD51-2A-like estimate, ``--board``): the same board in air, h = :data:`STILL_AIR_H_W_M2K`
  on every exposed face (convection and radiation together, a stated film coefficient, not a chamber measurement).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pkgcad.conformal.fem import BOARD_VIAS, TestBoard
from pkgcad.layout import Layout
from pkgcad.materials import MATERIALS
from pkgcad.thermal.conductivity import Conductivity
from pkgcad.thermal.homogenize import pillar_array

BOARD_PART = "board"
FR4_K_W_MK = 0.3
"""FR-4 through the thickness and in plane (glass-epoxy 0.25-0.35 W/m K; JEDEC board models commonly take 0.3)."""
TRACE_MM, TRACE_COVERAGE = 0.070, 0.20
PLANE_MM = 0.035
DIELECTRIC_MM = 0.25
QFN_SOLDER_MM = 0.05
VIA_DRILL_MM, VIA_PLATING_MM = 0.3, 0.025
STILL_AIR_H_W_M2K = 10.0
RING_GAP_MM, RING_WIDTH_MM, PROBE_GAP_MM = 5.0, 4.0, 1.0


@dataclass(frozen=True)
class JedecBoard:
    """The 2s2p test board of the standard that fits the package (see the module notes)."""

    standard: str
    length_mm: float  # x
    width_mm: float  # y
    offset_mm: tuple[float, float]  # board centre from the package centre
    thickness_mm: float = 1.6

    @classmethod
    def for_layout(cls, lay: Layout) -> JedecBoard:
        if lay.qfn:
            return cls("JESD51-7", 114.3, 76.2, (0.0, 0.0))
        return cls("JESD51-9", 101.5, 114.5, (0.0, -(114.5 - 101.5) / 2))  # package in the 101.5 mm square on top

    def planes(self) -> tuple[tuple[str, float], ...]:
        depth = TRACE_MM + DIELECTRIC_MM
        return (("plane_1", depth), ("plane_2", self.thickness_mm - depth))

    def geometry(self, lay: Layout) -> TestBoard:
        """The board as the FEM pipeline builds it under ``lay``."""
        return TestBoard(self.length_mm, self.width_mm, self.thickness_mm, self.planes(), pad_mm=board_pad_mm(lay),
                         solder_mm=QFN_SOLDER_MM, vias=lay.qfn, ring_gap_mm=RING_GAP_MM, ring_width_mm=RING_WIDTH_MM,
                         probe_gap_mm=PROBE_GAP_MM, offset_mm=self.offset_mm, part=BOARD_PART)

    def sheets_w_k(self) -> dict[str, float]:
        """In-plane conductance k t [W/K] of each copper sheet, by the pipeline's plane names."""
        k_cu = MATERIALS["copper"].conductivity_w_mk
        return {f"{BOARD_PART}_top_copper": TRACE_COVERAGE * k_cu * TRACE_MM * 1e-3,
                "plane_1": k_cu * PLANE_MM * 1e-3, "plane_2": k_cu * PLANE_MM * 1e-3}

    def conductivities(self, lay: Layout) -> dict[str, Conductivity]:
        out = {BOARD_PART: Conductivity.isotropic(FR4_K_W_MK, f"FR-4 ({self.standard} 2s2p board; copper as sheets)")}
        if lay.qfn:
            out[BOARD_VIAS] = via_field(lay)
        return out

    def describe(self) -> str:
        sheets = self.sheets_w_k()
        return (f"{self.standard} 2s2p test board {self.length_mm:g} x {self.width_mm:g} x {self.thickness_mm:g} mm: "
                f"FR-4 k {FR4_K_W_MK:g} W/m K; planes 1 and 2 ({PLANE_MM * 1000:g} um Cu, "
                f"{sheets['plane_1'] * 1000:.3g} mW/K each) {TRACE_MM + DIELECTRIC_MM:g} mm under the top and over the "
                f"bottom; top traces {TRACE_MM * 1000:g} um Cu at {TRACE_COVERAGE:.0%} coverage "
                f"({sheets[f'{BOARD_PART}_top_copper'] * 1000:.3g} mW/K)")


def board_pad_mm(lay: Layout) -> float | None:
    """The board pad a ball is soldered to: the IPC-7351B nominal land for its diameter (KiCad's land)."""
    if lay.ball_z is None:
        return None
    from pkgcad.kicad.land import bga_land_diameter

    return bga_land_diameter(lay.spec.balls.diameter, "N")


def via_count(lay: Layout) -> int:
    """The thermal vias ``pkgcad kicad --thermal-vias`` puts under the exposed pad (0 where it refuses them)."""
    from pkgcad.errors import InputError
    from pkgcad.kicad.land import land

    try:
        pads = land(lay, "N", thermal_vias=True).pads
    except InputError:
        return 0
    return sum(1 for p in pads if p.kind == "thru_hole" and p.drill > 0)


def via_field(lay: Layout) -> Conductivity:
    """The via field under the exposed pad as one block: plated barrels (copper, air inside) in FR-4, parallel
    along z, Maxwell-Garnett across (:func:`homogenize.pillar_array`)."""
    assert lay.die_pad is not None
    n = via_count(lay)
    r = VIA_DRILL_MM / 2
    area = math.pi * ((r + VIA_PLATING_MM) ** 2 - r**2)
    fraction = n * area / (lay.die_pad[2] * lay.die_pad[3])
    k = pillar_array(MATERIALS["copper"].conductivity_w_mk, FR4_K_W_MK, fraction)
    return Conductivity(k.kx, k.ky, k.kz, f"{n} thermal vias ({VIA_DRILL_MM:g} mm drill, {VIA_PLATING_MM * 1000:g} um "
                        f"plating) in FR-4 under the exposed pad, {fraction:.2%} copper (x {k.kx:.3g}, z {k.kz:.3g})")
