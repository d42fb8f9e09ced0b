"""One `pkgcad warp` run: plan (temperatures, stress-free state, mesh preset; bad input is one InputError line),
mesh the package once through the pipeline, solve the free package at every temperature, and the figures per
temperature (:class:`TemperatureResult`). Units: mm, degC, MPa; warpage in micrometres.

Figures, per temperature:

- ``warpage_board_um``: the board side: for a BGA the ball tips, the board-side face's displacement at each ball
  site's centre (x, y) (:func:`board_points`); for a QFN or an LGA every vertex of the package bottom. Their
  deviation from their best-fit plane, max minus min, signed as JESD22-B112 draws it: + convex (the corners down,
  the middle up, package upright), - concave. ``warpage_top_um`` the same for every vertex of the package top.
  Why at the sites and not over the ball block's bottom face: the block covers each site's pitch square, so its
  face reaches half a pitch beyond the outer tips; read there, a 10 x 10 array's warpage comes out
  (10 / 9)^2 - 1 = 23 % high (the curvature's deflection grows as the square of the span), what
  ``bench/warp_arrays.py`` measured against every ball in full detail (+21.5 to +29.8 %) before this reading.
- ``coplanarity_corner_um``: the middle minus the mean of the four corners of the board side (signed likewise).
- ``chip_stress_max_mpa``: the largest first principal stress in the chip (at an element corner) and where;
  ``chip_stress_interior_mpa`` the same over the chip's elements :data:`CHIP_EDGE_DISTANCE_MM` inside its edges;
  ``heat_sink_von_mises_max_mpa``.
- ``bond_shear_max_mpa`` / ``bond_peel_max_mpa`` per thin bond line: the largest sqrt(tau_xz^2 + tau_yz^2) and
  sigma_zz at element centroids at least :data:`CORNER_DISTANCE_MM` in plan from the layer's corners (the corner
  itself is a singularity: its value grows without bound as the mesh is refined).
- per-part von Mises ranges, the mesh, the solver's residual and the supports' reaction (zero for a free body).
- ``clt_warpage_um``: what classical lamination theory gives for the layers spanning the footprint alone
  (carrier, mold, heat sink; no chip, bumps or balls): the centre's rise over the corners, k (L^2 + W^2) / 8,
  signed as ``warpage_board_um``. None for a QFN.

The stiffness depends on the temperature only through the glass transitions: temperatures on the same side of
every Tg share one assembled matrix and one factor (or AMG hierarchy).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from pkgcad.errors import InputError, RunError
from pkgcad.layout import Layout

Progress = Callable[[str], None]

T_MIN_C, T_MAX_C = -65.0, 300.0
"""Temperatures accepted (degC): JEDEC storage low to above any reflow peak."""
STRESS_FREE_C = 175.0
"""Default stress-free state: the mold cure temperature."""
DEFAULT_TEMPERATURES = (25.0, 150.0, 183.0, 217.0, 245.0, 260.0)
"""Room temperature and the JESD22-B112 reflow points (SnPb and SAC liquidus, peaks)."""
CHIP_EDGE_DISTANCE_MM = 0.25
"""``chip_stress_interior_mpa`` is taken over the chip's elements at least this far (in plan) inside its edges:
what loads the chip's middle (the attach above it) apart from its edges (the mold and the substrate)."""
CORNER_DISTANCE_MM = 0.1
"""Bond-line stresses are reported this far (in plan) from the layer's corners."""
THIN_BONDS = ("die_attach", "buffer_pad_attach", "adhesive")


def parse_temperatures(text: str | None) -> tuple[float, ...]:
    """``--at 25,260`` -> (25.0, 260.0); the defaults when None. InputError for a bad list or value."""
    if text is None:
        return DEFAULT_TEMPERATURES
    out = []
    for item in text.split(","):
        try:
            t = float(item)
        except ValueError:
            raise InputError("--at", text, "must be temperatures in degC separated by commas",
                             "e.g. --at 25,183,260") from None
        out.append(t)
    return tuple(out)


def check_options(temperatures: Sequence[float], stress_free_c: float, mesh: str) -> None:
    """Bad options as one :class:`InputError` line, before any work."""
    from pkgcad.conformal.options import PRESETS

    if mesh not in PRESETS:
        raise InputError("--mesh", mesh, f"is not one of {', '.join(PRESETS)}",
                         "coarse for a quick look, normal for the figures, fine to confirm them")
    if not temperatures:
        raise InputError("--at", "", "names no temperature", "e.g. --at 25,260")
    for key, values in (("--at", temperatures), ("--stress-free", (stress_free_c,))):
        for t in values:
            if not (math.isfinite(t) and T_MIN_C <= t <= T_MAX_C):
                raise InputError(key, t, f"must lie between {T_MIN_C:g} and {T_MAX_C:g} degC",
                                 "give a temperature in that range")
    for t in temperatures:
        if t == stress_free_c:
            raise InputError("--at", t, f"equals the stress-free temperature {stress_free_c:g} degC (nothing "
                             "to solve: no strain)", "drop it from --at or change --stress-free")


@dataclass(frozen=True)
class TemperatureResult:
    temperature_c: float
    warpage_board_um: float
    warpage_top_um: float
    coplanarity_corner_um: float
    chip_stress_max_mpa: float
    chip_stress_at_mm: tuple[float, float, float]
    chip_stress_interior_mpa: float | None
    heat_sink_von_mises_max_mpa: float | None
    bond_shear_max_mpa: float | None
    bonds: dict[str, dict[str, float]]
    parts_von_mises_mpa: dict[str, tuple[float, float]]
    residual: float
    reaction: float
    iterations: int
    solve_s: float
    clt_warpage_um: float | None
    displacement: np.ndarray = field(repr=False)
    von_mises: np.ndarray = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "temperature_c": self.temperature_c,
            "warpage_board_um": self.warpage_board_um,
            "warpage_top_um": self.warpage_top_um,
            "coplanarity_corner_um": self.coplanarity_corner_um,
            "chip_stress_max_mpa": self.chip_stress_max_mpa,
            "chip_stress_at_mm": list(self.chip_stress_at_mm),
            "chip_stress_interior_mpa": self.chip_stress_interior_mpa,
            "heat_sink_von_mises_max_mpa": self.heat_sink_von_mises_max_mpa,
            "bond_shear_max_mpa": self.bond_shear_max_mpa,
            "bonds": self.bonds,
            "clt_warpage_um": self.clt_warpage_um,
            "parts_von_mises_mpa": {k: list(v) for k, v in self.parts_von_mises_mpa.items()},
            "solver": {"relative_residual": self.residual, "support_reaction": self.reaction,
                       "cg_iterations": self.iterations, "seconds": self.solve_s},
        }


@dataclass(frozen=True, eq=False)
class WarpRun:
    model: Any  # WarpModel
    mesh: Any  # FemMesh
    preset: str
    stress_free_c: float
    results: tuple[TemperatureResult, ...]
    seconds: dict[str, float]


def run_layout(lay: Layout, *, temperatures: Sequence[float] = DEFAULT_TEMPERATURES,
               stress_free_c: float = STRESS_FREE_C, mesh: str = "normal",
               progress: Progress | None = None, arrays: str = "blocks") -> WarpRun:
    """Mesh ``lay`` and solve every temperature (see the module doc). Mesher or solver failure -> RunError.
    ``arrays``: ``"blocks"`` (the bumps and balls homogenised, what the CLI runs) or ``"full"`` (every one its
    CAD solid; ``bench/warp_arrays.py``)."""
    from pkgcad.warp.model import build_model

    check_options(temperatures, stress_free_c, mesh)
    say = progress or (lambda _s: None)
    start = time.perf_counter()
    model = build_model(lay, progress=say, arrays=arrays)
    seconds = {"model": time.perf_counter() - start}
    fm, space = mesh_space(model, mesh, say, seconds)
    results = solve_all(model, fm, space, temperatures, stress_free_c, say)
    seconds["total"] = time.perf_counter() - start
    return WarpRun(model, fm, mesh, stress_free_c, results, seconds)


def mesh_space(model: Any, mesh: str, say: Progress, seconds: dict[str, float]) -> tuple[Any, Any]:
    """The pipeline's mesh of ``model`` and its P2 displacement space; gmsh failure -> RunError."""
    from pkgcad.conformal.mesh import MeshCheckError
    from pkgcad.conformal.meshing import mesh_model, preset_of
    from pkgcad.solvers import elasticity as el

    t0 = time.perf_counter()
    try:
        # the rims' refinement (MeshPreset.edge) is for heat crowding at a layer's outline; warp reads the bond
        # lines' stresses at a stated distance from the chip's corner, and its speed and convergence figures
        # (README, "Warpage and stress") were measured without it
        fm, gmsh_s = mesh_model(model.fem, replace(preset_of(mesh), edge=0.0), progress=say)
    except MeshCheckError as exc:
        raise RunError(f"{model.name} warp mesh", str(exc).splitlines()[0] if str(exc) else
                       type(exc).__name__) from None
    seconds["mesh"] = time.perf_counter() - t0
    seconds.update({f"gmsh_{k}": v for k, v in gmsh_s.items()})
    return fm, el.make_space(fm.mesh)


def solve_all(model: Any, fm: Any, space: Any, temperatures: Sequence[float], stress_free_c: float,
              say: Progress) -> tuple[TemperatureResult, ...]:
    """Every temperature on one mesh: one matrix and one factor per glass-transition regime; each solve starts from
    the best combination of the displacements already solved (:func:`pkgcad.solvers.elasticity.galerkin_guess`)."""
    from threadpoolctl import threadpool_limits

    from pkgcad.solvers import elasticity as el

    results: dict[float, TemperatureResult] = {}
    previous: list[np.ndarray] = []  # every displacement so far: CG starts from their best combination
    regimes: dict[Any, list[float]] = {}
    for t in temperatures:
        regimes.setdefault(model.regime(t), []).append(t)
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            for temps in regimes.values():
                say(f"assembling {fm.n_elements:,} tetrahedra (P2, {space.n_dofs:,} unknowns)")
                system = el.assemble(space, model.stiffness(fm, temps[0]))
                say(f"preparing the solver ({space.n_dofs:,} unknowns)")
                solver = el.factor(system)
                for t in temps:
                    say(f"solving {t:g} degC ({space.n_dofs:,} unknowns)")
                    sol = el.solve(system, model.strain(fm, stress_free_c, t), solver=solver, previous=previous)
                    previous.append(sol.displacement)
                    lam = model.lamination(stress_free_c, t)
                    results[t] = figures(fm, sol, t, lam, model.board_sites())
    except RuntimeError as exc:  # CG did not converge
        raise RunError(f"{model.name} warp solve", str(exc)) from None
    return tuple(results[t] for t in temperatures)


def figures(fm: Any, sol: Any, temperature_c: float, lamination: Any = None,
            sites: np.ndarray | None = None) -> TemperatureResult:
    """The figures of one solution (see the module doc); ``lamination``: the full-footprint layers' classical
    lamination theory (:meth:`pkgcad.warp.model.WarpModel.lamination`) whose warpage is set beside the FEM's;
    ``sites``: (n, 2) the balls' x, y (mm), where the board side is read (None: every bottom vertex)."""
    from pkgcad.solvers.elasticity import principal, von_mises

    p = fm.mesh.p
    u = sol.vertex_displacement
    corner = sol.corner_stress()  # (n_el, 4, 6)
    vm = von_mises(corner)
    names = fm.part_names
    tol = 1e-6 * float(np.linalg.norm(p.max(axis=1) - p.min(axis=1)))
    bottom = np.flatnonzero(p[2] <= p[2].min() + tol)
    top = np.flatnonzero(p[2] >= p[2].max() - tol)
    board, board_sign, corner_rise = _warpage(*board_points(p[:, bottom], u[bottom], sites))
    top_w, top_sign, _ = _warpage(p[:, top], u[top])
    chip = names.index("chip")
    in_chip = np.flatnonzero(fm.part_of_element == chip)
    s1 = principal(corner[in_chip])[..., 2]
    e, k = np.unravel_index(int(np.argmax(s1)), s1.shape)
    where = p[:, fm.mesh.t[k, in_chip[e]]]
    cxy = p[:2, fm.mesh.t[:, in_chip]].mean(axis=1)
    lo, hi = p[:2, fm.mesh.t[:, in_chip].ravel()].min(axis=1), p[:2, fm.mesh.t[:, in_chip].ravel()].max(axis=1)
    inner = np.all((cxy >= lo[:, None] + CHIP_EDGE_DISTANCE_MM) & (cxy <= hi[:, None] - CHIP_EDGE_DISTANCE_MM),
                   axis=0)
    interior = float(s1[inner].max()) if inner.any() else None
    hs = names.index("heat_sink") if "heat_sink" in names else None
    hs_vm = float(vm[fm.part_of_element == hs].max()) if hs is not None else None
    centroid = sol.centroid_stress()
    bonds: dict[str, dict[str, float]] = {}
    for bond in THIN_BONDS:
        if bond not in names:
            continue
        els = np.flatnonzero(fm.part_of_element == names.index(bond))
        xy = p[:2, fm.mesh.t[:, els]].mean(axis=1)
        lo, hi = xy.min(axis=1), xy.max(axis=1)
        corners = np.array([[lo[0], lo[1]], [lo[0], hi[1]], [hi[0], lo[1]], [hi[0], hi[1]]])
        dist = np.min(np.linalg.norm(xy.T[:, None, :] - corners[None], axis=2), axis=1)
        keep = els[dist >= CORNER_DISTANCE_MM] if np.any(dist >= CORNER_DISTANCE_MM) else els
        s = centroid[keep]
        bonds[bond] = {"shear_max_mpa": float(np.hypot(s[:, 3], s[:, 4]).max()),
                       "peel_max_mpa": float(s[:, 2].max()), "peel_min_mpa": float(s[:, 2].min())}
    parts = {}
    for i, name in enumerate(names):
        v = vm[fm.part_of_element == i]
        parts[name] = (float(v.min()), float(v.max()))
    return TemperatureResult(
        temperature_c=temperature_c,
        warpage_board_um=1000.0 * board_sign * board,
        warpage_top_um=1000.0 * top_sign * top_w,
        coplanarity_corner_um=1000.0 * corner_rise,
        chip_stress_max_mpa=float(s1.max()),
        chip_stress_at_mm=(float(where[0]), float(where[1]), float(where[2])),
        chip_stress_interior_mpa=interior,
        heat_sink_von_mises_max_mpa=hs_vm,
        bond_shear_max_mpa=max((b["shear_max_mpa"] for b in bonds.values()), default=None),
        bonds=bonds,
        parts_von_mises_mpa=parts,
        residual=sol.residual,
        reaction=sol.reaction,
        iterations=sol.iterations,
        solve_s=sol.solve_s,
        clt_warpage_um=(1000.0 * lamination.warpage_mm(float(np.ptp(p[0])), float(np.ptp(p[1])))
                        if lamination is not None else None),
        displacement=u,
        von_mises=von_mises(centroid),
    )


def board_points(points: np.ndarray, u: np.ndarray, sites: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The board side's points (3, n) and displacements (n, 3): ``points``/``u`` of the bottom face's vertices
    as they are without ``sites``; with them, the face's displacement at each site (x, y), linear between the face's
    vertices (scipy's LinearNDInterpolator over their Delaunay triangulation in plan). A site on a vertex (a ball's
    pole in full detail) takes that vertex's displacement exactly. RunError if a site lies outside the face."""
    if sites is None:
        return points, u
    from scipy.interpolate import LinearNDInterpolator

    xy = np.asarray(sites, dtype=float).reshape(-1, 2)
    at = LinearNDInterpolator(points[:2].T, u)(xy)
    if not np.all(np.isfinite(at)):
        raise RunError("warp board side", f"{int(np.sum(~np.isfinite(at).all(axis=1)))} ball sites lie outside "
                       "the package's bottom face")
    return np.vstack([xy.T, np.full(len(xy), float(points[2].min()))]), at


def _warpage(points: np.ndarray, u: np.ndarray) -> tuple[float, float, float]:
    """Warpage of a face's vertices (mm): max minus min deviation of the deformed heights from their best-fit
    plane; the sign (+1 convex: the middle above the corners); the middle's rise over the corners' mean."""
    x, y, w = points[0], points[1], u[:, 2]
    design = np.column_stack([np.ones_like(x), x, y])
    r = w - design @ np.linalg.lstsq(design, w, rcond=None)[0]
    cx, cy = 0.5 * (x.min() + x.max()), 0.5 * (y.min() + y.max())
    d = np.hypot(x - cx, y - cy)
    middle = float(r[d <= np.quantile(d, 0.05)].mean())
    corners = float(r[d >= np.quantile(d, 0.95)].mean())
    rise = middle - corners
    return float(r.max() - r.min()), (1.0 if rise >= 0.0 else -1.0), rise
