"""The thermal solver against cases with known answers; every expected value is computed here by hand.

Units: mm, W, K. A conductivity k in W/(m K) is k/1000 in W/(mm K), so a slab's resistance t / (k A) is
1000 t / (k A) K/W with t in mm and A in mm2.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import j0, j1, jn_zeros
from thermal_models import Meshed, box, cylinder, disk_on_cylinder, mesh_parts

from pkgcad.conformal.faces import Face, PlaneFacets
from pkgcad.solvers.conduction import (
    RESTART_SLACK,
    RTOL,
    Convective,
    HeatSource,
    Isothermal,
    Scenario,
    Sheet,
    prepare,
    probe,
    solve,
)
from pkgcad.thermal import homogenize
from pkgcad.thermal.jedec import PackageFaces, dual_cold_plate, heat_split, theta_jb, theta_jc_top

K_CU, K_SI, K_MOLD, K_SOLDER, K_AG_EPOXY, K_PTFE, K_GOLD = 390.0, 150.0, 0.9, 58.0, 2.0, 0.25, 317.0


def slab_r(t_mm: float, k_w_mk: float, area_mm2: float) -> float:
    return 1000.0 * t_mm / (k_w_mk * area_mm2)


def top_to_bottom(top_part: str, bottom_part: str, power: float = 1.0) -> Scenario:
    return Scenario("t", "flux on top, bottom held", HeatSource(Face(top_part, "top"), power),
                    (Isothermal(Face(bottom_part, "bottom"), 25.0, "bottom"),))


def stack(layers: list[tuple[str, float]], size: str | float = "coarse", thin: tuple[str, ...] = ()) -> Meshed:
    """Boxes 3 x 2 mm stacked from z = 0, named layer0, layer1, ... with the given (material, thickness)."""
    z, shapes, mats = 0.0, {}, {}
    for i, (material, t) in enumerate(layers):
        shapes[f"layer{i}"] = [box(0, 0, z, 3, 2, t)]
        mats[f"layer{i}"] = material
        z += t
    return mesh_parts(shapes, mats, size, thin=thin)


def test_slab_stack_matches_the_1d_series_sum() -> None:
    m = stack([("copper", 0.5), ("silicon", 0.3), ("mold-compound", 0.2)])
    result = solve(m.system(), top_to_bottom("layer2", "layer0"))
    expected = slab_r(0.5, K_CU, 6) + slab_r(0.3, K_SI, 6) + slab_r(0.2, K_MOLD, 6)
    assert result.theta_max_k_w == pytest.approx(expected, rel=5e-3)
    assert result.theta_mean_k_w == pytest.approx(expected, rel=5e-3)
    assert abs(result.energy_balance) < 1e-3
    assert result.heat_out_w["bottom"] == pytest.approx(1.0, rel=1e-3)
    assert result.residual <= RESTART_SLACK * RTOL  # the TRUE residual, within the solver's stated slack


def test_a_thin_layer_meshed_through_its_thickness_adds_exactly_t_over_kA() -> None:
    """The pipeline's structured thin layer: 25 um of Ag epoxy between copper and silicon (3 x 2 mm) gets 2
    elements through its thickness (its nodes on exactly 3 z levels) and adds t / (k A) to the 1-D stack."""
    m = stack([("copper", 0.5), ("silver-epoxy", 0.025), ("silicon", 0.3)], thin=("layer1",))
    tm = m.tm
    layer = tm.part_names.index("layer1")
    z = tm.mesh.p[2, np.unique(tm.mesh.t[:, tm.part_of_element == layer])]
    assert np.unique(np.round(z, 9)).tolist() == pytest.approx([0.5, 0.5125, 0.525])
    assert tm.volumes_mm3()["layer1"] == pytest.approx(3 * 2 * 0.025, rel=1e-9)
    theta = solve(m.system(), top_to_bottom("layer2", "layer0")).theta_max_k_w
    expected = slab_r(0.5, K_CU, 6) + slab_r(0.025, K_AG_EPOXY, 6) + slab_r(0.3, K_SI, 6)
    assert theta == pytest.approx(expected, rel=5e-3)


def test_robin_top_is_a_thin_layer_under_a_held_plate_and_a_film() -> None:
    system = stack([("copper", 0.5)]).system()
    h_layer = K_PTFE / 0.010  # W/(m2 K) per (W/m K) / mm -> x1000 below
    held = Scenario("r", "PTFE under a plate", HeatSource(Face("layer0", "bottom")),
                    convective=(Convective(Face("layer0", "top"), h_layer * 1000.0, 25.0, "plate"),))
    result = solve(system, held)
    assert result.theta_max_k_w == pytest.approx(slab_r(0.5, K_CU, 6) + slab_r(0.010, K_PTFE, 6), rel=5e-3)
    film = Scenario("f", "film", HeatSource(Face("layer0", "bottom")),
                    convective=(Convective(Face("layer0", "top"), 500.0, 25.0, "air"),))
    expected = slab_r(0.5, K_CU, 6) + 1.0 / (500.0 * 6e-6)  # 1 / (h A), A in m2
    assert solve(system, film).theta_max_k_w == pytest.approx(expected, rel=5e-3)


def _disk_source_analytic(b: float, t: float, a: float, k_w_mk: float, terms: int = 4000) -> tuple[float, float]:
    """Isoflux disk (radius a) on a cylinder (radius b, height t, adiabatic side, held base), P = 1 W.

    Fourier-Bessel series (eigenvalues lambda_n b = zeros of J1): returns (mean, centre) rise over the disk.
    """
    k = k_w_mk / 1000.0
    q, q_bar = 1.0 / (math.pi * a * a), 1.0 / (math.pi * b * b)
    lam = jn_zeros(1, terms) / b
    q_n = (q * a * j1(lam * a) / lam) / (b * b * j0(lam * b) ** 2 / 2)
    f0 = q_n * np.tanh(lam * t) / (k * lam)
    mean = q_bar * t / k + np.sum(f0 * 2 * j1(lam * a) / (lam * a))
    centre = q_bar * t / k + np.sum(f0)
    return float(mean), float(centre)


def _spreading(size: str) -> tuple[float, float, float]:
    m = mesh_parts({"body": [disk_on_cylinder(5.0, 2.0, 1.0)]}, {"body": "silicon"}, size,
                   refine=((-1.5, -1.5, 1.0, 1.5, 1.5, 2.0),), refine_factor=0.3)  # the source region, 3.3x finer
    source = Face("body", "top", where=lambda c: c[0] ** 2 + c[1] ** 2 < 1.0)
    scenario = Scenario("s", "disk source", HeatSource(source), (Isothermal(Face("body", "bottom")),))
    r = solve(m.system(), scenario)
    return r.theta_mean_k_w, r.theta_max_k_w, r.energy_balance, r.n_elements


@pytest.mark.slow
def test_spreading_from_a_disk_matches_the_bessel_series_and_converges() -> None:
    mean_exact, centre_exact = _disk_source_analytic(5.0, 2.0, 1.0, K_SI)
    runs = {size: _spreading(size) for size in ("coarse", "normal", "fine")}
    for _, _, balance, _ in runs.values():
        assert abs(balance) < 1e-3
    mean_n, mean_f = runs["normal"][0], runs["fine"][0]
    assert abs(mean_n - mean_f) / mean_f < 0.02  # mesh convergence: normal -> fine
    assert abs(runs["coarse"][0] - mean_n) / mean_n < 0.05
    assert mean_f == pytest.approx(mean_exact, rel=0.02)
    assert runs["fine"][1] == pytest.approx(centre_exact, rel=0.03)


def _pillar_block(explicit: bool, direction: str, size: float = 0.12) -> float:
    """4 x 4 solder pillars (d 0.3, pitch 0.6) in mold, 0.5 mm tall, between 0.3 mm copper plates.

    direction "z": heat through the plates; "x": the block alone, heat from its +x face to its held -x face.
    """
    n, pitch, r, h = 4, 0.6, 0.15, 0.5
    side = n * pitch
    phi = math.pi * r * r / (pitch * pitch)
    shapes: dict = {"block": [box(0, 0, 0, side, side, h)]}
    materials: dict = {"block": "mold-compound"}
    if explicit:
        shapes["pillars"] = [cylinder(pitch * (i + 0.5), pitch * (j + 0.5), 0, h, r)
                             for i in range(n) for j in range(n)]
        materials["pillars"] = "solder"
    else:
        materials["block"] = homogenize.pillar_array(K_SOLDER, K_MOLD, phi)
    if direction == "z":
        shapes["plate_lo"], shapes["plate_hi"] = [box(0, 0, -0.3, side, side, 0.3)], [box(0, 0, h, side, side, 0.3)]
        materials["plate_lo"] = materials["plate_hi"] = "copper"
        scenario = top_to_bottom("plate_hi", "plate_lo")
    else:
        scenario = Scenario("x", "across", HeatSource(Face(("block", "pillars") if explicit else "block", "+x")),
                            (Isothermal(Face(("block", "pillars") if explicit else "block", "-x")),))
    m = mesh_parts(shapes, materials, size if explicit else "coarse")
    return solve(m.system(), scenario).theta_mean_k_w


def test_homogenised_pillar_block_matches_explicit_pillars() -> None:
    """In-plane: Maxwell-Garnett within 3 %. Through: the parallel rule is exact only for isothermal slices, so
    it is an upper bound on k_z: the block conducts better than the pillars, whose constriction into each
    pillar at the copper plates it misses (a few per cent here, under 10 %)."""
    across_explicit, across_block = _pillar_block(True, "x"), _pillar_block(False, "x")
    assert across_block == pytest.approx(across_explicit, rel=0.03)
    through_explicit, through_block = _pillar_block(True, "z"), _pillar_block(False, "z")
    assert through_block < through_explicit < 1.1 * through_block


def _toy_package(layer: float) -> tuple[Meshed, PackageFaces]:
    """Flip chip 4 x 4 x 0.3 on a 10 x 10 BT substrate, mold beside it, 0.3 mm copper heat sink on top.

    The chip's bottom is the active face; the chip is glued to the heat sink by 25 um of Ag epoxy and the heat
    sink carries a 10 um interface layer of conductivity ``layer``, both meshed 2 elements thick.
    """
    shapes = {
        "substrate": [box(-5, -5, -0.3, 10, 10, 0.3)],
        "mold": [box(-5, -5, 0, 10, 10, 0.325)],
        "chip": [box(-2, -2, 0, 4, 4, 0.3)],
        "glue": [box(-2, -2, 0.3, 4, 4, 0.025)],
        "heat_sink": [box(-5, -5, 0.325, 10, 10, 0.3)],
        "interface": [box(-5, -5, 0.625, 10, 10, 0.010)],
    }
    mats = {"substrate": "bt-laminate", "mold": "mold-compound", "chip": "silicon", "glue": "silver-epoxy",
            "heat_sink": "copper", "interface": layer}
    m = mesh_parts(shapes, mats, "coarse", thin=("glue", "interface"))
    # the ring cold plate of theta-JB here holds the substrate's bottom, in two halves (its "top" and "bottom")
    ring = (Face("substrate", "bottom", where=lambda c: c[0] < 0.0), Face("substrate", "bottom",
                                                                         where=lambda c: c[0] >= 0.0))
    faces = PackageFaces(active=Face("chip", "bottom"), top=Face("interface", "top"), board=Face("substrate", "bottom"),
                         ring=ring)
    return m, faces


def test_interface_layer_cost_lies_between_the_heat_sink_and_chip_area_bounds() -> None:
    ptfe_m, faces = _toy_package(K_PTFE)
    gold_m, _ = _toy_package(K_GOLD)
    ptfe = solve(ptfe_m.system(), theta_jc_top(faces))
    gold = solve(gold_m.system(), theta_jc_top(faces))
    delta = ptfe.theta_max_k_w - gold.theta_max_k_w
    assert slab_r(0.010, K_PTFE, 100.0) < delta < slab_r(0.010, K_PTFE, 16.0)
    assert abs(ptfe.energy_balance) < 1e-3 and abs(gold.energy_balance) < 1e-3


def test_dual_plate_splits_the_heat_and_beats_either_path() -> None:
    m, faces = _toy_package(K_GOLD)
    system = m.system()
    jc, jb, dual = (solve(system, s(faces)) for s in (theta_jc_top, theta_jb, dual_cold_plate))
    split = heat_split(dual)
    assert sum(split.values()) == pytest.approx(1.0, abs=1e-3)
    assert dual.theta_max_k_w < min(jc.theta_max_k_w, jb.theta_max_k_w)
    top_share = next(v for k, v in split.items() if "top" in k)
    assert top_share > 0.9  # the copper heat sink takes nearly all the heat from a BT-bottomed flip chip


def test_jesd51_8_ring_cold_plate_on_a_strip_board_with_a_copper_sheet_is_the_1d_fin() -> None:
    """theta-JB's boundary conditions and board temperature on a board whose answer is known: a strip board 20 x 2 x
    1.6 mm (FR-4, k 0.3) with a 35 um copper plane on its top as a sheet (k t = 390 W/m K x 35 um = 13.65 mW/K),
    a 2 x 2 x 0.3 mm copper chip in its middle taking 1 W on its top, the board's top and bottom held at 25 degC
    for |x| >= 8 mm (the ring), all else adiabatic. The heat runs along the strip (1-D): each half carries 0.5 W
    over 7 mm through G = 13.65 + 0.3 x 1.6 = 14.13 mW/K per mm of width, W = 2 mm: 0.5 x 7 / (2 x 0.01413) =
    123.85 K from the chip's edge to the ring; Tb, 1 mm outside the chip's edge (x = 2), 0.5 x 6 / (2 x 0.01413)
    = 106.16 K above the plate; under the chip the heat leaves through the chip and the board in parallel
    (0.117 + 0.0141 W/K): 0.5 x 1 / (2 x 2 x 0.1311) = 0.95 K more, and 0.19 K up through the chip."""
    from pkgcad.thermal.jedec import theta_jb

    m = mesh_parts({"board": [box(-10, -1, -1.6, 20, 2, 1.6)], "chip": [box(-1, -1, 0, 2, 2, 0.3)]},
                   {"board": 0.3, "chip": "copper"}, 0.4)
    g = 390.0 * 0.035e-3
    system = prepare(m.tm, m.k(), sheets=(Sheet(PlaneFacets(0.0, (-10, -1, 10, 1)), g, "plane"),))
    ring = (Face("board", "top", where=lambda c: np.abs(c[0]) >= 8.0),
            Face("board", "bottom", where=lambda c: np.abs(c[0]) >= 8.0))
    faces = PackageFaces(active=Face("chip", "top"), top=Face("chip", "top"), board=None, ring=ring)
    r = solve(system, theta_jb(faces, 1.0))
    big_g = g + 0.3 * 1.6e-3  # W/K: a strip L long and W wide conducts W big_g / L
    tb = float(probe(system, r.solution, np.array([[2.0], [0.0], [-1e-4]]))[0])
    assert tb - 25.0 == pytest.approx(0.5 * 6.0 / (2.0 * big_g), rel=0.02)
    chip_g = 390.0 * 0.3e-3 + big_g
    expected_tj = 0.5 * 7.0 / (2.0 * big_g) + 0.5 * 1.0 / (2.0 * 2.0 * chip_g) + slab_r(0.3, K_CU, 4.0)
    assert r.tj_max_c - 25.0 == pytest.approx(expected_tj, rel=0.02)
    assert abs(r.energy_balance) < 1e-6
    # without the sheet the same strip is 30 times more resistive: the sheet is what carries the heat
    bare = solve(prepare(m.tm, m.k()), theta_jb(faces, 1.0))
    assert bare.tj_max_c - 25.0 > 10.0 * (r.tj_max_c - 25.0)
