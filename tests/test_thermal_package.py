"""`pkgcad thermal` on real templates: the package model against hand arithmetic and physical monotonicity.

Every bound is computed here from the spec (areas, thicknesses, conductivities of the materials table), never
from the code under test. Units: mm, W, K; k in W/(m K) is k/1000 in W/(mm K), so a slab is 1000 t / (k A) K/W.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from conftest import TEMPLATES, built

from pkgcad.materials import MATERIALS
from pkgcad.solvers.conduction import RESTART_SLACK, RTOL
from pkgcad.templates import load_layout
from pkgcad.thermal import jedec
from pkgcad.thermal.run import ThermalRun, run_layout

K = {name: m.conductivity_w_mk for name, m in MATERIALS.items()}


def slab_r(t_mm: float, k_w_mk: float, area_mm2: float) -> float:
    return 1000.0 * t_mm / (k_w_mk * area_mm2)


@cache
def solved(template: str, *sets: str, mesh: str = "coarse", heat_sink: bool = True,
           detail: str = "homogenised") -> ThermalRun:
    run = run_layout(load_layout(template, sets), mesh=mesh, heat_sink=heat_sink, detail=detail)
    for r in run.results.values():  # every run checked: energy balance within 0.1 %, CG converged
        assert abs(r.energy_balance) < 1e-3
        assert r.residual <= RESTART_SLACK * RTOL
    return run


def test_interface_layer_cost_lies_between_heat_sink_and_chip_area_bounds() -> None:
    """PTFE vs gold, 10 um: the extra theta-JC(top) is the PTFE layer's t/k over an area between the chip's
    (heat not spread at all) and the heat sink's (fully spread), less the gold layer it replaced."""
    t = 0.010
    sets = ("interface_layer.thickness=0.01",)
    ptfe = solved("flipchip-bga", *sets, "interface_layer.material=ptfe").jc.theta_max_k_w
    gold = solved("flipchip-bga", *sets, "interface_layer.material=gold").jc.theta_max_k_w
    a_chip, a_hs = 5.0 * 5.0, 10.0 * 10.0
    lower = slab_r(t, K["ptfe"], a_hs) - slab_r(t, K["gold"], a_chip)
    upper = slab_r(t, K["ptfe"], a_chip)
    assert lower < ptfe - gold < upper


def test_a_thicker_copper_plate_adds_at_most_its_own_1d_resistance() -> None:
    base = solved("flipchip-bga").jc.theta_max_k_w
    thick = solved("flipchip-bga", "heat_sink.thickness=0.6").jc.theta_max_k_w
    assert 0.0 <= thick - base <= slab_r(0.3, K["copper"], 5.0 * 5.0)  # over the attach area (the chip's)


def test_copper_beats_aluminium_and_the_heat_sink_beats_mold() -> None:
    copper = solved("wirebond-bga").jc.theta_max_k_w
    aluminium = solved("wirebond-bga", "heat_sink.material=aluminium").jc.theta_max_k_w
    assert copper < aluminium
    # the plate's own 1-D share bounds the difference (0.3 mm over at least the adhesive's area)
    bond = 6.0 - 2 * (0.08 + 0.025 + 0.02)  # chip minus the pad ring (pad inset, wire, min gap)
    assert aluminium - copper < slab_r(0.3, K["aluminium"], bond**2) - slab_r(0.3, K["copper"], 100.0 * 1.44)
    without = solved("wirebond-bga", heat_sink=False).jc.theta_max_k_w
    assert without > 5 * copper


def test_flip_chip_theta_jc_is_the_chip_adhesive_stack_in_series() -> None:
    """Flip chip: the heat goes up through silicon (0.3 mm), 30 um adhesive (both 5 x 5 mm), then spreads in
    0.3 mm of copper. The series stack with the copper over the chip's area alone bounds theta-JC(top) from
    above (the mold beside the chip and the wider copper only add paths); the silicon + adhesive slabs explain
    it to 5 % (the mold's parallel path is small)."""
    jc = solved("flipchip-bga", mesh="normal").jc
    a = 25.0
    stack = slab_r(0.3, K["silicon"], a) + slab_r(0.03, K["thermal-adhesive"], a)
    assert jc.theta_mean_k_w < stack + slab_r(0.3, K["copper"], a) + slab_r(0.002, K["gold"], a)
    assert jc.theta_mean_k_w == pytest.approx(stack, rel=0.05)
    assert jc.theta_max_k_w >= jc.theta_mean_k_w


def test_heat_split_and_part_ranges_are_consistent() -> None:
    run = solved("qfn")
    dual = run.results["dual_cold_plate"]
    assert sum(dual.heat_out_w.values()) == pytest.approx(1.0, abs=1e-3)
    assert dual.theta_max_k_w < min(run.jc.theta_max_k_w, run.jb.theta_max_k_w)
    lo, hi = run.jc.parts["chip"]
    assert hi == pytest.approx(run.jc.tj_max_c) and lo < hi
    assert set(run.jc.parts) == {"encapsulant", "die_pad", "lead", "die_attach", "chip", "adhesive", "heat_sink",
                                 "interface_layer"}
    # JESD51-8: the ring cold plate takes all the heat, the board thermocouple reads between the plate and Tj, and
    # theta-JB is (Tj - Tb) / P, not the rise above the plate
    jb = run.jb
    assert jb is not None and run.theta_jb_k_w is not None
    ring = sum(v for k, v in jb.heat_out_w.items() if "ring cold plate" in k)
    assert ring == pytest.approx(1.0, abs=1e-3)
    tb = run.board_c["theta_jb"]
    assert 25.0 < tb < jb.tj_max_c
    assert run.theta_jb_k_w == pytest.approx(jb.tj_max_c - tb)
    # a QFN has an exposed pad: theta-JC(bot) holds its bottom (and the leads') directly, far below theta-JB, whose
    # heat crosses the board's FR-4 to a ring 5 mm away
    assert run.jc_bot is not None and run.jc_bot.theta_max_k_w < 0.5 * run.theta_jb_k_w
    # the heat split with both the top plate and the ring held: between 0 and 1 on each side, the two-resistor
    # estimate R_board / (R_top + R_board) from the single-plate rises within 15 %
    top = sum(v for k, v in dual.heat_out_w.items() if "top cold plate" in k)
    assert 0.0 < top < 1.0
    assert top == pytest.approx(jb.theta_max_k_w / (run.jc.theta_max_k_w + jb.theta_max_k_w), rel=0.15)


def test_a_package_without_an_exposed_pad_has_no_theta_jc_bot() -> None:
    run = solved("flipchip-bga")
    assert run.jc_bot is None and "theta_jc_bot" not in run.results
    assert run.theta_jb_k_w is not None and run.theta_jb_k_w > 0.0


@pytest.mark.slow
@pytest.mark.parametrize("template", ["flipchip-bga", "wirebond-bga"])
def test_theta_jc_changes_under_2_percent_from_normal_to_fine(template: str) -> None:
    normal = solved(template, mesh="normal").jc.theta_max_k_w
    fine = solved(template, mesh="fine").jc.theta_max_k_w
    assert abs(normal - fine) / fine < 0.02


@pytest.mark.slow
@pytest.mark.parametrize("template", ["flipchip-bga", "wirebond-bga"])
def test_homogenised_arrays_match_every_bump_and_ball_within_3_percent_on_theta_jc(template: str) -> None:
    homogenised = solved(template, mesh="normal").jc.theta_max_k_w
    full = solved(template, mesh="normal", detail="full")
    assert full.model.n_sites == 464 if template == "flipchip-bga" else 100
    assert homogenised == pytest.approx(full.jc.theta_max_k_w, rel=0.03)
    # soldered to the test board, every bump and ball its solid against the bumps as a block (the balls stay
    # solids in the default: the heat enters the board through each joint's pad)
    full_jb, jb = full.theta_jb_k_w, solved(template, mesh="normal").theta_jb_k_w
    assert full_jb is not None and jb is not None and jb == pytest.approx(full_jb, rel=0.03)


@pytest.mark.slow
def test_the_sweep_thermal_step_writes_its_folder_and_columns(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pkgcad.sweep.steps import STEPS, StepOptions

    step = STEPS["thermal"]
    assert step.available() is None and step.run is not None
    row = step.run(load_layout("flipchip-bga").spec, tmp_path, StepOptions()).columns()  # a typed result's columns
    run = solved("flipchip-bga", mesh="normal")
    assert row["theta_jc_top_k_w"] == pytest.approx(run.jc.theta_max_k_w, rel=1e-6)
    assert row["theta_jb_k_w"] == pytest.approx(run.theta_jb_k_w, rel=1e-6)  # JESD51-8: (Tj - Tb) / P
    assert row["tj_max_c"] == pytest.approx(25.0 + row["theta_jc_top_k_w"])
    assert (tmp_path / "thermal" / "thermal.json").is_file() and step.files == ("thermal",)


def test_the_board_estimate_obeys_the_film_bound() -> None:
    """All heat leaves by h (T - Ta) through the exposed faces, none hotter than Tj: theta-JA >= 1 / (h A) with A
    every exposed face of board and package (the JESD51-9 board 101.5 x 114.5 x 1.6 mm, both sides and edges;
    package top and sides, 10 x 10 mm, the balls' height as built included), h = 10 W/m2 K."""
    run = run_layout(load_layout("flipchip-bga"), mesh="coarse", board=True)
    b = run.still_air
    assert b is not None
    assert abs(b.energy_balance) < 1e-3
    board_area = 2 * 101.5 * 114.5 + 2 * (101.5 + 114.5) * 1.6
    package_area = 10.0 * 10.0 + 4 * 10.0 * (0.4 + 0.36 + 0.09 + 0.3 + 0.03 + 0.3 + 0.002)
    assert b.theta_max_k_w >= 1.0 / (10.0 * 1e-6 * (board_area + package_area))
    assert b.theta_max_k_w > run.jc.theta_max_k_w
    assert 0.0 < jedec.psi_jt_k_w(b) < b.theta_max_k_w


# --------------------------------------------------------------------- the meshed parts are the CAD parts
#: Each template's homogenised blocks [mm3], by hand from templates/*.toml: cells (nx x ny at the pitch, less the
#: inner rows of a peripheral pattern) x the array's height.
BLOCKS: dict[str, dict[str, float]] = {
    "buffer-pad": {"ball_block": 10 * 10 * 0.4},  # 100 balls, pitch 1.0, 0.4 high
    "buffer-pad-uneven": {"bump_block": 4.8 * 4.8 * 0.14, "ball_block": 8 * 8 * 0.4},  # 12 x 12 at 0.4; 64 balls
    "connecting-portion": {"ball_block": 10 * 10 * 0.4},
    "flipchip-bga": {"bump_block": 4.0 * 4.0 * 0.09, "ball_block": 8 * 8 * 0.4},  # 20 x 20 at 0.2
    "qfn": {},
    "qfn-buffer-pad": {},
    "textured-first-surface": {"bump_block": (5.1**2 - 3.9**2) * 0.11, "ball_block": 8 * 8 * 0.4},  # 17 x 17, 2 rows
    "wirebond-bga": {"ball_block": 10 * 10 * 0.4},
}
LEFT_TO_MOLD = ("wire", "bond_finger", "bump")  # roles whose volume the thermal model's mold takes
BASELINE_TO_MOLD = ("heat_sink", "interface_layer", "adhesive", "buffer_pad", "buffer_pad_attach")


def _assert_meshed_volumes(template: str, heat_sink: bool = True) -> None:
    """Every part of the thermal mesh holds the volume of the CAD part it is (the built package's, what
    manifest.json records) or of its block (by hand), within 0.5 %; the mold holds the CAD encapsulant plus
    what was left to it (wires, bond fingers, the bumps; without the heat sink also the heat path above the
    chip), less the bump block. The thin layers are planar and come out exact."""
    pkg = built(template)
    run = solved(template, heat_sink=heat_sink)
    got = run.package.tm.volumes_mm3()  # the package alone: the board, its solder and the soldered balls left off
    blocks = {k: v for k, v in BLOCKS[template].items() if k != "ball_block"}  # the balls stay solids, soldered
    to_mold = LEFT_TO_MOLD + (() if heat_sink else BASELINE_TO_MOLD)
    want = {p.name: p.volume() * p.count for p in pkg.parts if p.role not in to_mold and p.role != "ball"}
    want["encapsulant"] += sum(p.volume() * p.count for p in pkg.parts if p.role in to_mold)
    want["encapsulant"] -= blocks.get("bump_block", 0.0)
    want.update(blocks)
    assert set(got) == set(want)
    for name, volume in want.items():
        assert got[name] == pytest.approx(volume, rel=5e-3), name
    for name in ("die_attach", "adhesive", "interface_layer", "buffer_pad_attach"):
        if name in got:
            assert got[name] == pytest.approx(want[name], rel=1e-9), name
    # soldered to the test board, each ball keeps its solder: the joints' solids (OCCT volumes of the fused model;
    # a coarse mesh of a 0.5 mm sphere is some % smaller) hold the built balls' volume
    balls = [p for p in pkg.parts if p.role == "ball"]
    if balls and run.assembly is not None:
        joints = next(p.volume_mm3 for p in run.model.fem.parts if p.name == "ball")
        assert joints == pytest.approx(sum(p.volume() * p.count for p in balls), rel=1e-3)


@pytest.mark.parametrize("template", ["wirebond-bga", "flipchip-bga", "qfn"])
def test_each_thermal_part_meshes_to_its_cad_part_or_block(template: str) -> None:
    _assert_meshed_volumes(template)


@pytest.mark.slow
@pytest.mark.parametrize("template", [t for t in TEMPLATES if t not in ("wirebond-bga", "flipchip-bga", "qfn")])
def test_each_thermal_part_meshes_to_its_cad_part_or_block_every_template(template: str) -> None:
    _assert_meshed_volumes(template)


@pytest.mark.slow
@pytest.mark.parametrize("template", ["buffer-pad", "textured-first-surface"])
def test_the_no_heat_sink_baseline_meshes_the_heat_path_as_mold(template: str) -> None:
    _assert_meshed_volumes(template, heat_sink=False)


def test_thin_layers_have_two_elements_through_their_thickness() -> None:
    """wirebond-bga: the 25 um die attach, 120 um adhesive and 5 um interface layer are meshed structured: the
    nodes of each lie on exactly three planes, its bottom, middle and top (z levels from the template)."""
    tm = solved("wirebond-bga").system.tm
    levels = {"die_attach": (0.36, 0.385), "adhesive": (0.665, 0.785), "interface_layer": (1.085, 1.09)}
    for name, (z0, z1) in levels.items():
        i = tm.part_names.index(name)
        z = tm.mesh.p[2, np.unique(tm.mesh.t[:, tm.part_of_element == i])]
        assert np.unique(np.round(z, 9)).tolist() == pytest.approx([z0, (z0 + z1) / 2, z1], abs=1e-9), name
