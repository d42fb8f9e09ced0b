"""`pkgcad thermal`: a Layout -> thermal model (the FEM pipeline's model of the real parts) -> mesh -> theta-JC(top),
theta-JB, the heat split -> files.

:func:`run_layout` does one package (three scenarios on one assembled system: top cold plate, board side held,
both held); :func:`summary` is the dict the CLI prints and ``thermal.json`` carries under ``"summary"``;
:func:`write_outputs` writes thermal.json, compact_model.json (JESD15-3), thermal.vtu and the section pictures
into a folder the caller staged. Units: mm, W, degC, K/W. The kernel, mesher and solver load on first use, so
bad options are refused at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pkgcad.conformal.options import PRESETS
from pkgcad.errors import InputError, RunError
from pkgcad.layout import Layout

if TYPE_CHECKING:
    from pkgcad.solvers.conduction import Result, Scenario, System
    from pkgcad.thermal.board import BoardSpec
    from pkgcad.thermal.jedec import PackageFaces
    from pkgcad.thermal.model import ThermalModel

Progress = Callable[[str], None]
MAX_POWER_W = 1000.0
MIN_POWER_W = 1e-3
"""Least --power: the thetas do not depend on P, but the rise above the 25 degC plate does, and below a milliwatt
it sinks into the rounding of the absolute temperatures (1e-20 W printed theta-JC 0.000, mean 355271 K/W)."""


@dataclass(frozen=True, eq=False)
class ThermalRun:
    model: ThermalModel
    system: System
    results: dict[str, Result]
    mesh_preset: str
    mesh_s: float
    total_s: float
    board: Result | None = None  # the theta-JA estimate on a board block (a mesh of its own)
    seconds: dict[str, float] = field(default_factory=dict)  # model (kernel), mesh (gmsh), read

    @property
    def jc(self) -> Result:
        return self.results["theta_jc_top"]

    @property
    def jb(self) -> Result | None:
        """None when the model has no board-side face (full-detail balls)."""
        return self.results.get("theta_jb")


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
    """Mesh and solve the three scenarios of one package (theta-JC(top) alone when the model has no board-side
    face) and, with ``board``, the psi-JT / theta-JA estimate on a JESD51-7-like board block (a second model and
    mesh). A mesher or solver failure -> RunError (exit 1)."""
    from pkgcad.thermal import jedec
    from pkgcad.thermal.board import BoardSpec

    check_options(power_w, mesh)
    say = progress or (lambda _s: None)
    start = time.perf_counter()
    model = _model(lay, heat_sink=heat_sink, detail=detail, board=None, say=say)
    model_s = time.perf_counter() - start
    makers: list[Callable[[PackageFaces, float], Scenario]] = [jedec.theta_jc_top]
    if model.faces.board is not None:
        makers += [jedec.theta_jb, jedec.dual_cold_plate]
    system, results, seconds = _solve_model(model, mesh, makers, power_w, say)
    on_board = None
    if board:
        say("the package on a 2s2p board block")
        board_model = _model(lay, heat_sink=heat_sink, detail=detail, board=BoardSpec(), say=say)
        on_board = _solve_model(board_model, mesh, [jedec.theta_ja_estimate], power_w, say)[1]["theta_ja_estimate"]
    return ThermalRun(model, system, results, mesh, seconds["mesh"], time.perf_counter() - start, on_board,
                      {"model": model_s, **seconds})


def _model(lay: Layout, *, heat_sink: bool, detail: str, board: BoardSpec | None, say: Progress) -> ThermalModel:
    from pkgcad.thermal.model import build_model

    return build_model(lay, heat_sink=heat_sink, detail=detail, board=board, progress=say)


def _solve_model(model: ThermalModel, mesh: str, scenarios: list[Callable[[PackageFaces, float], Scenario]],
                 power_w: float, say: Progress) -> tuple[System, dict[str, Result], dict[str, float]]:
    from threadpoolctl import threadpool_limits

    from pkgcad.conformal.mesh import MeshCheckError
    from pkgcad.conformal.meshing import mesh_model
    from pkgcad.solvers.conduction import prepare, solve

    start = time.perf_counter()
    try:
        fm, gmsh_s = mesh_model(model.fem, mesh, progress=say)
    except MeshCheckError as exc:
        raise RunError(f"{model.name} thermal mesh", str(exc).splitlines()[0] if str(exc) else
                       type(exc).__name__) from None
    seconds = {"mesh": time.perf_counter() - start, **gmsh_s}
    say(f"assembling {fm.n_elements:,} tetrahedra")
    # OpenBLAS threads on the CG's short vector operations cost 8x on a busy 2-core machine (1.4 s -> 11.7 s
    # for three solves of 14k unknowns, measured): the sparse work is single-threaded anyway
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            system = prepare(fm, model.conductivity_w_mk(fm))
            results: dict[str, Result] = {}
            for make in scenarios:
                scenario = make(model.faces, power_w)
                say(f"solving {scenario.name} ({system.tm.n_nodes:,} unknowns, AMG-CG)")
                results[scenario.name] = solve(system, scenario)
    except RuntimeError as exc:  # CG did not converge
        raise RunError(f"{model.name} thermal solve", str(exc)) from None
    return system, results, seconds


def summary(run: ThermalRun) -> dict[str, Any]:
    """The figures engineers read, with every boundary condition stated. theta-JB and the heat split are None
    when the model has no board-side face (full-detail balls)."""
    from pkgcad.thermal import jedec

    jc, jb, dual = run.jc, run.jb, run.results.get("dual_cold_plate")
    top_share = None
    if dual is not None:
        top_share = sum(v for k, v in jedec.heat_split(dual).items() if "top" in k)
    worst = max(abs(r.energy_balance) for r in run.results.values())
    bcs = {
        "junction": f"{jc.scenario.source.face.describe()}: {jc.power_w:g} W as a uniform flux over "
                    f"{jc.source_area_mm2:.4g} mm2",
        "theta_jc_top": jc.scenario.description + "; held: " + "; ".join(
            [b.title for b in jc.scenario.isothermal] + [b.title for b in jc.scenario.convective]),
    }
    if jb is not None and dual is not None and run.model.faces.board is not None:
        bcs["theta_jb"] = jb.scenario.description + "; held: " + run.model.faces.board.describe()
        bcs["dual_cold_plate"] = dual.scenario.description
    else:
        bcs["theta_jb"] = ("not computed: the model has no board-side face (every ball is its CAD solid, touching "
                           "the board at a point)")
    return {
        "package": run.model.name,
        "variant": run.model.variant,
        "arrays": run.model.detail,
        "power_W": jc.power_w,
        "Tj_max_C": jc.tj_max_c,
        "Tj_max_C_note": "in the theta-JC(top) scenario: junction = the chip's active face, plate at "
                         f"{jc.scenario.reference_c:g} degC",
        "theta_jc_top_K_W": jc.theta_max_k_w,
        "theta_jb_K_W": jb.theta_max_k_w if jb is not None else None,
        "theta_jc_top_mean_junction_K_W": jc.theta_mean_k_w,
        "theta_jb_mean_junction_K_W": jb.theta_mean_k_w if jb is not None else None,
        "heat_split_dual_plate": ({"top": top_share, "board": 1.0 - top_share} if top_share is not None else None),
        "boundary_conditions": bcs,
        "parts_min_max_C": {k: list(v) for k, v in jc.parts.items()},
        "mesh": {"preset": run.mesh_preset, "nodes": run.system.tm.n_nodes, "tetrahedra": run.system.tm.n_elements,
                 "thin_layers": {p.name: {"thickness_mm": p.thickness_mm, "elements_through": _through(run)}
                                 for p in run.model.fem.thin_parts()}},
        "solver": {"worst_relative_residual": max(r.residual for r in run.results.values()),
                   "worst_energy_balance": worst,
                   "cg_iterations": {k: r.iterations for k, r in run.results.items()}},
        "seconds": {"model": run.seconds.get("model", 0.0), "mesh": run.mesh_s, "assembly": run.system.assembly_s,
                    "solve": sum(r.solve_s for r in run.results.values()), "total": run.total_s},
        "model_notes": list(run.model.notes),
        **_board_figures(run),
    }


def _through(run: ThermalRun) -> int:
    return PRESETS[run.mesh_preset].through


def _board_figures(run: ThermalRun) -> dict[str, Any]:
    from pkgcad.thermal import jedec

    if run.board is None:
        return {}
    b = run.board
    return {"estimate_on_board": {
        "psi_jt_K_W": jedec.psi_jt_k_w(b),
        "theta_ja_K_W": b.theta_max_k_w,
        "definition": b.scenario.description,
        "faces": [c.title for c in b.scenario.convective],
        "heat_out_W": b.heat_out_w,
        "energy_balance": b.energy_balance,
        "tetrahedra": b.n_elements,
        "note": "ESTIMATE: a JESD51-7-like 2s2p board block (114.3 x 76.2 x 1.6 mm, two 35 um planes, no vias) "
                "and a stated film coefficient, not a JESD51-2 still-air measurement",
    }}


def write_outputs(folder: Path, run: ThermalRun, lay: Layout) -> list[Path]:
    """thermal.json (summary + every scenario), compact_model.json (with theta-JB), thermal.vtu, section_*.png
    into ``folder``."""
    from pkgcad.thermal import jedec
    from pkgcad.thermal.output import write_all

    p = run.model.package_box
    window = (p[0], p[3], p[2], p[5])
    extra = {"summary": summary(run), "parameters": lay.spec.model_dump(mode="json")}
    compact = jedec.compact_model(run.jc, run.jb) if run.jb is not None else None
    return write_all(folder, run.system, run.results, run.model.conductivities, compact=compact, extra=extra,
                     window=window)


def summary_lines(d: dict[str, Any]) -> list[str]:
    """The summary as the lines `pkgcad thermal` prints."""
    bc = d["boundary_conditions"]
    split = d["heat_split_dual_plate"]
    jb = (f"{d['theta_jb_K_W']:8.3f} K/W   (mean over the junction {d['theta_jb_mean_junction_K_W']:.3f})"
          if d["theta_jb_K_W"] is not None else "     n/a (no board-side face)")
    lines = [
        f"{d['package']}: P = {d['power_W']:g} W, arrays {d['arrays']}",
        f"  Tj max            {d['Tj_max_C']:8.2f} degC  (top cold plate at 25 degC)",
        f"  theta-JC(top)     {d['theta_jc_top_K_W']:8.3f} K/W   (mean over the junction "
        f"{d['theta_jc_top_mean_junction_K_W']:.3f})",
        f"  theta-JB          {jb}",
    ]
    if split is not None:
        lines.append(f"  heat split        {split['top']:.1%} to the top, {split['board']:.1%} to the board "
                     "(both sides held)")
    lines += [
        f"  mesh              {d['mesh']['preset']}: {d['mesh']['tetrahedra']:,} tetrahedra, "
        f"{d['mesh']['nodes']:,} nodes; {d['seconds']['total']:.1f} s",
        f"  solver            residual {d['solver']['worst_relative_residual']:.1e}, energy balance "
        f"{d['solver']['worst_energy_balance']:.1e} (worst of {len(d['solver']['cg_iterations'])} scenarios)",
        "  part              min degC  max degC  (theta-JC(top) scenario)",
    ]
    lines += [f"    {name:<18}{lo:8.2f}  {hi:8.2f}" for name, (lo, hi) in d["parts_min_max_C"].items()]
    lines += ["  boundary conditions:", f"    junction: {bc['junction']}", f"    {bc['theta_jc_top']}",
              f"    {bc['theta_jb']}"]
    if "estimate_on_board" in d:
        b = d["estimate_on_board"]
        lines += [f"  ESTIMATE on board psi-JT {b['psi_jt_K_W']:.3f} K/W, theta-JA {b['theta_ja_K_W']:.2f} K/W "
                  f"({b['tetrahedra']:,} tetrahedra): {b['definition']}"]
    lines += [f"  note: {n}" for n in d["model_notes"]]
    return lines
