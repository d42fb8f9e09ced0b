"""The JEDEC metrics as scenarios, and the JESD15-3 two-resistor compact model. Names as JEDEC writes them.

- theta-JC(top): the package top (the interface layer's outer face; the layer is meshed) held at T_plate, every
  other face of the package ALONE adiabatic: the steady-state equivalent of the top cold plate of JESD51-1 /
  JESD51-14 (theta-JC(top) of JESD51-12), the board and the balls left off.
- theta-JC(bot), for an exposed-pad package (a QFN): the die pad's and the leads' bottoms held (a cold plate on the
  package bottom), every other face adiabatic, the package alone (no JEDEC test method; the simulated cold-plate
  test datasheets quote as RthJC(bot)).
- theta-JB (JESD51-8): the package soldered to the JESD51-7 / -9 2s2p board, the board clamped by the ring cold
  plate (its top and bottom held in the ring, :mod:`pkgcad.thermal.board`), everything else adiabatic; theta-JB =
  (Tj - Tb) / P with Tb the board's top 1 mm outside the middle of the package's longer side.
- heat split (dual cold plate): the top plate and the ring both held: how the heat divides between the paths.
- psi-JT, psi-JB and theta-JA (ESTIMATE, ``--board``): the same board in still air, a stated film coefficient h
  on every exposed face (the JESD51-2A environment imitated, not measured): psi-JT = (Tj - T_top centre) / P,
  psi-JB = (Tj - Tb) / P, theta-JA = (Tj - Ta) / P.
Tj is the chip's active face: its maximum, and its area-weighted mean, are both reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pkgcad.conformal.faces import Face
from pkgcad.solvers.conduction import Convective, HeatSource, Isothermal, Result, Scenario

STILL_AIR_H_W_M2K = 10.0


@dataclass(frozen=True)
class PackageFaces:
    """The faces the metrics need, named by the FEM model (:attr:`pkgcad.conformal.fem.FemModel.faces`):
    ``board`` the package's bottom where it meets the board (None: full-detail balls on no board touch it at a
    point), ``ring`` the board's top and bottom where the ring cold plate clamps it (None: no board),
    ``exposed_pad`` whether theta-JC(bot) applies."""

    active: Face
    top: Face
    board: Face | None
    ring: tuple[Face, Face] | None = None
    exposed_pad: bool = False
    exposed: Face = field(default_factory=lambda: Face(("*",), "any", extreme=False, exposed=True,
                                                       label="every exposed face"))

    def board_face(self, metric: str) -> Face:
        if self.board is None:
            raise ValueError(f"{metric}: the model has no package bottom face (every ball is its CAD solid, which "
                             "touches the board at a point)")
        return self.board

    def ring_faces(self, metric: str) -> tuple[Face, Face]:
        if self.ring is None:
            raise ValueError(f"{metric}: the model has no test board (an LGA has no balls or leads to solder)")
        return self.ring


def theta_jc_top(faces: PackageFaces, power_w: float = 1.0, plate_c: float = 25.0) -> Scenario:
    return Scenario(
        "theta_jc_top",
        "theta-JC(top): package top held at the cold-plate temperature, all other faces of the package alone "
        "adiabatic (JESD51-1/-14 top cold plate)",
        HeatSource(faces.active, power_w),
        (Isothermal(faces.top, plate_c, "top cold plate"),),
        monitors=(("package_top", faces.top),),
    )


def theta_jc_bot(faces: PackageFaces, power_w: float = 1.0, plate_c: float = 25.0) -> Scenario:
    return Scenario(
        "theta_jc_bot",
        "theta-JC(bot): the exposed pad's and the leads' bottoms held at the cold-plate temperature, all other faces "
        "of the package alone adiabatic (a cold plate on the package bottom)",
        HeatSource(faces.active, power_w),
        (Isothermal(faces.board_face("theta-JC(bot)"), plate_c, "bottom cold plate"),),
        monitors=(("package_top", faces.top),),
    )


def theta_jb(faces: PackageFaces, power_w: float = 1.0, plate_c: float = 25.0) -> Scenario:
    top, bottom = faces.ring_faces("theta-JB")
    return Scenario(
        "theta_jb",
        "theta-JB (JESD51-8): the package soldered to the 2s2p test board, the board's top and bottom held in the "
        "ring cold plate, all else adiabatic; theta-JB = (Tj - Tb) / P, Tb on the board top 1 mm outside the "
        "middle of the package's longer side",
        HeatSource(faces.active, power_w),
        (Isothermal(top, plate_c, "ring cold plate (board top)"), Isothermal(bottom, plate_c,
                                                                             "ring cold plate (board bottom)")),
        monitors=(("package_top", faces.top),),
    )


def dual_cold_plate(faces: PackageFaces, power_w: float = 1.0, plate_c: float = 25.0) -> Scenario:
    top, bottom = faces.ring_faces("the heat split")
    return Scenario(
        "dual_cold_plate",
        "the top cold plate and the ring cold plate on the test board both held at the same temperature: the heat "
        "split between the top and the board",
        HeatSource(faces.active, power_w),
        (Isothermal(faces.top, plate_c, "top cold plate"), Isothermal(top, plate_c, "ring cold plate (board top)"),
         Isothermal(bottom, plate_c, "ring cold plate (board bottom)")),
        monitors=(("package_top", faces.top),),
    )


def still_air(faces: PackageFaces, power_w: float = 1.0, ambient_c: float = 25.0,
              h_w_m2k: float = STILL_AIR_H_W_M2K) -> Scenario:
    """The package on its test board in still air: every exposed face sheds h (T - Ta). An ESTIMATE."""
    faces.ring_faces("the still-air estimate")
    rest = Face(faces.exposed.patterns, "any", extreme=False, exposed=True, excluding=(faces.top,),
                label=f"other exposed faces (package and board), h = {h_w_m2k:g} W/m2 K")
    return Scenario(
        "still_air_estimate",
        f"ESTIMATE: the package on its 2s2p test board in still air, h = {h_w_m2k:g} W/m2 K on every exposed face "
        "(convection and radiation together, stated; the JESD51-2A environment imitated, not measured)",
        HeatSource(faces.active, power_w),
        (),
        (Convective(faces.top, h_w_m2k, ambient_c, "package top in air"),
         Convective(rest, h_w_m2k, ambient_c, rest.label)),
        monitors=(("package_top", faces.top),),
    )


def psi_jt_k_w(result: Result, monitor: str = "package_top") -> float:
    """(Tj - T_top centre) / P: the JESD51-2 top-centre thermocouple figure."""
    return (result.tj_max_c - result.monitors[monitor].centre_c) / result.power_w


def heat_split(result: Result) -> dict[str, float]:
    """Fraction of the power leaving through each face of a run (from the reactions and Robin fluxes)."""
    return {name: q / result.power_w for name, q in result.heat_out_w.items()}


def compact_model(jc: Result, theta_jb_k_w: float, jb: Result, tb_c: float) -> dict[str, Any]:
    """JESD15-3 two-resistor model: junction -- theta_JC -- case (top); junction -- theta_JB -- board. Built from
    theta-JC(top) (top cold plate) and the JESD51-8 theta-JB (ring cold plate on the 2s2p board, Tb at the
    standard's thermocouple), the two values JESD15-3 takes."""
    return {
        "model": "JESD15-3 two-resistor compact thermal model",
        "units": {"resistance": "K/W", "power": "W"},
        "nodes": ["junction", "case_top", "board"],
        "resistors": [
            {"name": "theta_JC", "from": "junction", "to": "case_top", "value": jc.theta_max_k_w,
             "source": "theta-JC(top): top cold plate, package alone (JESD51-1/-14 steady-state equivalent)"},
            {"name": "theta_JB", "from": "junction", "to": "board", "value": theta_jb_k_w,
             "source": "theta-JB per JESD51-8: ring cold plate on the 2s2p test board, (Tj - Tb) / P with Tb read "
                       "1 mm outside the package edge (not the package-alone board-side resistance)"},
        ],
        "junction": "maximum temperature of the chip's active face",
        "theta_JC_definition": jc.scenario.description,
        "theta_JB_definition": jb.scenario.description,
        "theta_JB_board_temperature_C": tb_c,
        "theta_JC_mean_junction": jc.theta_mean_k_w,
        "theta_JB_mean_junction": (jb.tj_mean_c - tb_c) / jb.power_w,
        "accuracy_note": "two-resistor models are typically 10-30 % accurate in an application environment",
    }
