"""The elasticity solver (pkgcad/solvers/elasticity.py), classical lamination theory (pkgcad/solvers/lamination.py)
and the mechanical material data, against closed forms computed here: a free block, Timoshenko's bimetal plate,
Stoney's thin film. Test meshes are scikit-fem's structured tetrahedra (test geometry, not a package model)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from skfem import MeshTet

from pkgcad.materials import MATERIALS, MECHANICS, elastic_at, material, mechanical, thermal_strain
from pkgcad.solvers import elasticity as el
from pkgcad.solvers.lamination import Layer, laminate

GPA = 1000.0  # MPa


def uniform(space: el.Space, mat: el.Orthotropic, strain: tuple[float, float, float]) -> el.Solution:
    c = np.tile(np.array(mat.voigt9())[:, None], (1, space.n_elements))
    eps = np.tile(np.array(strain)[:, None], (1, space.n_elements))
    return el.solve(el.assemble(space, c), eps)


def layered(mesh: MeshTet, z_split: float, lower: el.Orthotropic, upper: el.Orthotropic,
            strains: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Per-element constants (9, n) and thermal strains (3, n) of a two-layer stack split at z_split."""
    zc = mesh.p[2, mesh.t].mean(axis=0)
    top = zc > z_split
    c = np.where(top, np.array(upper.voigt9())[:, None], np.array(lower.voigt9())[:, None])
    eps = np.where(top, strains[1], strains[0]) * np.ones((3, 1))
    return c, eps


def fitted_curvature(points: np.ndarray, uz: np.ndarray, centre: tuple[float, float], half: float) -> float:
    """Curvature k of w = w0 + a x + b y - k (x^2 + y^2) / 2 fitted to the points within `half` of the centre
    (k > 0: the middle up, corners down): the mean of the x and y curvatures of a full quadratic fit."""
    x, y = points[0] - centre[0], points[1] - centre[1]
    near = (np.abs(x) <= half) & (np.abs(y) <= half)
    x, y, w = x[near], y[near], uz[near]
    design = np.column_stack([np.ones_like(x), x, y, x * x, y * y, x * y])
    coef = np.linalg.lstsq(design, w, rcond=None)[0]
    return float(-(coef[3] + coef[4]))  # -(2 d + 2 e) / 2


def timoshenko(t1: float, t2: float, e1: float, e2: float, a1: float, a2: float, dt: float) -> float:
    """Timoshenko (1925) bimetal curvature, layer 1 below layer 2 (moduli already biaxial)."""
    m, n, h = t1 / t2, e1 / e2, t1 + t2
    return 6.0 * (a2 - a1) * dt * (1 + m) ** 2 / (h * (3 * (1 + m) ** 2 + (1 + m * n) * (m * m + 1 / (m * n))))


# ------------------------------------------------------------------------------------------------ constants
def test_isotropic_stiffness_matches_lame_constants() -> None:
    e, nu = 117e3, 0.33
    c = el.Orthotropic.isotropic(e, nu).stiffness()
    lam, mu = e * nu / ((1 + nu) * (1 - 2 * nu)), e / (2 * (1 + nu))
    assert c[0, 0] == pytest.approx(lam + 2 * mu, rel=1e-12)
    assert c[0, 1] == pytest.approx(lam, rel=1e-12)
    assert c[5, 5] == pytest.approx(mu, rel=1e-12)
    assert el.Orthotropic.isotropic(e, nu).biaxial_modulus() == pytest.approx(e / (1 - nu), rel=1e-12)


def test_orthotropic_refuses_an_indefinite_material() -> None:
    with pytest.raises(ValueError, match="indefinite"):
        el.Orthotropic(10.0, 10.0, 10.0, 0.9, 0.9, 0.9, 5.0, 5.0, 5.0)
    with pytest.raises(ValueError, match="positive"):
        el.Orthotropic.isotropic(-1.0, 0.3)


def test_von_mises_and_principal_of_simple_states() -> None:
    uniaxial = np.array([100.0, 0, 0, 0, 0, 0])
    shear = np.array([0, 0, 0, 0, 0, 50.0])
    assert el.von_mises(uniaxial) == pytest.approx(100.0)
    assert el.von_mises(shear) == pytest.approx(50.0 * np.sqrt(3.0))
    assert el.principal(shear) == pytest.approx([-50.0, 0.0, 50.0])


# ------------------------------------------------------------------------------------------------ materials
def test_every_material_has_cited_elastic_constants_that_make_a_stiffness() -> None:
    assert set(MECHANICS) == set(MATERIALS)
    for name, m in MECHANICS.items():
        assert m.source and m.cte_source, name
        e = elastic_at(name, 25.0)
        mat = el.Orthotropic.transversely_isotropic(e.e_gpa * GPA, e.nu, e.e_z_gpa * GPA, e.nu_z, e.g_z_gpa * GPA)
        assert np.all(np.linalg.eigvalsh(mat.stiffness()) > 0.0), name
    with pytest.raises(KeyError, match="unobtainium"):
        mechanical("unobtainium")


def test_mold_compound_expansion_integrates_both_ctes_across_its_glass_transition() -> None:
    glass = MECHANICS["mold-compound"].glass
    assert glass is not None
    a1, a2, tg = material("mold-compound").cte_ppm_k, glass.cte_ppm_k, glass.tg_c
    assert tg == 140.0 and a1 == 11.0 and a2 == 42.0  # EMC-6043 data sheet
    expected = 1e-6 * (a2 * (tg - 175.0) + a1 * (25.0 - tg))  # cure 175 C -> 25 C
    assert thermal_strain("mold-compound", 175.0, 25.0) == pytest.approx((expected,) * 3, rel=1e-12)
    assert thermal_strain("mold-compound", 175.0, 260.0) == pytest.approx((1e-6 * a2 * 85.0,) * 3, rel=1e-12)
    assert elastic_at("mold-compound", 25.0).e_gpa == 19.1
    assert elastic_at("mold-compound", 183.0).e_gpa == 2.31


def test_bt_laminate_is_orthotropic_and_changes_its_cte_at_tg() -> None:
    m = MECHANICS["bt-laminate"]
    assert m.orthotropic and m.glass is not None and m.cte_z_ppm_k is not None
    ax, az = material("bt-laminate").cte_ppm_k, m.cte_z_ppm_k
    assert az > 2 * ax  # through-thickness expansion well above in-plane (glass cloth)
    x, _y, z = thermal_strain("bt-laminate", 25.0, 100.0)
    assert (x, z) == pytest.approx((ax * 75e-6, az * 75e-6), rel=1e-12)
    x, _y, z = thermal_strain("bt-laminate", 175.0, 260.0)
    tg, gx, gz = m.glass.tg_c, m.glass.cte_ppm_k, m.glass.cte_z_ppm_k
    assert gz is not None
    assert (x, z) == pytest.approx((1e-6 * (ax * (tg - 175) + gx * (260 - tg)),
                                    1e-6 * (az * (tg - 175) + gz * (260 - tg))), rel=1e-12)


# ------------------------------------------------------------------------------------------------ free block
@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("name", ["copper", "bt-laminate"])
def test_free_block_heated_uniformly_has_no_stress_and_grows_by_alpha_dt(order: int, name: str) -> None:
    lx, ly, lz = 4.0, 3.0, 1.0
    mesh = MeshTet.init_tensor(np.linspace(0, lx, 9), np.linspace(0, ly, 7), np.linspace(0, lz, 4))
    e = elastic_at(name, 25.0)
    mat = el.Orthotropic.transversely_isotropic(e.e_gpa * GPA, e.nu, e.e_z_gpa * GPA, e.nu_z, e.g_z_gpa * GPA)
    dt = 25.0 - 175.0
    ax = material(name).cte_ppm_k * 1e-6
    az = (MECHANICS[name].cte_z_ppm_k or material(name).cte_ppm_k) * 1e-6
    sol = uniform(el.make_space(mesh, order), mat, (ax * dt, ax * dt, az * dt))
    scale = e.e_gpa * GPA * ax * abs(dt)
    assert np.abs(sol.corner_stress()).max() < 1e-6 * scale
    p, u = mesh.p, sol.vertex_displacement
    corner = {(i, j, k): int(np.flatnonzero((p[0] == i * lx) & (p[1] == j * ly) & (p[2] == k * lz))[0])
              for i in (0, 1) for j in (0, 1) for k in (0, 1)}
    for (i, j, k), n in corner.items():  # every edge of the block, projected on its direction
        for axis, length, alpha in ((0, lx, ax), (1, ly, ax), (2, lz, az)):
            key = [i, j, k]
            if key[axis] == 1:
                continue
            key[axis] = 1
            other = corner[(key[0], key[1], key[2])]
            assert u[other, axis] - u[n, axis] == pytest.approx(alpha * dt * length, rel=1e-6)
    assert sol.reaction < 1e-6 and sol.residual < 1e-8


# ------------------------------------------------------------------------------------------------ bimetal plate
def plate_mesh(length: float, zs: np.ndarray, n: int) -> MeshTet:
    return MeshTet.init_tensor(np.linspace(0, length, n + 1), np.linspace(0, length, n + 1), zs)


def test_two_layer_plate_matches_timoshenko_with_biaxial_moduli() -> None:
    """Copper under mold compound, L / h = 20, cooled from the cure temperature: the centre curvature."""
    length, t1, t2 = 20.0, 0.4, 0.6
    cu, mold = elastic_at("copper", 25.0), elastic_at("mold-compound", 25.0)
    lower = el.Orthotropic.isotropic(cu.e_gpa * GPA, cu.nu)
    upper = el.Orthotropic.isotropic(mold.e_gpa * GPA, mold.nu)
    a1, a2, dt = 17.0e-6, 11.0e-6, -150.0
    mesh = plate_mesh(length, np.array([0.0, 0.2, 0.4, 0.7, 1.0]), 12)
    space = el.make_space(mesh)
    c, eps = layered(mesh, t1, lower, upper, (a1 * dt, a2 * dt))
    sol = el.solve(el.assemble(space, c), eps)
    k_fem = fitted_curvature(mesh.p, sol.vertex_displacement[:, 2], (length / 2, length / 2), length / 4)
    k_ref = timoshenko(t1, t2, cu.e_gpa / (1 - cu.nu), mold.e_gpa / (1 - mold.nu), a1, a2, dt)
    assert k_ref > 0.0  # cooled, the copper below shrinks more: the middle rises
    assert k_fem == pytest.approx(k_ref, rel=0.03)
    assert sol.reaction < 1e-6


def test_thin_film_on_thick_substrate_matches_stoney() -> None:
    """A 10 um film on 1 mm of silicon (film modulus a tenth of the substrate's): Stoney's curvature."""
    length, ts, tf = 20.0, 1.0, 0.01
    si = elastic_at("silicon", 25.0)
    es, nus = si.e_gpa * GPA, si.nu
    ef, nuf = 0.1 * es, 0.3
    sub, film = el.Orthotropic.isotropic(es, nus), el.Orthotropic.isotropic(ef, nuf)
    mismatch = 1e-3  # the film's free strain exceeds the substrate's by 0.1 %
    mesh = plate_mesh(length, np.array([0.0, 0.5, 1.0, 1.0 + tf]), 12)
    c, eps = layered(mesh, ts, sub, film, (0.0, mismatch))
    sol = el.solve(el.assemble(el.make_space(mesh), c), eps)
    k_fem = fitted_curvature(mesh.p, sol.vertex_displacement[:, 2], (length / 2, length / 2), length / 4)
    sigma_f = -ef / (1 - nuf) * mismatch  # biaxial film stress while held flat (compressive: it wants to grow)
    k_stoney = -6.0 * sigma_f * tf / (es / (1 - nus) * ts**2)
    assert k_stoney > 0.0
    assert k_fem == pytest.approx(k_stoney, rel=0.03)


def test_result_does_not_depend_on_where_the_body_is_held() -> None:
    """Other 3-2-1 points move the body rigidly and change no stress: the supports carry nothing."""
    mesh = plate_mesh(6.0, np.array([0.0, 0.3, 0.6]), 6)
    lower, upper = el.Orthotropic.isotropic(117e3, 0.33), el.Orthotropic.isotropic(19.1e3, 0.25)
    c, eps = layered(mesh, 0.3, lower, upper, (-2.5e-3, -1.6e-3))
    space = el.make_space(mesh)
    p = mesh.p
    far = el.Supports(int(np.argmax(p.sum(axis=0))), int(np.argmin(p[0] - 0.1 * p[1])),
                      int(np.argmin(p[1] - 0.2 * p[0])))
    assert far != space.supports
    other = dataclasses.replace(space, supports=far)
    s1 = el.solve(el.assemble(space, c), eps)
    s2 = el.solve(el.assemble(other, c), eps)
    scale = np.abs(s1.corner_stress()).max()
    assert np.abs(s1.corner_stress() - s2.corner_stress()).max() < 1e-6 * scale
    assert s1.reaction < 1e-6 and s2.reaction < 1e-6
    d = s1.vertex_displacement - s2.vertex_displacement  # a rigid motion: zero strain
    rigid = el.rigid_modes(p)
    coef = np.linalg.lstsq(rigid, d.ravel(), rcond=None)[0]
    assert np.abs(rigid @ coef - d.ravel()).max() < 1e-6 * np.abs(s1.vertex_displacement).max()


def test_supports_refuse_a_model_without_extent_in_the_plane() -> None:
    with pytest.raises(ValueError, match="3-2-1"):
        el.choose_supports(np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 1.0, 2.0]]))


# ------------------------------------------------------------------------------------------------ lamination
def test_lamination_of_two_layers_is_timoshenko_and_of_one_layer_is_flat() -> None:
    e1, e2, a1, a2, dt = 120e3, 20e3, 17e-6, 11e-6, -150.0
    two = laminate([Layer(0.4, e1, a1 * dt), Layer(0.6, e2, a2 * dt)])
    assert two.curvature == pytest.approx(timoshenko(0.4, 0.6, e1, e2, a1, a2, dt), rel=1e-12)
    one = laminate([Layer(1.0, e1, a1 * dt)])
    assert one.curvature == pytest.approx(0.0, abs=1e-15)
    assert one.mid_strain == pytest.approx(a1 * dt, rel=1e-12)
    assert two.warpage_mm(10.0) == pytest.approx(two.curvature * 100.0 / 4.0, rel=1e-12)


def test_lamination_of_a_symmetric_stack_does_not_bend() -> None:
    cu, core = Layer.isotropic(0.2, 117e3, 0.33, -2.5e-3), Layer.isotropic(0.6, 23e3, 0.18, -2.1e-3)
    lam = laminate([cu, core, cu])
    assert lam.curvature == pytest.approx(0.0, abs=1e-12)
    q = [layer.biaxial_mpa * layer.thickness_mm for layer in (cu, core, cu)]
    expected = sum(qi * layer.strain for qi, layer in zip(q, (cu, core, cu), strict=True)) / sum(q)
    assert lam.mid_strain == pytest.approx(expected, rel=1e-12)


def test_conjugate_gradients_with_smoothed_aggregation_agree_with_the_factor() -> None:
    """The solver for package-sized meshes (pyamg) gives the direct solution on a small bilayer."""
    mesh = plate_mesh(4.0, np.array([0.0, 0.2, 0.5]), 6)
    c, eps = layered(mesh, 0.2, el.Orthotropic.isotropic(117e3, 0.33), el.Orthotropic.isotropic(19.1e3, 0.25),
                     (-2.5e-3, -1.6e-3))
    system = el.assemble(el.make_space(mesh), c)
    direct = el.solve(system, eps, method="direct")
    amg = el.solve(system, eps, method="amg", rtol=1e-10)
    assert amg.iterations > 0 and direct.iterations == 0
    scale = np.abs(direct.displacement).max()
    assert np.abs(amg.displacement - direct.displacement).max() < 1e-6 * scale
    with pytest.raises(ValueError, match="solver method"):
        el.solve(system, eps, method="cholesky")
