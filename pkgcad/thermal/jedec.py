"""The JEDEC metrics as scenarios, and the JESD15-3 two-resistor compact model.

- theta-JC(top): the package top (the interface layer's outer face; the layer is meshed) held at T_plate, all
  else adiabatic: the steady-state equivalent of the top cold plate of JESD51-1 / JESD51-14.
- theta-JB: the board side (ball ends, or the QFN die pad and lead bottoms) held, all else adiabatic: the idea
  of JESD51-8 without its ring cold plate and board, as JESD15-3 uses it for the two-resistor model.
- dual cold plate: top and board side both held: how the heat splits between the two paths.
- psi-JT and theta-JA (ESTIMATE): the package on a JESD51-7-like 2s2p board block (``board.py``), a stated
  film coefficient h (default 10 W/m2 K, still air convection + radiation) on every exposed face.
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
    """The faces the metrics need, named by the FEM model (:attr:`pkgcad.conformal.fem.FemModel.faces`).
    ``board`` is None when the model has no board-side face (full-detail balls touch the board at a point)."""

    active: Face
    top: Face
    board: Face | None
    exposed: Face = field(default_factory=lambda: Face(("*",), "any", extreme=False, exposed=True,
                                                       label="every exposed face"))

    def board_face(self, metric: str) -> Face:
        if self.board is None:
            raise ValueError(f"{metric}: the model has no board-side face (every ball is its CAD solid, which "
                             "touches the board at a point); use the homogenised arrays")
        return self.board


def theta_jc_top(faces: PackageFaces, power_w: float = 1.0, plate_c: float = 25.0) -> Scenario:
    return Scenario(
        "theta_jc_top",
        "theta-JC(top): package top held at the cold-plate temperature, all other faces adiabatic (JESD51-1/-14)",
        HeatSource(faces.active, power_w),
        (Isothermal(faces.top, plate_c, "top cold plate"),),
        monitors=(("package_top", faces.top),),
    )


def theta_jb(faces: PackageFaces, power_w: float = 1.0, board_c: float = 25.0) -> Scenario:
    return Scenario(
        "theta_jb",
        "theta-JB: board side (ball ends / exposed pad and lead bottoms) held, all other faces adiabatic "
        "(JESD51-8 idea, JESD15-3 two-resistor definition)",
        HeatSource(faces.active, power_w),
        (Isothermal(faces.board_face("theta-JB"), board_c, "board side"),),
        monitors=(("package_top", faces.top),),
    )


def dual_cold_plate(faces: PackageFaces, power_w: float = 1.0, plate_c: float = 25.0) -> Scenario:
    return Scenario(
        "dual_cold_plate",
        "top and board side both held at the same temperature: the heat split between the two paths",
        HeatSource(faces.active, power_w),
        (Isothermal(faces.top, plate_c, "top cold plate"),
         Isothermal(faces.board_face("the heat split"), plate_c, "board side")),
        monitors=(("package_top", faces.top),),
    )


def theta_ja_estimate(
    faces: PackageFaces, power_w: float = 1.0, ambient_c: float = 25.0, h_w_m2k: float = STILL_AIR_H_W_M2K
) -> Scenario:
    """Needs a board block in the model (``board.BoardSpec``); every exposed face sheds h (T - Ta)."""
    rest = Face(faces.exposed.patterns, "any", extreme=False, exposed=True, excluding=(faces.top,),
                label=f"other exposed faces (package and board), h = {h_w_m2k:g} W/m2 K")
    return Scenario(
        "theta_ja_estimate",
        f"ESTIMATE: package on a JESD51-7-like 2s2p board block, h = {h_w_m2k:g} W/m2 K on every exposed face "
        f"(still-air convection + radiation, stated, not JESD51-2 measured)",
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


def compact_model(jc: Result, jb: Result) -> dict[str, Any]:
    """JESD15-3 two-resistor model: junction -- theta_JC -- case (top) ; junction -- theta_JB -- board."""
    return {
        "model": "JESD15-3 two-resistor compact thermal model",
        "units": {"resistance": "K/W", "power": "W"},
        "nodes": ["junction", "case_top", "board"],
        "resistors": [
            {"name": "theta_JC", "from": "junction", "to": "case_top", "value": jc.theta_max_k_w},
            {"name": "theta_JB", "from": "junction", "to": "board", "value": jb.theta_max_k_w},
        ],
        "junction": "maximum temperature of the chip's active face",
        "theta_JC_definition": jc.scenario.description,
        "theta_JB_definition": jb.scenario.description,
        "theta_JC_mean_junction": jc.theta_mean_k_w,
        "theta_JB_mean_junction": jb.theta_mean_k_w,
        "accuracy_note": "two-resistor models are typically 10-30 % accurate in an application environment",
    }
