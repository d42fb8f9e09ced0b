"""Steady heat conduction on a solver mesh: scikit-fem Lagrange elements (quadratic P2 by default, linear P1 on
request), pyamg-preconditioned conjugate gradients.

What a run asks (a :class:`Scenario`): a heat source on a face, held faces (:class:`Isothermal`) and film faces
(:class:`Convective`, h (T - T_ambient)), faces to monitor; faces are :class:`~pkgcad.conformal.faces.Face`
selections (part + side). :func:`prepare` assembles the conduction matrix once per mesh from each element's
orthotropic conductivity, plus any conducting :class:`Sheet` (a copper plane of a board: its in-plane
conductance k t on a plane of facets, no thickness); :func:`solve` adds one scenario's faces, solves for the
temperature rise over the reference and reports the junction (the source face), the heat leaving through every
face (reactions on held faces, h (T - Ta) on film faces), the energy balance, per-part extremes and solver
figures; :func:`probe` reads a solution at points (a board thermocouple).

Why P2 (:data:`DEFAULT_ORDER`): a package is a stack of layers 0.03-0.4 mm thick over several mm, with bond
lines ending inside it. Linear tetrahedra of the mesher's size (one or two through a chip or a substrate)
converge slowly there: the connecting-portion template's theta-JC(top) was 1.257 / 1.299 / 1.329 K/W with P1 at
24 / 34 / 48 elements across (still rising ~2 % per step), against 1.371 / 1.384 / 1.389 with P2 on the same
meshes (measured; ``bench/thermal_convergence.py``). The P2 system is solved with a two-level preconditioner:
Gauss-Seidel on P2, the thin layers' columns solved exactly, and the P1 problem (the Galerkin product with the
P1 -> P2 interpolation, which is exactly the P1 matrix) by smoothed-aggregation AMG below it.

Units: mm, W, degC, K/W; conductivities in W/(m K) (``k / 1000`` in W/(mm K)), film coefficients in W/(m2 K).
The mechanics' elasticity solver (issue 21) goes beside this module, on the same mesh.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pyamg
import scipy.sparse as sp
from pyamg.relaxation.relaxation import gauss_seidel
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import LinearOperator, cg
from skfem import Basis, BilinearForm, ElementTetP1, ElementTetP2, FacetBasis, LinearForm, condense

from ..conformal.faces import Face, PlaneFacets, facet_areas, select, select_plane
from ..conformal.femmesh import FemMesh

DEFAULT_ORDER = 2
"""Polynomial order of the elements :func:`prepare` uses unless told otherwise (see the module notes)."""
ORDERS = (1, 2)
P2_EDGES = ((0, 1), (1, 2), (0, 2), (0, 3), (1, 3), (2, 3))
"""scikit-fem's local edges of a tetrahedron (``ElementTetP2``'s edge dofs 4-9), as vertex pairs."""


@dataclass(frozen=True)
class HeatSource:
    """Power P (W) entering uniformly (flux P / A) through a face, e.g. the chip's active face."""

    face: Face
    power_w: float = 1.0
    name: str = "junction"

    def __post_init__(self) -> None:
        if not self.power_w > 0.0:
            raise ValueError(f"heat source power {self.power_w!r} W must be positive")


@dataclass(frozen=True)
class Isothermal:
    """A face held at one temperature (a cold plate, the board side)."""

    face: Face
    temperature_c: float = 25.0
    name: str = ""

    @property
    def title(self) -> str:
        return self.name or self.face.describe()


@dataclass(frozen=True)
class Convective:
    """A Robin face: heat flux h (T - T_ambient) leaves it (a film coefficient to the air, a contact to a plate)."""

    face: Face
    h_w_m2k: float
    ambient_c: float = 25.0
    name: str = ""

    def __post_init__(self) -> None:
        if not self.h_w_m2k > 0.0:
            raise ValueError(f"film coefficient h={self.h_w_m2k!r} W/(m2 K) must be positive")

    @property
    def title(self) -> str:
        return self.name or self.face.describe()


@dataclass(frozen=True)
class Sheet:
    """A conducting sheet with no thickness on a plane of facets (a copper plane or trace layer of a board):
    in-plane conductance ``conductance_w_k`` = k t [W/K] (k in W/(m K) times the thickness in m), added to the
    conduction of the solids it lies between or on."""

    plane: PlaneFacets
    conductance_w_k: float
    name: str = ""

    def __post_init__(self) -> None:
        if not self.conductance_w_k > 0.0:
            raise ValueError(f"sheet {self.name!r}: conductance {self.conductance_w_k!r} W/K must be positive")


@dataclass(frozen=True)
class Scenario:
    """One boundary-value problem: the source, the held and convective faces, and the faces to report."""

    name: str
    description: str
    source: HeatSource
    isothermal: tuple[Isothermal, ...] = ()
    convective: tuple[Convective, ...] = ()
    monitors: tuple[tuple[str, Face], ...] = ()

    def __post_init__(self) -> None:
        if not self.isothermal and not self.convective:
            raise ValueError(f"scenario {self.name!r}: no held or convective face, so no steady state exists")

    @property
    def reference_c(self) -> float:
        """The temperature the thermal resistance is measured from: the held face, else the ambient."""
        return self.isothermal[0].temperature_c if self.isothermal else self.convective[0].ambient_c


AMG = "smoothed aggregation (symmetric strength, theta 0.05; Gauss-Seidel smoothing)"
"""pyamg's preconditioner (:func:`_amg`). The thin layers' flat elements (a 5 um film over a 0.5 mm grid) make
the matrix strongly anisotropic and the conductivities jump by 1000 across a bond line. Classical (Ruge-Stuben)
AMG with its default strength then needs 50-73 CG iterations on qfn's P1 problems (to 1e-8) and smoothed
aggregation with its default strength 68-87; smoothed aggregation whose strength keeps every connection above
5 % of the diagonal's (``symmetric``, theta 0.05) needs 14-24 at the same cost per cycle once its levels are CSR
(pyamg stores them as 1 x 1 BSR, whose Gauss-Seidel is about 5x slower). Measured on qfn and flipchip-bga at
--mesh normal; the default run's cost and figures against the previous solver: ``bench/thermal_cost.py``."""
METHODS = {1: "scikit-fem P1 (linear tetrahedra) + pyamg smoothed-aggregation AMG-preconditioned CG",
           2: "scikit-fem P2 (quadratic tetrahedra) + CG preconditioned by Gauss-Seidel on P2 over pyamg "
              "smoothed-aggregation AMG on P1"}
W_MM2K_PER_W_M2K = 1e-6  # film coefficient: W/(m2 K) -> W/(mm2 K)
W_MMK_PER_W_MK = 1e-3  # conductivity: W/(m K) -> W/(mm K)


@BilinearForm
def _in_plane(u, v, w):
    """k t times the gradients' product less their normal parts: conduction along a sheet (W/K per mm2 / mm2)."""
    gu = u.grad[0] * w.n[0] + u.grad[1] * w.n[1] + u.grad[2] * w.n[2]
    gv = v.grad[0] * w.n[0] + v.grad[1] * w.n[1] + v.grad[2] * w.n[2]
    return w.g * (u.grad[0] * v.grad[0] + u.grad[1] * v.grad[1] + u.grad[2] * v.grad[2] - gu * gv)


@BilinearForm
def _mass(u, v, _):
    return u * v


@LinearForm
def _ones(v, _):
    return v


@dataclass(frozen=True, eq=False)
class System:
    """A mesh with its conduction matrix (W/K) assembled: reused by every scenario. ``k_w_mk`` (3, n_elements):
    each element's conductivity along x, y, z in W/(m K); ``order`` the elements' (1 or 2); ``basis`` the scikit-fem
    basis whose degrees of freedom the matrix and every solution use (the mesh nodes first, for P2 then one per
    edge)."""

    tm: FemMesh
    k_w_mk: np.ndarray
    stiffness: sp.csr_matrix
    assembly_s: float
    order: int = 1
    basis: Any = None
    sheets: tuple[Sheet, ...] = ()
    columns: tuple[np.ndarray, ...] = ()  # dofs of the thin layers, stacked in z (the P2 smoother's blocks)
    prolong: sp.csr_matrix | None = None  # P2: the P1 -> P2 interpolation (:func:`_p1_to_p2`), built once per mesh

    @property
    def n_dofs(self) -> int:
        return int(self.stiffness.shape[0])

    def element(self) -> Any:
        return ElementTetP2() if self.order == 2 else ElementTetP1()


def prepare(tm: FemMesh, k_w_mk: np.ndarray, *, order: int = DEFAULT_ORDER, sheets: tuple[Sheet, ...] = (),
            layers: tuple[str, ...] = ()) -> System:
    """Assemble the conduction matrix of ``tm`` with each element's orthotropic conductivity ``k_w_mk`` (3,
    n_elements) in W/(m K), Lagrange elements of ``order`` (1 or 2), plus the in-plane conduction of ``sheets``.
    ``layers``: the parts meshed as thin layers (structured through their thickness), whose columns the P2
    smoother solves together: a 2 um film 1000 times flatter than its elements are wide stalls pointwise
    Gauss-Seidel (theta-JB of flipchip-bga: 161 CG iterations without, 56 with; measured)."""
    start = time.perf_counter()
    if order not in ORDERS:
        raise ValueError(f"element order {order!r} is not one of {', '.join(map(str, ORDERS))}")
    k_w_mk = np.asarray(k_w_mk, dtype=float)
    if k_w_mk.shape != (3, tm.n_elements):
        raise ValueError(f"conductivity must be (3, {tm.n_elements}) (x, y, z per element), got {k_w_mk.shape}")
    if not np.all(k_w_mk > 0.0):
        raise ValueError("every element needs a positive conductivity along x, y and z")
    # the stiffness is in closed form (:func:`_stiffness`), so the basis serves for its dofs and probes only: one
    # quadrature point keeps its tabulated shape functions 4x smaller than P2's usual four
    basis = Basis(tm.mesh, ElementTetP2() if order == 2 else ElementTetP1(), intorder=1)
    stiffness = _stiffness(tm, k_w_mk * W_MMK_PER_W_MK, order, basis.element_dofs)
    for sheet in sheets:
        facets = select_plane(tm, sheet.plane)
        fb = FacetBasis(tm.mesh, basis.elem, facets=facets, intorder=2 * order)
        stiffness = stiffness + _in_plane.assemble(fb, g=sheet.conductance_w_k)  # W/K: no unit factor
    columns = tuple(_columns(tm, basis, layers)) if order == 2 else ()
    prolong = _p1_to_p2(tm) if order == 2 else None
    return System(tm, k_w_mk, stiffness.tocsr(), time.perf_counter() - start, order, basis, tuple(sheets), columns,
                  prolong)


def _stiffness(tm: FemMesh, k: np.ndarray, order: int, dofs: np.ndarray) -> sp.csr_matrix:
    """The conduction matrix for constant orthotropic k per element, in closed form: with the barycentric
    coordinates' gradients g_m and G_mn = V g_m . diag(k) g_n, every element matrix is sum_mn G_mn C_mn, C a fixed
    table of integrals of the shape functions' barycentric factors (:func:`_shape_integrals`). Summed in chunks of
    :data:`CHUNK` elements, so the element matrices (100 numbers each for P2) never all exist at once."""
    p, t = tm.mesh.p, tm.mesh.t
    n = int(dofs.max()) + 1
    size = dofs.shape[0]
    table = _shape_integrals(order).reshape(size * size, 16).T  # (16, size * size)
    index = np.int32 if n < 2**31 else np.int64
    out = sp.csr_matrix((n, n))
    for lo in range(0, t.shape[1], CHUNK):
        part = slice(lo, lo + CHUNK)
        x = p[:, t[:, part]]  # (3, 4, m)
        edges = (x[:, 1:] - x[:, :1]).transpose(2, 1, 0)  # (m, 3 edges, 3 xyz)
        volume = np.abs(np.linalg.det(edges)) / 6.0
        inv = np.linalg.inv(edges)  # columns: gradients of barycentric coordinates 1..3
        grads = np.concatenate([-inv.sum(axis=2, keepdims=True), inv], axis=2)  # (m, 3 xyz, 4)
        g = np.einsum("nim,in,nil->nml", grads, k[:, part], grads) * volume[:, None, None]  # (m, 4, 4)
        local = g.reshape(-1, 16) @ table  # (m, size * size): row a * size + b
        d = dofs[:, part].T.astype(index)  # (m, size)
        rows = np.repeat(d, size, axis=1).ravel()
        cols = np.tile(d, (1, size)).ravel()
        out = out + sp.csr_matrix((local.ravel(), (rows, cols)), shape=(n, n))
    return out.tocsr()


CHUNK = 20_000
"""Elements per chunk of :func:`_stiffness` (P2: 100 matrix entries each, 16 bytes per entry with its indices)."""


@cache
def _shape_integrals(order: int) -> np.ndarray:
    """C[a, b, m, n] = (1 / V) integral of c_am c_bn over a tetrahedron, where the gradient of shape function a is
    sum_m c_am g_m (c linear in the barycentric coordinates l). P1: c_am = delta_am. P2 (scikit-fem's order:
    vertices 0-3, then the edges 01, 12, 02, 03, 13, 23): vertex i: c_ii = 4 l_i - 1; edge ij: c_ij,j = 4 l_i,
    c_ij,i = 4 l_j. Integrals: (1 / V) int l_i = 1 / 4, (1 / V) int l_i l_j = (1 + delta_ij) / 20."""
    if order == 1:
        return np.asarray(np.einsum("am,bn->abmn", np.eye(4), np.eye(4)))
    # each c as coefficients over (1, l0, l1, l2, l3)
    coef = np.zeros((10, 4, 5))
    for i in range(4):
        coef[i, i, 0], coef[i, i, 1 + i] = -1.0, 4.0
    for e, (i, j) in enumerate(P2_EDGES, start=4):
        coef[e, j, 1 + i] = 4.0
        coef[e, i, 1 + j] = 4.0
    moments = np.empty((5, 5))  # (1 / V) int of basis-monomial products
    moments[0, 0] = 1.0
    moments[0, 1:] = moments[1:, 0] = 0.25
    moments[1:, 1:] = (np.ones((4, 4)) + np.eye(4)) / 20.0
    return np.asarray(np.einsum("amp,bnq,pq->abmn", coef, coef, moments))


@dataclass(frozen=True)
class FaceTemperature:
    mean_c: float
    max_c: float
    centre_c: float
    area_mm2: float


@dataclass(frozen=True, eq=False)
class Result:
    """The answer to one scenario. Resistances are (T - reference) / P in K/W."""

    scenario: Scenario
    temperature_c: np.ndarray = field(repr=False)
    power_w: float
    source_area_mm2: float
    tj_max_c: float
    tj_mean_c: float
    heat_out_w: dict[str, float]
    monitors: dict[str, FaceTemperature]
    parts: dict[str, tuple[float, float]]
    n_nodes: int
    n_elements: int
    iterations: int
    residual: float
    energy_balance: float
    assembly_s: float
    solve_s: float
    solution: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)  # every dof (P2: nodes, edges)
    order: int = 1

    @property
    def theta_max_k_w(self) -> float:
        return (self.tj_max_c - self.scenario.reference_c) / self.power_w

    @property
    def theta_mean_k_w(self) -> float:
        return (self.tj_mean_c - self.scenario.reference_c) / self.power_w

    def to_dict(self) -> dict[str, Any]:
        s = self.scenario
        return {
            "scenario": s.name,
            "description": s.description,
            "source": {"face": s.source.face.describe(), "power_W": self.power_w, "area_mm2": self.source_area_mm2},
            "held_faces": [{"face": b.title, "temperature_C": b.temperature_c} for b in s.isothermal],
            "convective_faces": [
                {"face": b.title, "h_W_m2K": b.h_w_m2k, "ambient_C": b.ambient_c} for b in s.convective
            ],
            "reference_C": s.reference_c,
            "Tj_max_C": self.tj_max_c,
            "Tj_mean_C": self.tj_mean_c,
            "theta_max_K_W": self.theta_max_k_w,
            "theta_mean_K_W": self.theta_mean_k_w,
            "heat_out_W": self.heat_out_w,
            "monitors": {k: vars(v) for k, v in self.monitors.items()},
            "parts_min_max_C": {k: list(v) for k, v in self.parts.items()},
            "mesh": {"nodes": self.n_nodes, "tetrahedra": self.n_elements, "element_order": self.order,
                     "unknowns": int(self.solution.size)},
            "solver": {
                "method": METHODS[self.order],
                "iterations": self.iterations,
                "relative_residual": self.residual,
                "energy_balance": self.energy_balance,
                "assembly_s": self.assembly_s,
                "solve_s": self.solve_s,
            },
        }


def _facet_basis(system: System, facets: np.ndarray) -> FacetBasis:
    return FacetBasis(system.tm.mesh, system.element(), facets=facets, intorder=2 * system.order)


RTOL = 1e-8
"""CG's relative residual target. The reported metrics move by less than 1e-9 (relative) between 1e-8 and 1e-12
on qfn's four scenarios, and by less than 2e-7 at 1e-5 (measured), so 1e-8 leaves
them exact to every printed digit at 15-20 % fewer iterations than 1e-10."""
RESTARTS = 3
"""How many times :func:`solve` restarts CG from its answer when the true residual is above RESTART_SLACK x rtol."""
RESTART_SLACK = 10.0


def solve(system: System, scenario: Scenario, *, rtol: float = RTOL, maxiter: int = 2000) -> Result:
    """Temperature field and figures of one scenario; RuntimeError if CG does not converge."""
    start = time.perf_counter()
    tm, n = system.tm, system.n_dofs
    t_ref = scenario.reference_c
    src_facets = select(tm, scenario.source.face)
    src_load = _ones.assemble(_facet_basis(system, src_facets))
    src_area = float(src_load.sum())
    f = src_load * (scenario.source.power_w / src_area)
    matrix = system.stiffness.copy()
    robin: list[tuple[str, np.ndarray, float, float]] = []
    for bc in scenario.convective:
        fb = _facet_basis(system, select(tm, bc.face))
        h = bc.h_w_m2k * W_MM2K_PER_W_M2K
        load = _ones.assemble(fb)
        matrix = matrix + h * _mass.assemble(fb)
        f = f + h * (bc.ambient_c - t_ref) * load
        robin.append((bc.title, load, h, bc.ambient_c - t_ref))
    x = np.zeros(n)
    held = np.zeros(n, dtype=bool)
    held_sets: list[tuple[str, np.ndarray]] = []
    for iso in scenario.isothermal:
        dofs = system.basis.get_dofs(select(tm, iso.face)).all()
        dofs = dofs[~held[dofs]]  # a dof shared by two held faces counts for the first
        held[dofs] = True
        x[dofs] = iso.temperature_c - t_ref
        held_sets.append((iso.title, dofs))
    matrix = matrix.tocsr()
    _check_connected(system, matrix, held, robin)
    dofs_held = np.flatnonzero(held)
    a, b, x_full, interior = (condense(matrix, f, x=x, D=dofs_held) if dofs_held.size
                              else (matrix, f, x, np.arange(n)))
    a = a.tocsr()
    ml = _preconditioner(system, a, interior)  # a LinearOperator
    count = [0]

    def _tick(_: np.ndarray) -> None:
        count[0] += 1

    norm_b = float(np.linalg.norm(b)) or 1.0
    y: np.ndarray | None = None
    for _ in range(RESTARTS + 1):
        # CG stops on its recursively updated residual, which drifts from the true b - A y in rounding on large
        # ill-conditioned systems (a fine P2 mesh: 1e-10 recursive, 2e-8 true): restart from y until the TRUE
        # residual is within RESTART_SLACK of rtol (each restart starts from the true residual)
        y, info = cg(a, b, x0=y, rtol=rtol, atol=0.0, maxiter=maxiter, M=ml, callback=_tick)
        if info != 0:
            raise RuntimeError(f"scenario {scenario.name}: CG did not converge in {maxiter} iterations")
        residual = float(np.linalg.norm(b - a @ y)) / norm_b
        if residual <= RESTART_SLACK * rtol:
            break
    assert y is not None
    theta = x_full.copy()
    theta[interior] = y
    reaction = matrix @ theta - f  # heat entering through each held dof (W)
    heat_out = {name: float(-reaction[d].sum()) for name, d in held_sets}
    for name, load, h, amb in robin:
        heat_out[name] = float(h * (load @ theta - amb * load.sum()))  # integral of h (T - Ta) over the face
    power = scenario.source.power_w
    balance = (power - sum(heat_out.values())) / power
    solution = theta + t_ref
    src_dofs = system.basis.get_dofs(src_facets).all()
    return Result(
        scenario=scenario,
        temperature_c=solution[: tm.n_nodes],
        power_w=power,
        source_area_mm2=src_area,
        tj_max_c=float(solution[src_dofs].max()),
        tj_mean_c=float(src_load @ solution / src_area),
        heat_out_w=heat_out,
        monitors={name: face_temperature(system, face, solution) for name, face in scenario.monitors},
        parts=part_extremes(system, solution),
        n_nodes=tm.n_nodes,
        n_elements=tm.n_elements,
        iterations=count[0],
        residual=residual,
        energy_balance=float(balance),
        assembly_s=system.assembly_s,
        solve_s=time.perf_counter() - start,
        solution=solution,
        order=system.order,
    )


def _preconditioner(system: System, a: sp.csr_matrix, interior: np.ndarray) -> LinearOperator:
    """AMG (:func:`_amg`) on P1; on P2 a two-level cycle (see the module notes): Gauss-Seidel on P2, the thin
    layers' columns solved exactly (block Jacobi), one AMG V-cycle on the P1 problem (the Galerkin product with the
    P1 -> P2 interpolation), then the same smoothing in reverse order: symmetric, so CG may use it."""
    if system.order == 1:
        return _amg(a).aspreconditioner()
    assert system.prolong is not None
    prolong = system.prolong[interior]
    vertices = np.flatnonzero(np.asarray(prolong.getnnz(axis=0)) > 0)
    prolong = prolong[:, vertices].tocsr()
    restrict = prolong.T.tocsr()
    coarse = _amg((restrict @ a @ prolong).tocsr())
    columns = _column_inverse(a, system.columns, interior)

    def cycle(r: np.ndarray) -> np.ndarray:
        r = np.asarray(r, dtype=float).ravel()
        x = np.zeros_like(r)
        gauss_seidel(a, x, r, iterations=SWEEPS, sweep="forward")
        if columns is not None:
            x += columns @ (r - a @ x)
        x += prolong @ coarse.solve(restrict @ (r - a @ x), x0=np.zeros(prolong.shape[1]), maxiter=1, tol=1e-30,
                                    cycle="V")
        if columns is not None:
            x += columns @ (r - a @ x)
        gauss_seidel(a, x, r, iterations=SWEEPS, sweep="backward")
        return x

    return LinearOperator(a.shape, matvec=cycle, dtype=float)


SWEEPS = 2
"""Gauss-Seidel sweeps before and after the coarse correction of the P2 cycle."""
STRENGTH_THETA = 0.05
"""Smoothed aggregation's strength threshold (see :data:`AMG`)."""


def _amg(a: sp.csr_matrix) -> Any:
    """pyamg's smoothed-aggregation hierarchy of ``a`` (see :data:`AMG`), every level's operators made CSR."""
    gs = ("gauss_seidel", {"sweep": "symmetric"})
    ml = pyamg.smoothed_aggregation_solver(a, strength=("symmetric", {"theta": STRENGTH_THETA}), presmoother=gs,
                                           postsmoother=gs)
    for level in ml.levels:
        for name in ("A", "P", "R"):
            if hasattr(level, name):
                setattr(level, name, getattr(level, name).tocsr())
    return ml


def _columns(tm: FemMesh, basis: Any, layers: tuple[str, ...]) -> list[np.ndarray]:
    """The degrees of freedom of the thin-layer parts grouped in columns: those at one (x, y) (a layer is meshed
    structured, so its nodes and edge midpoints stack in z)."""
    ids = [i for i, n in enumerate(tm.part_names) if n in set(layers)]
    if not ids:
        return []
    dofs = np.unique(basis.element_dofs[:, np.isin(tm.part_of_element, ids)])
    scale = PLANE_TOL_MM
    xy = np.round(basis.doflocs[:2, dofs] / scale).astype(np.int64)
    _, column = np.unique(xy, axis=1, return_inverse=True)
    column = np.asarray(column).ravel()
    order = np.argsort(column, kind="stable")
    dofs, column = dofs[order], column[order]
    starts = np.flatnonzero(np.r_[True, column[1:] != column[:-1]])
    return [g for g in np.split(dofs, starts[1:]) if g.size > 1]


PLANE_TOL_MM = 1e-7
"""Two degrees of freedom of a thin layer closer than this in x and y share a column [mm]."""


def _column_inverse(a: sp.csr_matrix, columns: tuple[np.ndarray, ...], interior: np.ndarray
                    ) -> sp.csr_matrix | None:
    """The block-diagonal inverse of ``a`` over the columns (their free dofs; ``interior`` maps the system's dofs
    to ``a``'s), batched by block size."""
    if not columns:
        return None
    where = np.full(int(interior.max()) + 1 if interior.size else 0, -1)
    where[interior] = np.arange(interior.size)
    blocks: dict[int, list[np.ndarray]] = {}
    for c in columns:
        free = where[c[c < where.size]]
        free = free[free >= 0]
        if free.size > 1:
            blocks.setdefault(free.size, []).append(free)
    rows, cols, values = [], [], []
    for size, group in blocks.items():
        idx = np.stack(group)  # (m, size)
        rr = np.repeat(idx, size, axis=1)
        cc = np.tile(idx, (1, size))
        dense = np.asarray(a[rr.ravel(), cc.ravel()]).reshape(-1, size, size)
        rows.append(rr.ravel())
        cols.append(cc.ravel())
        values.append(np.linalg.inv(dense).ravel())
    if not rows:
        return None
    return sp.csr_matrix((np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))), shape=a.shape)


def _p1_to_p2(tm: FemMesh) -> sp.csr_matrix:
    """Interpolation of a P1 field (its node values) onto the P2 degrees of freedom: a node keeps its value, an
    edge dof (scikit-fem numbers them after the nodes, in the mesh's edge order) takes the mean of its edge's two
    nodes."""
    n = tm.n_nodes
    edges = tm.mesh.edges  # (2, n_edges) node pairs
    m = edges.shape[1]
    rows = np.concatenate([np.arange(n), np.repeat(np.arange(n, n + m), 2)])
    cols = np.concatenate([np.arange(n), edges.T.ravel()])
    values = np.concatenate([np.ones(n), np.full(2 * m, 0.5)])
    return sp.csr_matrix((values, (rows, cols)), shape=(n + m, n))


def probe(system: System, solution: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The solution's values [degC] at ``points`` (3, m) [mm] (each inside or on the mesh)."""
    pts = np.asarray(points, dtype=float).reshape(3, -1)
    return np.concatenate([system.basis.probes(pts[:, i:i + 200]) @ solution for i in range(0, pts.shape[1], 200)])


def face_temperature(system: System, face: Face, solution: np.ndarray) -> FaceTemperature:
    """Area-weighted mean, maximum (over the face's degrees of freedom), and the value at the face's centroid
    (the nearest node on the face when the centroid lies off it)."""
    tm = system.tm
    facets = select(tm, face)
    load = _ones.assemble(_facet_basis(system, facets))
    areas = facet_areas(tm, facets)
    centroid = (tm.mesh.p[:, tm.mesh.facets[:, facets]].mean(axis=1) * areas).sum(axis=1) / areas.sum()
    nodes = np.unique(tm.mesh.facets[:, facets])
    nearest = nodes[np.argmin(np.linalg.norm(tm.mesh.p[:, nodes] - centroid[:, None], axis=0))]
    dofs = system.basis.get_dofs(facets).all()
    return FaceTemperature(
        mean_c=float(load @ solution / load.sum()),
        max_c=float(solution[dofs].max()),
        centre_c=float(solution[nearest]),
        area_mm2=float(areas.sum()),
    )


def part_extremes(system: System, solution: np.ndarray) -> dict[str, tuple[float, float]]:
    """Each part's lowest and highest value over its elements' degrees of freedom [degC]."""
    tm = system.tm
    values = solution[system.basis.element_dofs]
    lo = np.full(len(tm.part_names), np.inf)
    hi = np.full(len(tm.part_names), -np.inf)
    np.minimum.at(lo, tm.part_of_element, values.min(axis=0))
    np.maximum.at(hi, tm.part_of_element, values.max(axis=0))
    return {name: (float(lo[i]), float(hi[i])) for i, name in enumerate(tm.part_names)}


def _check_connected(system: System, matrix: sp.csr_matrix, held: np.ndarray, robin: list[Any]) -> None:
    """Every connected piece of the model must reach a held or convective face, else there is no steady state."""
    tm = system.tm
    count, label = connected_components(matrix, directed=False)
    if count == 1:
        return
    anchored = np.zeros(count, dtype=bool)
    anchored[np.unique(label[held])] = True
    for _, load, _, _ in robin:
        anchored[np.unique(label[np.flatnonzero(load)])] = True
    floating = np.flatnonzero(~anchored)
    if floating.size:
        dofs = np.isin(label, floating)
        parts = sorted({tm.part_names[i] for i in
                        np.unique(tm.part_of_element[dofs[system.basis.element_dofs].any(axis=0)])})
        raise ValueError(
            f"part(s) {', '.join(parts)} touch no held or convective face and no part that does "
            "(a mesh that is not conformal?)"
        )
