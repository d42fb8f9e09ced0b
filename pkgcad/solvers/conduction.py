"""Steady heat conduction on a solver mesh: scikit-fem P1 assembly, pyamg-preconditioned conjugate gradients.

What a run asks (a :class:`Scenario`): a heat source on a face, held faces (:class:`Isothermal`) and film faces
(:class:`Convective`, h (T - T_ambient)), faces to monitor; faces are :class:`~pkgcad.conformal.faces.Face`
selections (part + side). :func:`prepare` assembles the conduction matrix once per mesh from each element's
orthotropic conductivity; :func:`solve` adds one scenario's faces, solves for the temperature rise over the
reference and reports the junction (the source face), the heat leaving through every face (reactions on held
faces, h (T - Ta) on film faces), the energy balance, per-part extremes and solver figures.

Units: mm, W, degC, K/W; conductivities in W/(m K) (``k / 1000`` in W/(mm K)), film coefficients in W/(m2 K).
The mechanics' elasticity solver (issue 21) goes beside this module, on the same mesh.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyamg
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import cg
from skfem import Basis, BilinearForm, ElementTetP1, FacetBasis, LinearForm, condense

from ..conformal.faces import Face, facet_areas, select
from ..conformal.femmesh import FemMesh


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


AMG = "classical (Ruge-Stuben)"
"""pyamg's preconditioner. The thin layers' flat elements (a 5 um film over a 0.5 mm grid) make the matrix
strongly anisotropic; smoothed aggregation then took 125-256 CG iterations on theta-JB (wirebond-bga,
flipchip-bga), classical AMG 31-33, and 0.6-0.9 s instead of 1.9-4.8 s; elsewhere within +-30 % of each other
(measured on flipchip-bga, qfn, buffer-pad-uneven, wirebond-bga at --mesh normal)."""
W_MM2K_PER_W_M2K = 1e-6  # film coefficient: W/(m2 K) -> W/(mm2 K)
W_MMK_PER_W_MK = 1e-3  # conductivity: W/(m K) -> W/(mm K)


@BilinearForm
def _conduction(u, v, w):
    return w.kx * u.grad[0] * v.grad[0] + w.ky * u.grad[1] * v.grad[1] + w.kz * u.grad[2] * v.grad[2]


@BilinearForm
def _mass(u, v, _):
    return u * v


@LinearForm
def _ones(v, _):
    return v


@dataclass(frozen=True, eq=False)
class System:
    """A mesh with its conduction matrix (W/K) assembled: reused by every scenario. ``k_w_mk`` (3, n_elements):
    each element's conductivity along x, y, z in W/(m K)."""

    tm: FemMesh
    k_w_mk: np.ndarray
    stiffness: sp.csr_matrix
    assembly_s: float


def prepare(tm: FemMesh, k_w_mk: np.ndarray) -> System:
    """Assemble the conduction matrix of ``tm`` with each element's orthotropic conductivity ``k_w_mk`` (3,
    n_elements) in W/(m K)."""
    start = time.perf_counter()
    k_w_mk = np.asarray(k_w_mk, dtype=float)
    if k_w_mk.shape != (3, tm.n_elements):
        raise ValueError(f"conductivity must be (3, {tm.n_elements}) (x, y, z per element), got {k_w_mk.shape}")
    if not np.all(k_w_mk > 0.0):
        raise ValueError("every element needs a positive conductivity along x, y and z")
    k = k_w_mk * W_MMK_PER_W_MK
    basis = Basis(tm.mesh, ElementTetP1(), intorder=1)  # P1 gradients and k are constant per element
    stiffness = _conduction.assemble(basis, kx=k[0][:, None], ky=k[1][:, None], kz=k[2][:, None])
    return System(tm, k_w_mk, stiffness.tocsr(), time.perf_counter() - start)


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
            "mesh": {"nodes": self.n_nodes, "tetrahedra": self.n_elements},
            "solver": {
                "method": "scikit-fem P1 + pyamg classical (Ruge-Stuben) AMG-preconditioned CG",
                "iterations": self.iterations,
                "relative_residual": self.residual,
                "energy_balance": self.energy_balance,
                "assembly_s": self.assembly_s,
                "solve_s": self.solve_s,
            },
        }


def _facet_basis(tm: FemMesh, facets: np.ndarray) -> FacetBasis:
    return FacetBasis(tm.mesh, ElementTetP1(), facets=facets, intorder=2)


def solve(system: System, scenario: Scenario, *, rtol: float = 1e-10, maxiter: int = 2000) -> Result:
    """Temperature field and figures of one scenario; RuntimeError if CG does not converge."""
    start = time.perf_counter()
    tm, n = system.tm, system.tm.n_nodes
    t_ref = scenario.reference_c
    src_facets = select(tm, scenario.source.face)
    src_load = _ones.assemble(_facet_basis(tm, src_facets))
    src_area = float(src_load.sum())
    f = src_load * (scenario.source.power_w / src_area)
    matrix = system.stiffness.copy()
    robin: list[tuple[str, np.ndarray, float, float]] = []
    for bc in scenario.convective:
        fb = _facet_basis(tm, select(tm, bc.face))
        h = bc.h_w_m2k * W_MM2K_PER_W_M2K
        load = _ones.assemble(fb)
        matrix = matrix + h * _mass.assemble(fb)
        f = f + h * (bc.ambient_c - t_ref) * load
        robin.append((bc.title, load, h, bc.ambient_c - t_ref))
    x = np.zeros(n)
    held = np.zeros(n, dtype=bool)
    held_sets: list[tuple[str, np.ndarray]] = []
    for iso in scenario.isothermal:
        nodes = np.unique(tm.mesh.facets[:, select(tm, iso.face)])
        nodes = nodes[~held[nodes]]  # a node shared by two held faces counts for the first
        held[nodes] = True
        x[nodes] = iso.temperature_c - t_ref
        held_sets.append((iso.title, nodes))
    matrix = matrix.tocsr()
    _check_connected(tm, matrix, held, robin)
    dofs = np.flatnonzero(held)
    a, b, x_full, interior = condense(matrix, f, x=x, D=dofs) if dofs.size else (matrix, f, x, np.arange(n))
    ml = pyamg.ruge_stuben_solver(a.tocsr())  # see AMG below
    count = [0]

    def _tick(_: np.ndarray) -> None:
        count[0] += 1

    y, info = cg(a, b, rtol=rtol, atol=0.0, maxiter=maxiter, M=ml.aspreconditioner(), callback=_tick)
    if info != 0:
        raise RuntimeError(f"scenario {scenario.name}: CG did not converge in {maxiter} iterations")
    norm_b = float(np.linalg.norm(b))
    residual = float(np.linalg.norm(b - a @ y)) / (norm_b if norm_b > 0.0 else 1.0)
    theta = x_full.copy()
    theta[interior] = y
    reaction = matrix @ theta - f  # heat entering through each held node (W)
    heat_out = {name: float(-reaction[nodes].sum()) for name, nodes in held_sets}
    for name, load, h, amb in robin:
        heat_out[name] = float(h * (load @ theta - amb * load.sum()))  # integral of h (T - Ta) over the face
    power = scenario.source.power_w
    balance = (power - sum(heat_out.values())) / power
    temperature = theta + t_ref
    src_nodes = np.unique(tm.mesh.facets[:, src_facets])
    return Result(
        scenario=scenario,
        temperature_c=temperature,
        power_w=power,
        source_area_mm2=src_area,
        tj_max_c=float(temperature[src_nodes].max()),
        tj_mean_c=float(src_load @ temperature / src_area),
        heat_out_w=heat_out,
        monitors={name: face_temperature(tm, face, temperature) for name, face in scenario.monitors},
        parts=part_extremes(tm, temperature),
        n_nodes=n,
        n_elements=tm.n_elements,
        iterations=count[0],
        residual=residual,
        energy_balance=float(balance),
        assembly_s=system.assembly_s,
        solve_s=time.perf_counter() - start,
    )


def face_temperature(tm: FemMesh, face: Face, temperature: np.ndarray) -> FaceTemperature:
    """Area-weighted mean, maximum, and the value at the node nearest the face's centroid."""
    facets = select(tm, face)
    load = _ones.assemble(_facet_basis(tm, facets))
    areas = facet_areas(tm, facets)
    centroid = (tm.mesh.p[:, tm.mesh.facets[:, facets]].mean(axis=1) * areas).sum(axis=1) / areas.sum()
    nodes = np.unique(tm.mesh.facets[:, facets])
    nearest = nodes[np.argmin(np.linalg.norm(tm.mesh.p[:, nodes] - centroid[:, None], axis=0))]
    return FaceTemperature(
        mean_c=float(load @ temperature / load.sum()),
        max_c=float(temperature[nodes].max()),
        centre_c=float(temperature[nearest]),
        area_mm2=float(areas.sum()),
    )


def part_extremes(tm: FemMesh, temperature: np.ndarray) -> dict[str, tuple[float, float]]:
    values = temperature[tm.mesh.t]
    lo = np.full(len(tm.part_names), np.inf)
    hi = np.full(len(tm.part_names), -np.inf)
    np.minimum.at(lo, tm.part_of_element, values.min(axis=0))
    np.maximum.at(hi, tm.part_of_element, values.max(axis=0))
    return {name: (float(lo[i]), float(hi[i])) for i, name in enumerate(tm.part_names)}


def _check_connected(tm: FemMesh, matrix: sp.csr_matrix, held: np.ndarray, robin: list[Any]) -> None:
    """Every connected piece of the model must reach a held or convective face, else there is no steady state."""
    count, label = connected_components(matrix, directed=False)
    if count == 1:
        return
    anchored = np.zeros(count, dtype=bool)
    anchored[np.unique(label[held])] = True
    for _, load, _, _ in robin:
        anchored[np.unique(label[np.flatnonzero(load)])] = True
    floating = np.flatnonzero(~anchored)
    if floating.size:
        nodes = np.isin(label, floating)
        parts = sorted({tm.part_names[i] for i in np.unique(tm.part_of_element[nodes[tm.mesh.t].any(axis=0)])})
        raise ValueError(
            f"part(s) {', '.join(parts)} touch no held or convective face and no part that does "
            "(a mesh that is not conformal?)"
        )
