"""Linear thermo-elasticity on a solver mesh: scikit-fem vector tetrahedra (quadratic by default), conjugate
gradients preconditioned by pyamg smoothed aggregation, the body free (3-2-1 supports).

What a problem is: every element has an orthotropic material with its axes along x, y, z (:class:`Orthotropic`,
engineering constants in MPa; isotropic is a special case) and a free thermal strain (eps_x, eps_y, eps_z): the
integral of the CTE from the stress-free temperature to the temperature asked for. Nothing holds or loads the body:
the three support points (:class:`Supports`, "3-2-1": one point held in x, y, z, a second in two directions, a third
in one) remove exactly the six rigid-body modes and nothing else, so stresses and the deformed shape do not depend on
where the body is held; their reactions are zero up to the solver's tolerance and are reported.

    space = make_space(mesh)                        # P2 basis and supports, once per mesh
    system = assemble(space, stiffness)             # (9, n_elements): Orthotropic.voigt9() of every element
    solution = solve(system, strain)                # (3, n_elements) free thermal strain
    solution.vertex_displacement                    # (n_vertices, 3) mm
    solution.corner_stress()                        # (n_elements, 4, 6) MPa at each element's corners

Stress and strain vectors are in Voigt order xx, yy, zz, yz, xz, xy with engineering shear strains. Units: mm, N,
MPa (N/mm2); strains are dimensionless.

Why quadratic elements: a thin layer bends. Linear tetrahedra lock in bending (two through a layer give a fraction
of its curvature), quadratic ones hold a uniformly curved plate exactly (its displacement is quadratic), so the
warpage of a package meshed two elements through its thin layers comes out right (tests/test_elasticity.py:
Timoshenko's bimetal and Stoney's film within 3 %).

Assembly is scikit-fem's, block by block: for each pair of displacement components (a, b) the scalar form
K_ab = integral of d(phi)/dx_i C_(ai,bj) d(psi)/dx_j on the scalar basis, six forms in all (the other three are
their transposes), then interleaved node by node (3 x 3 blocks, what smoothed aggregation wants). One vector form
does the same work on 3 x 3 times more basis-function pairs: on flipchip-bga's normal mesh (256,000 unknowns) it
took 48 s and 3.2 GB, the six scalar forms about 11 s.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pyamg
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.sparse.linalg import cg
from skfem import Basis, BilinearForm, ElementTetP1, ElementTetP2, LinearForm, MeshTet

VOIGT = ("xx", "yy", "zz", "yz", "xz", "xy")
VOIGT9 = ("C11", "C22", "C33", "C12", "C13", "C23", "C44", "C55", "C66")
"""The nine constants of an orthotropic stiffness (MPa) in the order :meth:`Orthotropic.voigt9` and
:func:`assemble` use: C44 = G_yz, C55 = G_xz, C66 = G_xy."""
ORDERS = (1, 2)


@dataclass(frozen=True)
class Orthotropic:
    """Linear-elastic constants with the material axes along x, y, z: Young's moduli (MPa), Poisson's ratios
    nu_ij (strain in j from stress in i: eps_j = -nu_ij sigma_i / E_i) and shear moduli (MPa)."""

    ex: float
    ey: float
    ez: float
    nu_xy: float
    nu_xz: float
    nu_yz: float
    g_xy: float
    g_xz: float
    g_yz: float
    label: str = ""

    def __post_init__(self) -> None:
        for name in ("ex", "ey", "ez", "g_xy", "g_xz", "g_yz"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0.0):
                raise ValueError(f"{self.label or 'material'}: {name}={value!r} MPa must be positive")
        if not np.all(np.linalg.eigvalsh(self.compliance()) > 0.0):
            raise ValueError(f"{self.label or 'material'}: the Poisson's ratios make the stiffness indefinite")

    @classmethod
    def isotropic(cls, e: float, nu: float, label: str = "") -> Orthotropic:
        if not -1.0 < nu < 0.5:
            raise ValueError(f"{label or 'material'}: Poisson's ratio {nu!r} must lie in (-1, 0.5)")
        g = e / (2.0 * (1.0 + nu))
        return cls(e, e, e, nu, nu, nu, g, g, g, label)

    @classmethod
    def transversely_isotropic(cls, e_plane: float, nu_plane: float, e_z: float, nu_z: float, g_z: float,
                               label: str = "") -> Orthotropic:
        """Isotropic in the x-y plane (a laminate): in-plane E and nu, through-thickness E_z, nu_xz = nu_yz and
        G_xz = G_yz."""
        return cls(e_plane, e_plane, e_z, nu_plane, nu_z, nu_z, e_plane / (2.0 * (1.0 + nu_plane)), g_z, g_z,
                   label)

    def compliance(self) -> np.ndarray:
        """The 6 x 6 compliance (1/MPa), Voigt order."""
        s = np.zeros((6, 6))
        s[0, 0], s[1, 1], s[2, 2] = 1.0 / self.ex, 1.0 / self.ey, 1.0 / self.ez
        s[0, 1] = s[1, 0] = -self.nu_xy / self.ex
        s[0, 2] = s[2, 0] = -self.nu_xz / self.ex
        s[1, 2] = s[2, 1] = -self.nu_yz / self.ey
        s[3, 3], s[4, 4], s[5, 5] = 1.0 / self.g_yz, 1.0 / self.g_xz, 1.0 / self.g_xy
        return s

    def stiffness(self) -> np.ndarray:
        """The 6 x 6 stiffness (MPa), Voigt order with engineering shear strains."""
        return np.asarray(np.linalg.inv(self.compliance()))

    def voigt9(self) -> tuple[float, ...]:
        """The nine non-zero constants (:data:`VOIGT9`)."""
        c = self.stiffness()
        return (c[0, 0], c[1, 1], c[2, 2], c[0, 1], c[0, 2], c[1, 2], c[3, 3], c[4, 4], c[5, 5])

    def biaxial_modulus(self) -> float:
        """sigma / eps under equal in-plane strains with sigma_z = 0 (MPa): E / (1 - nu) when isotropic."""
        s = self.compliance()[:2, :2]
        return float(2.0 / (s[0, 0] + s[0, 1] + s[1, 0] + s[1, 1]))


@dataclass(frozen=True)
class Supports:
    """The 3-2-1 supports: vertex ``a`` held in x, y, z; ``b`` in y and z; ``c`` in z. Chosen so that they fix
    the six rigid-body modes and nothing more (:func:`choose_supports`)."""

    a: int
    b: int
    c: int

    def dofs(self) -> np.ndarray:
        """Interleaved degrees of freedom held (node-major: 3 i + component)."""
        return np.array([3 * self.a, 3 * self.a + 1, 3 * self.a + 2, 3 * self.b + 1, 3 * self.b + 2, 3 * self.c + 2])


def choose_supports(points: np.ndarray) -> Supports:
    """3-2-1 supports on vertices ``points`` (3, n): a at the lowest x + y + z, b the farthest from a along x,
    c the farthest from the line a-b in the x-y plane. They hold the rigid motions alone when (b - a)_x != 0 and
    ((b - a) x (c - a))_z != 0 (the determinant of the six constraints on the six rigid modes); ValueError for a
    model too thin for that (a line)."""
    p = np.asarray(points, dtype=float)
    a = int(np.argmin(p.sum(axis=0)))
    d = p - p[:, [a]]
    b = int(np.argmax(np.abs(d[0])))
    cross = d[0, b] * d[1] - d[1, b] * d[0]
    c = int(np.argmax(np.abs(cross)))
    size = float(np.linalg.norm(p.max(axis=1) - p.min(axis=1)))
    if abs(d[0, b]) < 1e-6 * size or abs(cross[c]) < 1e-9 * size * size:
        raise ValueError("no three vertices span the x-y plane: the 3-2-1 supports cannot hold the rigid motions")
    return Supports(a, b, c)


@dataclass(frozen=True, eq=False)
class Space:
    """A mesh with its scalar basis (P1 or P2; each displacement component uses it) and its supports."""

    mesh: MeshTet
    order: int
    basis: Basis
    supports: Supports

    @property
    def n_dofs(self) -> int:
        return 3 * int(self.basis.N)

    @property
    def n_vertices(self) -> int:
        return int(self.mesh.p.shape[1])

    @property
    def n_elements(self) -> int:
        return int(self.mesh.t.shape[1])


def make_space(mesh: MeshTet, order: int = 2) -> Space:
    """The displacement space of ``mesh`` [mm]: vector P2 (``order=2``, default) or P1 tetrahedra."""
    if order not in ORDERS:
        raise ValueError(f"element order {order!r} is not one of {ORDERS}")
    element = ElementTetP2() if order == 2 else ElementTetP1()
    basis = Basis(mesh, element, intorder=max(1, 2 * (order - 1)))  # exact for constant C: grad.grad has degree 2(p-1)
    return Space(mesh, order, basis, choose_supports(mesh.p))


@BilinearForm
def _diag(u, v, w):
    return w.a * u.grad[0] * v.grad[0] + w.b * u.grad[1] * v.grad[1] + w.c * u.grad[2] * v.grad[2]


@BilinearForm
def _couple(u, v, w):
    """Test component i, trial component j: C_ij v_i u_j + G_ij v_j u_i (w.i, w.j pick the derivatives)."""
    i, j = w.i, w.j
    return w.a * v.grad[i] * u.grad[j] + w.b * v.grad[j] * u.grad[i]


@LinearForm
def _thermal(v, w):
    return w.s * v.grad[w.i]


def _field(values: np.ndarray) -> np.ndarray:
    return np.asarray(values)[:, None]  # one value per element, constant over its quadrature points


@dataclass(frozen=True, eq=False)
class System:
    """A space with its stiffness assembled: ``c`` (9, n_elements) the constants of every element (MPa),
    ``matrix`` the stiffness (N/mm) on interleaved degrees of freedom."""

    space: Space
    c: np.ndarray
    matrix: sp.csr_matrix
    assembly_s: float

    @cached_property
    def held(self) -> sp.csr_matrix:
        """The stiffness with the supports' degrees of freedom held (:func:`held_system`), made once."""
        return held_system(self.matrix, np.zeros(self.space.n_dofs), self.space.supports.dofs())[0]


def assemble(space: Space, c: np.ndarray) -> System:
    """Assemble the stiffness of ``space`` with each element's orthotropic constants ``c`` (9, n_elements) in
    the order of :data:`VOIGT9` (MPa)."""
    start = time.perf_counter()
    c = np.asarray(c, dtype=float)
    if c.shape != (9, space.n_elements):
        raise ValueError(f"stiffness must be (9, {space.n_elements}) ({', '.join(VOIGT9)} per element), "
                         f"got {c.shape}")
    if not np.all(np.isfinite(c)) or not np.all(c[[0, 1, 2, 6, 7, 8]] > 0.0):
        raise ValueError("every element needs finite constants with positive C11, C22, C33, C44, C55, C66")
    c11, c22, c33, c12, c13, c23, c44, c55, c66 = (_field(row) for row in c)
    b = space.basis
    blocks: dict[tuple[int, int], sp.spmatrix] = {
        (0, 0): _diag.assemble(b, a=c11, b=c66, c=c55),
        (1, 1): _diag.assemble(b, a=c66, b=c22, c=c44),
        (2, 2): _diag.assemble(b, a=c55, b=c44, c=c33),
        (0, 1): _couple.assemble(b, a=c12, b=c66, i=0, j=1),
        (0, 2): _couple.assemble(b, a=c13, b=c55, i=0, j=2),
        (1, 2): _couple.assemble(b, a=c23, b=c44, i=1, j=2),
    }
    rows, cols, vals = [], [], []
    for (i, j), block in blocks.items():
        coo = block.tocoo()
        pairs = [(i, j, coo.row, coo.col)] if i == j else [(i, j, coo.row, coo.col), (j, i, coo.col, coo.row)]
        for a, bb, r, cc in pairs:
            rows.append(3 * r + a)
            cols.append(3 * cc + bb)
            vals.append(coo.data)
    n = space.n_dofs
    matrix = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
    return System(space, c, matrix, time.perf_counter() - start)


def thermal_load(system: System, strain: np.ndarray) -> np.ndarray:
    """The nodal forces (N) of a free thermal strain ``strain`` (3, n_elements): integral of B^T C eps_th."""
    strain = np.asarray(strain, dtype=float)
    if strain.shape != (3, system.space.n_elements):
        raise ValueError(f"thermal strain must be (3, {system.space.n_elements}) (x, y, z per element), "
                         f"got {strain.shape}")
    sigma = _thermal_stress(system.c, strain)
    f = np.zeros(system.space.n_dofs)
    for i in range(3):
        f[i::3] = _thermal.assemble(system.space.basis, s=_field(sigma[i]), i=i)
    return f


def _thermal_stress(c: np.ndarray, strain: np.ndarray) -> np.ndarray:
    """(3, n) normal stresses C eps_th of a free thermal strain (no shear part: orthotropic along the axes)."""
    c11, c22, c33, c12, c13, c23 = c[:6]
    ex, ey, ez = strain
    return np.array([c11 * ex + c12 * ey + c13 * ez, c12 * ex + c22 * ey + c23 * ez, c13 * ex + c23 * ey + c33 * ez])


def rigid_modes(points: np.ndarray) -> np.ndarray:
    """(3 n, 6) the three translations and three small rotations at ``points`` (3, n), interleaved."""
    p = np.asarray(points, dtype=float)
    p = p - p.mean(axis=1, keepdims=True)
    n = p.shape[1]
    modes = np.zeros((3 * n, 6))
    for k in range(3):
        modes[k::3, k] = 1.0
    x, y, z = p
    modes[0::3, 3], modes[1::3, 3] = -y, x  # about z
    modes[1::3, 4], modes[2::3, 4] = -z, y  # about x
    modes[0::3, 5], modes[2::3, 5] = z, -x  # about y
    return modes


@dataclass(frozen=True, eq=False)
class Solution:
    """The displacement (mm, interleaved) of one thermal strain field, and the solver's figures."""

    system: System
    strain: np.ndarray = field(repr=False)
    displacement: np.ndarray = field(repr=False)
    iterations: int
    residual: float
    reaction: float
    solve_s: float

    @property
    def nodal(self) -> np.ndarray:
        """(n_nodes, 3): the displacement at every node of the basis (vertices first, then P2 edge nodes)."""
        return self.displacement.reshape(-1, 3)

    @property
    def vertex_displacement(self) -> np.ndarray:
        """(n_vertices, 3) mm at the mesh vertices."""
        return self.nodal[: self.system.space.n_vertices]

    def corner_stress(self) -> np.ndarray:
        """(n_elements, 4, 6): the stress (MPa, Voigt) in each element at each of its four corners."""
        return stress_at(self, _CORNERS)

    def centroid_stress(self) -> np.ndarray:
        """(n_elements, 6): the stress (MPa, Voigt) at each element's centroid."""
        return stress_at(self, np.full((3, 1), 0.25))[:, 0, :]


_CORNERS = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
"""The reference tetrahedron's vertices in scikit-fem's local order."""


def stress_at(solution: Solution, local: np.ndarray) -> np.ndarray:
    """(n_elements, m, 6) stress (MPa) at ``local`` (3, m) reference coordinates of every element:
    C (eps(u) - eps_th)."""
    space = solution.system.space
    element = ElementTetP2() if space.order == 2 else ElementTetP1()
    basis = Basis(space.mesh, element, quadrature=(np.asarray(local, float), np.ones(local.shape[1])))
    g = np.array([basis.interpolate(solution.displacement[a::3]).grad for a in range(3)])  # (a, i, n_el, m)
    eps = np.array([g[0, 0], g[1, 1], g[2, 2], g[1, 2] + g[2, 1], g[0, 2] + g[2, 0], g[0, 1] + g[1, 0]])
    eps[:3] -= solution.strain[:, :, None]
    c11, c22, c33, c12, c13, c23, c44, c55, c66 = (row[:, None] for row in solution.system.c)
    sigma = np.array([c11 * eps[0] + c12 * eps[1] + c13 * eps[2], c12 * eps[0] + c22 * eps[1] + c23 * eps[2],
                      c13 * eps[0] + c23 * eps[1] + c33 * eps[2], c44 * eps[3], c55 * eps[4], c66 * eps[5]])
    return np.ascontiguousarray(np.moveaxis(sigma, 0, -1))


DIRECT_MAX_DOFS = 30_000
"""Up to this many unknowns :func:`solve` factors the matrix (scipy's SuperLU, seconds at this size); above it
factoring costs minutes and gigabytes (a 256,000-unknown package took over 15 min), so conjugate gradients with
smoothed aggregation take over."""
METHODS = ("auto", "direct", "amg")
RTOL = 1e-6
"""CG stops when the residual is this fraction of the load. Measured on flipchip-bga --mesh coarse (61,146
unknowns) against 1e-9: warpage within 2e-6 of itself (4e-5 um of 19 um), the chip's peak stress within 1.5e-5,
and 40 % fewer iterations (41 vs 66 at 25 degC, 57 vs 93 at 260 degC)."""


def solve(system: System, strain: np.ndarray, *, method: str = "auto", rtol: float = RTOL, maxiter: int = 3000,
          solver: Any = None, previous: Sequence[np.ndarray] = ()) -> Solution:
    """Displacement of the free body under the thermal strain ``strain`` (3, n_elements). ``method``: "direct"
    (SuperLU), "amg" (CG + smoothed aggregation; RuntimeError if it does not converge) or "auto" (direct up to
    :data:`DIRECT_MAX_DOFS` unknowns). ``solver``: a factor or hierarchy from :func:`factor` to reuse.
    ``previous``: displacements solved before on the same space (other temperatures): CG starts from the best
    combination of them (:func:`galerkin_guess`), so a load that is a combination of earlier ones costs almost no
    iterations."""
    start = time.perf_counter()
    f = thermal_load(system, strain)
    held = system.space.supports.dofs()
    a = system.held
    b = f.copy()
    b[held] = 0.0
    ml = solver if solver is not None else factor(system, method)
    if isinstance(ml, spla.SuperLU):
        u, iterations = ml.solve(b), 0
    else:
        count = [0]

        def _tick(_: np.ndarray) -> None:
            count[0] += 1

        x0 = galerkin_guess(a, b, previous)
        u, info = cg(a, b, x0=x0, rtol=rtol, atol=0.0, maxiter=maxiter, M=ml.aspreconditioner(), callback=_tick)
        if info != 0:
            raise RuntimeError(f"elasticity: CG did not converge in {maxiter} iterations")
        iterations = count[0]
    norm_b = float(np.linalg.norm(b))
    residual = float(np.linalg.norm(b - a @ u)) / (norm_b if norm_b > 0.0 else 1.0)
    reaction = system.matrix @ u - f  # the forces the supports exert (N); zero for a free body
    scale = float(np.abs(f).max()) or 1.0
    return Solution(system, np.asarray(strain, float), u, iterations, residual,
                    float(np.abs(reaction[held]).max()) / scale, time.perf_counter() - start)


def galerkin_guess(a: sp.spmatrix, b: np.ndarray, previous: Sequence[np.ndarray]) -> np.ndarray | None:
    """The combination x = U c of the vectors ``previous`` (the columns of U) closest to the solution of
    a x = b in a's energy norm: (U^T a U) c = U^T b, solved by least squares (earlier solutions may be linearly
    dependent). None when there is nothing to combine. Within one glass-transition regime the thermal load is
    piecewise linear in the temperature, so after two or three temperatures the next one is (nearly) a
    combination of them."""
    if not previous:
        return None
    u = np.column_stack([np.asarray(v, dtype=float) for v in previous])
    au = np.column_stack([a @ u[:, k] for k in range(u.shape[1])])
    g = u.T @ au
    scale = np.sqrt(np.abs(np.diag(g)))
    scale[scale == 0.0] = 1.0
    c = np.linalg.lstsq(g / np.outer(scale, scale), (u.T @ b) / scale, rcond=1e-12)[0] / scale
    return np.asarray(u @ c)


def factor(system: System, method: str = "auto") -> Any:
    """What :func:`solve` uses for ``system``: a SuperLU factor ("direct") or a pyamg hierarchy ("amg"); "auto"
    picks by size (:data:`DIRECT_MAX_DOFS`). Reusable for every thermal strain on the same system."""
    if method not in METHODS:
        raise ValueError(f"solver method {method!r} is not one of {', '.join(METHODS)}")
    if method == "amg" or (method == "auto" and system.space.n_dofs > DIRECT_MAX_DOFS):
        return preconditioner(system)
    return spla.splu(system.held.tocsc(), permc_spec="MMD_AT_PLUS_A", options={"SymmetricMode": True})


SMOOTHING = (("gauss_seidel", {"sweep": "forward"}), ("gauss_seidel", {"sweep": "backward"}))
"""pyamg's point Gauss-Seidel on CSR, one forward sweep before the coarse correction and one backward after (the
V-cycle stays symmetric, as CG needs). pyamg's default, a symmetric block Gauss-Seidel on the 3 x 3 blocks before
and after (four sweeps a level), took 53 % of a run's CPU on buffer-pad-uneven --mesh normal; this one makes an
iteration about half as dear (0.45 -> 0.24 CPU s there) for 35 % more iterations; figures within 1.7e-5 relative
(README, Speed and memory)."""


def preconditioner(system: System) -> Any:
    """pyamg smoothed aggregation on 3 x 3 node blocks with the six rigid-body modes as near null space, for the
    stiffness with the supports' rows and columns set to the identity; smoothed by :data:`SMOOTHING`. The rigid
    modes are exact null vectors of the free body's stiffness, so pyamg's candidate improvement (four symmetric
    block Gauss-Seidel sweeps on each of the six, half the setup) is skipped: it changed iteration counts by one at
    most."""
    from pyamg.relaxation.smoothing import change_smoothers

    modes = rigid_modes(system.space.basis.doflocs)
    ml = pyamg.smoothed_aggregation_solver(sp.bsr_matrix(system.held, blocksize=(3, 3)), B=modes,
                                           symmetry="hermitian", max_coarse=300, improve_candidates=None)
    for level in ml.levels:  # aggregation wants the node blocks; point Gauss-Seidel is cheaper on CSR
        level.A = level.A.tocsr()
    change_smoothers(ml, *SMOOTHING)
    return ml


def held_system(matrix: sp.csr_matrix, f: np.ndarray, held: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """The system with the ``held`` degrees of freedom at zero and still symmetric: their rows and columns
    zeroed, a one on their diagonal, a zero in the load. One pass over the stored entries (no sparse products:
    the two masking products it replaced took 0.8 s a call on a 245,000-unknown package)."""
    a = sp.csr_matrix(matrix, copy=True)
    a.sum_duplicates()
    n = a.shape[0]
    is_held = np.zeros(n, dtype=bool)
    is_held[held] = True
    rows = np.repeat(np.arange(n), np.diff(a.indptr))
    a.data[is_held[rows] | is_held[a.indices]] = 0.0
    a = (a + sp.diags(is_held.astype(float))).tocsr()
    a.eliminate_zeros()
    b = np.where(is_held, 0.0, np.asarray(f, dtype=float))
    return a, b


def von_mises(stress: np.ndarray) -> np.ndarray:
    """von Mises equivalent stress of Voigt stresses (..., 6)."""
    s = np.asarray(stress)
    xx, yy, zz, yz, xz, xy = (s[..., k] for k in range(6))
    return np.sqrt(0.5 * ((xx - yy) ** 2 + (yy - zz) ** 2 + (zz - xx) ** 2) + 3.0 * (yz**2 + xz**2 + xy**2))


def principal(stress: np.ndarray) -> np.ndarray:
    """Principal stresses of Voigt stresses (..., 6), ascending: (..., 3); the first principal is [..., 2]."""
    s = np.asarray(stress)
    t = np.empty((*s.shape[:-1], 3, 3))
    t[..., 0, 0], t[..., 1, 1], t[..., 2, 2] = s[..., 0], s[..., 1], s[..., 2]
    t[..., 1, 2] = t[..., 2, 1] = s[..., 3]
    t[..., 0, 2] = t[..., 2, 0] = s[..., 4]
    t[..., 0, 1] = t[..., 1, 0] = s[..., 5]
    return np.asarray(np.linalg.eigvalsh(t))
