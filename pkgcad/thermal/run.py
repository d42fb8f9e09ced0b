"""`pkgcad thermal`: a Layout -> thermal model (the FEM pipeline's model of the real parts, soldered to its JEDEC test
board) -> one mesh -> theta-JC(top), theta-JC(bot), theta-JB (JESD51-8), the heat split, the still-air estimates ->
files.

:func:`run_layout` does one package: one mesh of the package on its board; theta-JC(top) and theta-JC(bot) on
the package alone (the same mesh less the board, its solder and the balls), theta-JB and the heat split on the
whole assembly, and with ``board`` the still-air estimate there too. :func:`summary` is the dict the CLI prints
and ``thermal.json`` carries under ``"summary"`` (keys name the JEDEC metric and the unit); :func:`write_outputs`
writes thermal.json, compact_model.json (JESD15-3), thermal.vtu and the section pictures into a folder the caller
staged. Units: mm, W, degC, K/W. The kernel, mesher and solver load on first use, so bad options are refused at
once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pkgcad.conformal.options import PRESETS
from pkgcad.errors import InputError, RunError
from pkgcad.layout import Layout

if TYPE_CHECKING:
    from pkgcad.solvers.conduction import Result, Scenario, System
    from pkgcad.thermal.jedec import PackageFaces
    from pkgcad.thermal.model import ThermalModel

Progress = Callable[[str], None]
MAX_POWER_W = 1000.0
MIN_POWER_W = 1e-3
"""Least --power: the thetas do not depend on P, but the rise above the 25 degC plate does, and below a milliwatt
it sinks into the rounding of the absolute temperatures (1e-20 W printed theta-JC 0.000, mean 355271 K/W)."""
BOARD_SCENARIOS = ("theta_jb", "dual_cold_plate", "still_air_estimate")
"""Scenarios solved on the package soldered to its test board (the others on the package alone)."""


@dataclass(frozen=True, eq=False)
class ThermalRun:
    """One package's solves: ``package`` (the package alone: theta-JC) and ``assembly`` (on its test board: theta-JB,
    the heat split, the still-air estimate) systems, every scenario's result, and the board thermocouple's reading
    (Tb, degC) in each board scenario."""

    model: ThermalModel
    package: System
    assembly: System | None
    results: dict[str, Result]
    mesh_preset: str
    mesh_s: float
    total_s: float
    board_c: dict[str, float] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # model (kernel), mesh (gmsh), read

    @property
    def system(self) -> System:
        """The system the files show: the assembly when there is a board, else the package."""
        return self.assembly if self.assembly is not None else self.package

    @property
    def jc(self) -> Result:
        return self.results["theta_jc_top"]

    @property
    def jc_bot(self) -> Result | None:
        """theta-JC(bot), for an exposed-pad package (a QFN); None otherwise."""
        return self.results.get("theta_jc_bot")

    @property
    def jb(self) -> Result | None:
        """The JESD51-8 solve (None without a test board: an LGA)."""
        return self.results.get("theta_jb")

    @property
    def theta_jb_k_w(self) -> float | None:
        """JESD51-8 theta-JB = (Tj - Tb) / P [K/W]."""
        jb = self.jb
        return None if jb is None else (jb.tj_max_c - self.board_c["theta_jb"]) / jb.power_w

    @property
    def still_air(self) -> Result | None:
        return self.results.get("still_air_estimate")


def check_options(power_w: float, mesh: str) -> None:
    """Bad options as one :class:`InputError` line, before any work."""
    if not (MIN_POWER_W <= power_w <= MAX_POWER_W):
        raise InputError("--power", power_w, f"must be a power in W, greater than 0: from {MIN_POWER_W:g} to "
                         f"{MAX_POWER_W:g} (the thetas in K/W do not depend on it)", "e.g. --power 1")
    if mesh not in PRESETS:
        raise InputError("--mesh", mesh, f"is not one of {', '.join(PRESETS)}",
                         "coarse for a quick look, normal for the figures, fine to confirm them")


def run_layout(lay: Layout, *, power_w: float = 1.0, mesh: str = "normal", heat_sink: bool = True,
               detail: str = "homogenised", board: bool = False, progress: Progress | None = None) -> ThermalRun:
    """Mesh the package on its test board once and solve every scenario (see the module notes); ``board`` adds
    the still-air estimate. A mesher or solver failure -> RunError (exit 1)."""
    from threadpoolctl import threadpool_limits

    from pkgcad.conformal.mesh import MeshCheckError
    from pkgcad.conformal.meshing import mesh_model
    from pkgcad.solvers.conduction import prepare, probe, solve
    from pkgcad.thermal import jedec

    check_options(power_w, mesh)
    say = progress or (lambda _s: None)
    start = time.perf_counter()
    model = _model(lay, heat_sink=heat_sink, detail=detail, say=say)
    model_s = time.perf_counter() - start
    try:
        fm, gmsh_s = mesh_model(model.fem, mesh, progress=say)
    except MeshCheckError as exc:
        raise RunError(f"{model.name} thermal mesh", str(exc).splitlines()[0] if str(exc) else
                       type(exc).__name__) from None
    mesh_s = time.perf_counter() - start - model_s
    package_scenarios: list[Callable[[PackageFaces, float], Scenario]] = [jedec.theta_jc_top]
    if model.faces.exposed_pad:
        package_scenarios.append(jedec.theta_jc_bot)
    board_scenarios: list[Callable[[PackageFaces, float], Scenario]] = []
    if model.faces.ring is not None:
        board_scenarios += [jedec.theta_jb, jedec.dual_cold_plate] + ([jedec.still_air] if board else [])
    results: dict[str, Result] = {}
    board_c: dict[str, float] = {}
    assembly = None
    # OpenBLAS threads on the CG's short vector operations cost 8x on a busy 2-core machine (1.4 s -> 11.7 s
    # for three solves of 14k unknowns, measured): the sparse work is single-threaded anyway
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            alone = fm.subset(model.package_parts) if model.fem.assembly or model.board else fm
            say(f"assembling {alone.n_elements:,} tetrahedra (the package alone)")
            layers = tuple(p.name for p in model.fem.thin_parts())
            package = prepare(alone, model.conductivity_w_mk(alone), sheets=model.package_sheets, layers=layers)
            for make in package_scenarios:
                scenario = make(model.faces, power_w)
                say(f"solving {scenario.name} ({package.n_dofs:,} unknowns)")
                results[scenario.name] = solve(package, scenario)
            if board_scenarios:
                say(f"assembling {fm.n_elements:,} tetrahedra (on the test board)")
                assembly = prepare(fm, model.conductivity_w_mk(fm), sheets=model.sheets, layers=layers)
                point = np.array(model.probe)[:, None] - np.array([[0.0], [0.0], [PROBE_DEPTH_MM]])
                for make in board_scenarios:
                    scenario = make(model.faces, power_w)
                    say(f"solving {scenario.name} ({assembly.n_dofs:,} unknowns)")
                    r = results[scenario.name] = solve(assembly, scenario)
                    board_c[scenario.name] = float(probe(assembly, r.solution, point)[0])
    except RuntimeError as exc:  # CG did not converge
        raise RunError(f"{model.name} thermal solve", str(exc)) from None
    seconds = {"model": model_s, "mesh": mesh_s, **gmsh_s}
    return ThermalRun(model, package, assembly, results, mesh, mesh_s, time.perf_counter() - start, board_c, seconds)


PROBE_DEPTH_MM = 1e-4
"""The board thermocouple is read this far under the board's top surface (inside its element)."""


def _model(lay: Layout, *, heat_sink: bool, detail: str, say: Progress) -> ThermalModel:
    from pkgcad.thermal.model import build_model

    return build_model(lay, heat_sink=heat_sink, detail=detail, progress=say)


DEFINITIONS = {
    "theta_jc_top_K_W": "theta-JC(top), JESD51-1/-14 top cold plate (steady state), package alone",
    "theta_jc_bot_K_W": "theta-JC(bot), cold plate on the exposed pad and lead bottoms, package alone (QFN)",
    "theta_jb_K_W": "theta-JB, JESD51-8: ring cold plate on the JESD51-7/-9 2s2p test board, (Tj - Tb) / P",
    "estimate_still_air": "ESTIMATES in a JESD51-2A-like still air: psi-JT, psi-JB (Tj - Tb) / P, theta-JA",
}
"""What each metric of :func:`summary` is (also in thermal.json)."""


def summary(run: ThermalRun) -> dict[str, Any]:
    """The figures engineers read, named as JEDEC does, with every boundary condition stated. A metric that does
    not apply or cannot be computed is None (theta-JC(bot) without an exposed pad; theta-JB and the heat split
    without a test board, an LGA)."""
    from pkgcad.thermal import jedec

    jc, jc_bot, jb, dual = run.jc, run.jc_bot, run.jb, run.results.get("dual_cold_plate")
    top_share = None
    if dual is not None:
        top_share = sum(v for k, v in jedec.heat_split(dual).items() if "top cold plate" in k)
    worst = max(abs(r.energy_balance) for r in run.results.values())
    bcs = {
        "junction": f"{jc.scenario.source.face.describe()}: {jc.power_w:g} W as a uniform flux over "
                    f"{jc.source_area_mm2:.4g} mm2",
        "theta_jc_top": jc.scenario.description + "; held: " + _held(jc),
    }
    if jc_bot is not None:
        bcs["theta_jc_bot"] = jc_bot.scenario.description + "; held: " + run.model.faces.board_face("").describe()
    if jb is not None and dual is not None:
        probe = run.model.probe
        assert probe is not None
        bcs["theta_jb"] = (f"{jb.scenario.description}; held: {_held(jb)}; Tb read at (x, y, z) = "
                           f"({probe[0]:g}, {probe[1]:g}, {probe[2]:.4g}) mm")
        bcs["dual_cold_plate"] = dual.scenario.description
    else:
        bcs["theta_jb"] = "not computed: no test board (the package has neither balls nor QFN leads to solder)"
    return {
        "package": run.model.name,
        "variant": run.model.variant,
        "arrays": run.model.detail,
        "power_W": jc.power_w,
        "Tj_max_C": jc.tj_max_c,
        "Tj_max_C_note": "in the theta-JC(top) scenario: junction = the chip's active face, plate at "
                         f"{jc.scenario.reference_c:g} degC",
        "theta_jc_top_K_W": jc.theta_max_k_w,
        "theta_jc_bot_K_W": jc_bot.theta_max_k_w if jc_bot is not None else None,
        "theta_jb_K_W": run.theta_jb_k_w,
        "theta_jc_top_mean_junction_K_W": jc.theta_mean_k_w,
        "theta_jc_bot_mean_junction_K_W": jc_bot.theta_mean_k_w if jc_bot is not None else None,
        "theta_jb_mean_junction_K_W": ((jb.tj_mean_c - run.board_c["theta_jb"]) / jb.power_w
                                       if jb is not None else None),
        "board_temperature_C": run.board_c.get("theta_jb"),
        "heat_split_dual_plate": ({"top": top_share, "board": 1.0 - top_share} if top_share is not None else None),
        "definitions": DEFINITIONS,
        "boundary_conditions": bcs,
        "parts_min_max_C": {k: list(v) for k, v in jc.parts.items()},
        "mesh": {"preset": run.mesh_preset, "element_order": run.system.order, "nodes": run.system.tm.n_nodes,
                 "tetrahedra": run.system.tm.n_elements, "unknowns": run.system.n_dofs,
                 "package_alone_tetrahedra": run.package.tm.n_elements,
                 "thin_layers": {p.name: {"thickness_mm": p.thickness_mm, "elements_through": _through(run)}
                                 for p in run.model.fem.thin_parts()}},
        "solver": {"worst_relative_residual": max(r.residual for r in run.results.values()),
                   "worst_energy_balance": worst,
                   "cg_iterations": {k: r.iterations for k, r in run.results.items()}},
        "seconds": {"model": run.seconds.get("model", 0.0), "mesh": run.mesh_s,
                    "assembly": run.package.assembly_s + (run.assembly.assembly_s if run.assembly else 0.0),
                    "solve": sum(r.solve_s for r in run.results.values()), "total": run.total_s},
        "model_notes": list(run.model.notes),
        **_still_air(run),
    }


def _held(r: Result) -> str:
    return "; ".join([b.title for b in r.scenario.isothermal] + [b.title for b in r.scenario.convective])


def _through(run: ThermalRun) -> int:
    return PRESETS[run.mesh_preset].through


def _still_air(run: ThermalRun) -> dict[str, Any]:
    from pkgcad.thermal import jedec

    b = run.still_air
    if b is None:
        return {}
    tb = run.board_c["still_air_estimate"]
    return {"estimate_still_air": {
        "psi_jt_K_W": jedec.psi_jt_k_w(b),
        "psi_jb_K_W": (b.tj_max_c - tb) / b.power_w,
        "theta_ja_K_W": b.theta_max_k_w,
        "board_temperature_C": tb,
        "definition": b.scenario.description,
        "faces": [c.title for c in b.scenario.convective],
        "heat_out_W": b.heat_out_w,
        "energy_balance": b.energy_balance,
        "note": "ESTIMATES: the package on its JEDEC 2s2p test board with a stated film coefficient on every exposed "
                "face, not a JESD51-2A still-air chamber measurement (no air flow is solved)",
    }}


def write_outputs(folder: Path, run: ThermalRun, lay: Layout) -> list[Path]:
    """thermal.json (summary + every scenario), compact_model.json (JESD15-3), thermal.vtu, section_*.png into
    ``folder``."""
    from pkgcad.thermal import jedec
    from pkgcad.thermal.output import write_all

    extra = {"summary": summary(run), "parameters": lay.spec.model_dump(mode="json")}
    compact = None
    if run.jb is not None and run.theta_jb_k_w is not None:
        compact = jedec.compact_model(run.jc, run.theta_jb_k_w, run.jb, run.board_c["theta_jb"])
    alone = {name: run.package for name in run.results if name not in BOARD_SCENARIOS}
    x0, _y0, _z0, x1, _y1, z1 = run.model.package_box
    reach = 10.0  # mm of board either side: the ring cold plate's outer edge is 9 mm out
    bottom = float(run.system.tm.mesh.p[2].min())
    windows = {name: (x0 - reach, x1 + reach, bottom, z1) for name in run.results if name in BOARD_SCENARIOS}
    return write_all(folder, run.system, run.results, run.model.conductivities, compact=compact, extra=extra,
                     solved_on=alone, windows=windows, notes=vtu_notes(run), titles=_titles(run))


def vtu_notes(run: ThermalRun) -> list[str]:
    """What thermal.vtu does not hold, said in it (field data) for a ParaView user."""
    fem = run.model.fem
    out = [f"units: mm and degC; temperatures are a P{run.system.order} solution written at the mesh nodes "
           "(linear tetrahedra)"]
    alone = [f"T_{n}_degC" for n in run.results if n not in BOARD_SCENARIOS]
    if run.assembly is not None:
        out.append(f"{', '.join(alone)}: solved on the package alone, NaN on the board, its solder and the soldered "
                   "balls")
    out += [n for n in fem.notes if n.startswith("left out")]
    for part in fem.parts:
        if part.block is not None:
            out.append(f"{part.name}: one homogenised block stands for the {part.block.sites.realised} "
                       f"{part.block.role}s (their solids are not in the file)")
    for sheet in run.model.sheets:
        out.append(f"{sheet.name}: a conducting copper sheet without cells ({sheet.plane.describe()}, "
                   f"{sheet.conductance_w_k * 1000:.3g} mW/K in plane)")
    return out


def _titles(run: ThermalRun) -> dict[str, str]:
    out = {}
    for name, r in run.results.items():
        head = f"{run.model.name}, P = {r.power_w:g} W: "
        if name == "theta_jc_top":
            out[name] = head + f"theta-JC(top) {r.theta_max_k_w:.3f} K/W, Tj max {r.tj_max_c:.2f} degC (top cold plate)"
        elif name == "theta_jc_bot":
            out[name] = head + f"theta-JC(bot) {r.theta_max_k_w:.3f} K/W, Tj max {r.tj_max_c:.2f} degC (bottom plate)"
        elif name == "theta_jb" and run.theta_jb_k_w is not None:
            out[name] = head + (f"theta-JB (JESD51-8) {run.theta_jb_k_w:.3f} K/W, Tj max {r.tj_max_c:.2f}, Tb "
                                f"{run.board_c[name]:.2f} degC (ring cold plate)")
        elif name == "still_air_estimate":
            out[name] = head + (f"still-air ESTIMATE: theta-JA {r.theta_max_k_w:.2f} K/W, Tj max {r.tj_max_c:.2f} "
                                "degC")
        else:
            out[name] = head + f"{name}: Tj max {r.tj_max_c:.2f} degC"
    return out


def summary_lines(d: dict[str, Any]) -> list[str]:
    """The summary as the lines `pkgcad thermal` prints."""
    bc = d["boundary_conditions"]
    split = d["heat_split_dual_plate"]
    jb = (f"{d['theta_jb_K_W']:8.3f} K/W   (JESD51-8: ring cold plate on the 2s2p board, Tb "
          f"{d['board_temperature_C']:.2f} degC)" if d["theta_jb_K_W"] is not None
          else "     n/a (no test board: no balls or leads)")
    lines = [
        f"{d['package']}: P = {d['power_W']:g} W, arrays {d['arrays']}",
        f"  Tj max            {d['Tj_max_C']:8.2f} degC  (top cold plate at 25 degC)",
        f"  theta-JC(top)     {d['theta_jc_top_K_W']:8.3f} K/W   (mean over the junction "
        f"{d['theta_jc_top_mean_junction_K_W']:.3f})",
    ]
    if d["theta_jc_bot_K_W"] is not None:
        lines.append(f"  theta-JC(bot)     {d['theta_jc_bot_K_W']:8.3f} K/W   (exposed pad and leads on a cold plate)")
    lines.append(f"  theta-JB          {jb}")
    if split is not None:
        lines.append(f"  heat split        {split['top']:.1%} to the top, {split['board']:.1%} to the board "
                     "(top plate and ring both held)")
    m = d["mesh"]
    lines += [
        f"  mesh              {m['preset']}: {m['tetrahedra']:,} tetrahedra (P{m['element_order']}, "
        f"{m['unknowns']:,} unknowns); {d['seconds']['total']:.1f} s",
        f"  solver            residual {d['solver']['worst_relative_residual']:.1e}, energy balance "
        f"{d['solver']['worst_energy_balance']:.1e} (worst of {len(d['solver']['cg_iterations'])} scenarios)",
        "  part              min degC  max degC  (theta-JC(top) scenario)",
    ]
    lines += [f"    {name:<18}{lo:8.2f}  {hi:8.2f}" for name, (lo, hi) in d["parts_min_max_C"].items()]
    lines += ["  boundary conditions:", f"    junction: {bc['junction']}", f"    {bc['theta_jc_top']}"]
    lines += [f"    {bc[k]}" for k in ("theta_jc_bot", "theta_jb") if k in bc]
    if "estimate_still_air" in d:
        b = d["estimate_still_air"]
        lines += [f"  ESTIMATE still air: psi-JT {b['psi_jt_K_W']:.3f} K/W, psi-JB {b['psi_jb_K_W']:.3f} K/W, "
                  f"theta-JA {b['theta_ja_K_W']:.2f} K/W ({b['definition']})"]
    lines += [f"  note: {n}" for n in d["model_notes"]]
    return lines
