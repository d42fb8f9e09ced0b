"""The JEDEC metrics as scenarios, and the JESD15-3 two-resistor compact model.

- theta-JC(top): the package top (the interface layer's outer face) held at T_plate, all else adiabatic: the
  steady-state equivalent of the top cold plate of JESD51-1 / JESD51-14. An interface layer that is not meshed
  sits between the held plate and the heat sink as a Robin face, h = k / t (exact in 1-D).
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

from pkgcad.thermal.faces import Face
from pkgcad.thermal.problem import Convective, HeatSource, Isothermal, Scenario, series_h_w_m2k
from pkgcad.thermal.solve import Result

STILL_AIR_H_W_M2K = 10.0


@dataclass(frozen=True)
class PackageFaces:
    """The faces the metrics need, named by the geometry side.

    ``top_layers``: (thickness mm, k W/m K) of thin layers on ``top`` that are not meshed (the interface layer):
    they are put between ``top`` and the cold plate / the air exactly, as a series film.
    """

    active: Face
    top: Face
    board: Face
    top_layers: tuple[tuple[float, float], ...] = ()
    exposed: Face = field(default_factory=lambda: Face(("*",), "any", extreme=False, exposed=True,
                                                       label="every exposed face"))

    def _top_bc(self, *, h_w_m2k: float | None, temperature_c: float, name: str) -> Isothermal | Convective:
        if not self.top_layers and h_w_m2k is None:
            return Isothermal(self.top, temperature_c, name)
        h = series_h_w_m2k(h_w_m2k, self.top_layers)
        layers = " + ".join(f"{t * 1000:g} um at k = {k:g} W/m K" for t, k in self.top_layers)
        note = f" through {layers} (h = {h:.4g} W/m2 K)" if layers else ""
        return Convective(self.top, h, temperature_c, name + note)


def theta_jc_top(faces: PackageFaces, power_w: float = 1.0, plate_c: float = 25.0) -> Scenario:
    return Scenario(
        "theta_jc_top",
        "theta-JC(top): package top held at the cold-plate temperature, all other faces adiabatic (JESD51-1/-14)",
        HeatSource(faces.active, power_w),
        *_held_or_robin(faces._top_bc(h_w_m2k=None, temperature_c=plate_c, name="top cold plate")),
        monitors=(("package_top", faces.top),),
    )


def theta_jb(faces: PackageFaces, power_w: float = 1.0, board_c: float = 25.0) -> Scenario:
    return Scenario(
        "theta_jb",
        "theta-JB: board side (ball ends / exposed pad and lead bottoms) held, all other faces adiabatic "
        "(JESD51-8 idea, JESD15-3 two-resistor definition)",
        HeatSource(faces.active, power_w),
        (Isothermal(faces.board, board_c, "board side"),),
        monitors=(("package_top", faces.top),),
    )


def dual_cold_plate(faces: PackageFaces, power_w: float = 1.0, plate_c: float = 25.0) -> Scenario:
    held, robin = _held_or_robin(faces._top_bc(h_w_m2k=None, temperature_c=plate_c, name="top cold plate"))
    return Scenario(
        "dual_cold_plate",
        "top and board side both held at the same temperature: the heat split between the two paths",
        HeatSource(faces.active, power_w),
        (*held, Isothermal(faces.board, plate_c, "board side")),
        robin,
        monitors=(("package_top", faces.top),),
    )


def theta_ja_estimate(
    faces: PackageFaces, power_w: float = 1.0, ambient_c: float = 25.0, h_w_m2k: float = STILL_AIR_H_W_M2K
) -> Scenario:
    """Needs a board block in the mesh (``board.add_board_block``); every exposed face sheds h (T - Ta)."""
    top = faces._top_bc(h_w_m2k=h_w_m2k, temperature_c=ambient_c, name="package top in air")
    rest = Face(faces.exposed.patterns, "any", extreme=False, exposed=True, excluding=(faces.top,),
                label=f"other exposed faces (package and board), h = {h_w_m2k:g} W/m2 K")
    return Scenario(
        "theta_ja_estimate",
        f"ESTIMATE: package on a JESD51-7-like 2s2p board block, h = {h_w_m2k:g} W/m2 K on every exposed face "
        f"(still-air convection + radiation, stated, not JESD51-2 measured)",
        HeatSource(faces.active, power_w),
        (),
        (*_held_or_robin(top)[1], Convective(rest, h_w_m2k, ambient_c, rest.label)),
        monitors=(("package_top", faces.top),),
    )


def _held_or_robin(bc: Isothermal | Convective) -> tuple[tuple[Isothermal, ...], tuple[Convective, ...]]:
    return ((bc,), ()) if isinstance(bc, Isothermal) else ((), (bc,))


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
