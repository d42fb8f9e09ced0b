"""Thermal intake, face selection, errors, homogenisation formulas and output files (VTU, JSON, PNG)."""

from __future__ import annotations

import json
import math

import meshio
import numpy as np
import pytest
from PIL import Image
from thermal_models import box, cylinder, mesh_parts

from pkgcad.conformal.faces import Face, facet_areas, select
from pkgcad.layout import SphereCut
from pkgcad.solvers.conduction import HeatSource, Isothermal, Scenario, prepare, solve
from pkgcad.solvers.plane import sample_plane
from pkgcad.thermal import homogenize
from pkgcad.thermal.board import JedecBoard
from pkgcad.thermal.conductivity import Conductivity, resolve
from pkgcad.thermal.jedec import PackageFaces, compact_model, theta_jc_bot, theta_jc_top
from pkgcad.thermal.output import write_all


def balls_on_plate():  # type: ignore[no-untyped-def]
    shapes = {"plate": [box(0, 0, 0, 4, 4, 0.5)],
              "ball_1": [cylinder(1, 1, -0.4, 0.4, 0.3)], "ball_2": [cylinder(3, 3, -0.4, 0.4, 0.3)]}
    return mesh_parts(shapes, {"plate": "copper", "ball_1": "solder", "ball_2": "solder"}, "coarse").tm


def test_faces_by_part_and_side_are_found_geometrically() -> None:
    tm = balls_on_plate()
    ends = select(tm, Face("ball_*", "bottom"))
    disc, dodecagon = math.pi * 0.3**2, 3 * 0.3**2  # gmsh puts >= 12 segments on a circle
    assert 2 * dodecagon * (1 - 1e-9) <= facet_areas(tm, ends).sum() <= 2 * disc
    top = select(tm, Face("plate", "top"))
    assert facet_areas(tm, top).sum() == pytest.approx(16.0, rel=1e-9)
    # the plate's bottom: the exposed part plus the two discs under the balls
    assert facet_areas(tm, select(tm, Face("plate", "bottom"))).sum() == pytest.approx(16.0, rel=1e-9)
    exposed = select(tm, Face("plate", "bottom", exposed=True))
    assert 16.0 - 2 * disc <= facet_areas(tm, exposed).sum() <= 16.0 - 2 * dodecagon * (1 - 1e-9)
    left = facet_areas(tm, select(tm, Face("plate", "top", where=lambda c: c[0] < 2.0))).sum()
    right = facet_areas(tm, select(tm, Face("plate", "top", where=lambda c: c[0] >= 2.0))).sum()
    assert left + right == pytest.approx(16.0, rel=1e-9) and 6.0 < left < 10.0
    with pytest.raises(ValueError, match="no part matches chip; parts: plate, ball_1, ball_2"):
        select(tm, Face("chip", "top"))
    with pytest.raises(ValueError, match="side 'up'"):
        Face("plate", "up")


def test_intake_errors_name_the_part_and_the_fix() -> None:
    with pytest.raises(ValueError, match="part 'plate': unknown material 'unobtainium'"):
        mesh_parts({"plate": [box(0, 0, 0, 1, 1, 1)]}, {"plate": "unobtainium"}, "coarse")
    tm = mesh_parts({"plate": [box(0, 0, 0, 1, 1, 1)]}, {"plate": "copper"}, "coarse").tm
    with pytest.raises(ValueError, match=r"conductivity must be \(3, "):
        prepare(tm, np.ones((3, 1)))
    with pytest.raises(ValueError, match="positive conductivity"):
        prepare(tm, np.zeros((3, tm.n_elements)))
    with pytest.raises(ValueError, match="must be positive"):
        resolve((1.0, -2.0, 3.0))
    with pytest.raises(ValueError, match="power"):
        HeatSource(Face("plate", "top"), power_w=0.0)


def test_parts_that_do_not_share_faces_are_refused() -> None:
    m = mesh_parts({"a": [box(0, 0, 0, 1, 1, 1)], "b": [box(0, 0, 1, 1, 1, 1)]}, {"a": "copper", "b": "copper"},
                   "coarse", fragment=False)
    scenario = Scenario("s", "", HeatSource(Face("b", "top")), (Isothermal(Face("a", "bottom")),))
    with pytest.raises(ValueError, match=r"part\(s\) b touch no held or convective face"):
        solve(m.system(), scenario)


def test_homogenisation_formulas_by_hand() -> None:
    lam = homogenize.laminate([(1.53, 0.3), (0.035, 390.0), (0.035, 390.0)])
    assert lam.kx == pytest.approx((1.53 * 0.3 + 0.07 * 390) / 1.6)
    assert lam.kz == pytest.approx(1.6 / (1.53 / 0.3 + 0.07 / 390))
    # the 2s2p board's copper as sheets: k t, copper 390 W/m K; 35 um planes 0.07 + 0.25 mm under the top and over
    # the bottom of the 1.6 mm board; the top traces 70 um at 20 % coverage
    board = JedecBoard("JESD51-7", 114.3, 76.2, (0.0, 0.0))
    assert board.sheets_w_k() == pytest.approx({"board_top_copper": 0.2 * 390 * 70e-6, "plane_1": 390 * 35e-6,
                                                "plane_2": 390 * 35e-6})
    assert board.planes() == (("plane_1", pytest.approx(0.32)), ("plane_2", pytest.approx(1.28)))
    # a ball cut symmetrically about its centre is the ball array's own profile
    sym = SphereCut(0.5, 0.0, 0.4, 0.2)
    assert homogenize.sphere_cut_array(58, 0.9, sym, 1.0).values == pytest.approx(
        homogenize.ball_array(58, 0.9, diameter_mm=0.5, height_mm=0.4, pitch_x_mm=1.0).values, rel=1e-9)
    assert homogenize.maxwell_garnett_2d(58, 0.9, 0.0) == pytest.approx(0.9)
    assert homogenize.maxwell_garnett_2d(2.0, 2.0, 0.4) == pytest.approx(2.0)
    assert homogenize.maxwell_garnett_3d(58, 0.9, 0.0) == pytest.approx(0.9)
    pillars = homogenize.pillar_array(58, 0.9, 0.2)
    assert pillars.kz == pytest.approx(0.2 * 58 + 0.8 * 0.9)
    assert 0.9 < pillars.kx < pillars.kz
    lo, hi = homogenize.profiled_bounds(58, 0.9, lambda z: np.full_like(z, 0.15), 0.36, 0.5)
    assert lo == pytest.approx(hi, rel=1e-9) and hi == pytest.approx(math.pi * 0.0225 / 0.36 * 57.1 + 0.9)
    balls = homogenize.ball_array(58, 0.9, diameter_mm=0.5, height_mm=0.4, pitch_x_mm=1.0)
    lo, hi = homogenize.profiled_bounds(58, 0.9, lambda z: np.sqrt(0.0625 - (z - 0.2) ** 2), 1.0, 0.4)
    assert lo < balls.kz <= hi * (1 + 1e-9)
    wires = homogenize.wire_array(317, 0.9, 0.01, axis="y")
    assert wires.ky == pytest.approx(0.01 * 317 + 0.99 * 0.9) and wires.kx == wires.kz


def test_section_sampling_reproduces_a_linear_field() -> None:
    tm = mesh_parts({"slab": [box(0, 0, 0, 3, 2, 1)]}, {"slab": "copper"}, "coarse").tm
    field = 20.0 + 3.0 * tm.mesh.p[0] - 7.0 * tm.mesh.p[2]
    u, z = np.linspace(0.01, 2.99, 50), np.linspace(0.01, 0.99, 20)
    values, part = sample_plane(tm, field, "y", 1.0 + 1e-7, u, z)
    uu, zz = np.meshgrid(u, z)
    assert np.all(part == 0)
    assert values == pytest.approx(20.0 + 3.0 * uu - 7.0 * zz, abs=1e-9)
    outside, _ = sample_plane(tm, field, "y", 1.0, np.array([-1.0, 4.0]), np.array([0.5, 0.6]))
    assert np.isnan(outside).all()


def test_outputs_vtu_json_compact_model_and_picture(tmp_path) -> None:  # type: ignore[no-untyped-def]
    shapes = {"base": [box(0, 0, 0, 6, 6, 0.3)], "chip": [box(2, 2, 0.3, 2, 2, 0.2)],
              "lid": [box(0, 0, 0.5, 6, 6, 0.2)], "fill": [box(0, 0, 0.3, 6, 6, 0.2)]}
    mats = {"base": "bt-laminate", "chip": "silicon", "lid": "copper",
            "fill": Conductivity(0.9, 0.9, 0.9, "mold")}
    m = mesh_parts({k: shapes[k] for k in ("base", "fill", "chip", "lid")}, mats, "coarse")
    tm = m.tm
    faces = PackageFaces(Face("chip", "bottom"), Face("lid", "top"), Face("base", "bottom"), exposed_pad=True)
    system = m.system()
    results = {s.name: solve(system, s) for s in (theta_jc_top(faces, 2.0), theta_jc_bot(faces, 2.0))}
    bottom = results["theta_jc_bot"]
    # a JESD15-3 model from theta-JC(top) and a theta-JB of (Tj - Tb) / P, Tb read here at 26 degC
    compact = compact_model(results["theta_jc_top"], (bottom.tj_max_c - 26.0) / 2.0, bottom, 26.0)
    notes = ["fill: the mold <left out> & \"said\" so", "a second note"]
    written = write_all(tmp_path, system, results, m.conductivities, compact=compact, notes=notes)
    assert {p.name for p in written} == {"thermal.vtu", "thermal.json", "compact_model.json",
                                         "section_theta_jc_top.png", "section_theta_jc_bot.png"}
    text = (tmp_path / "thermal.vtu").read_text()  # what the file lacks, in its field data, XML-escaped
    assert "<FieldData>" in text
    assert 'Name="note 01: fill: the mold &lt;left out&gt; &amp; &quot;said&quot; so"' in text
    vtu = meshio.read(tmp_path / "thermal.vtu")
    assert vtu.points.shape == (system.tm.n_nodes, 3)
    assert vtu.cells_dict["tetra"].shape == (system.tm.n_elements, 4)
    assert sorted(np.unique(vtu.cell_data["part_id"][0])) == [0, 1, 2, 3]
    # the VTU's nodes are the mesh's vertices: the P2 solution there (Tj max also sees the edge midpoints)
    assert np.array_equal(vtu.point_data["T_theta_jc_top_degC"], results["theta_jc_top"].temperature_c)
    assert np.max(vtu.point_data["T_theta_jc_top_degC"]) <= results["theta_jc_top"].tj_max_c + 1e-12
    doc = json.loads((tmp_path / "thermal.json").read_text())
    assert [p["name"] for p in doc["parts"]] == list(tm.part_names)
    jc = doc["scenarios"]["theta_jc_top"]
    assert jc["theta_max_K_W"] == pytest.approx((jc["Tj_max_C"] - 25.0) / 2.0)
    # the section goes through the hottest point: its colour bar reaches Tj max; every part cut is named
    pic = jc["section_png"]
    assert pic["hottest_in_picture_C"] - 25.0 == pytest.approx(jc["Tj_max_C"] - 25.0, rel=0.02)
    assert sorted(pic["parts"]) == ["base", "chip", "fill", "lid"]
    assert doc["vtu"]["field_data"] == notes
    assert abs(jc["solver"]["energy_balance"]) < 1e-3
    model = json.loads((tmp_path / "compact_model.json").read_text())
    assert [r["value"] for r in model["resistors"]] == pytest.approx(
        [results["theta_jc_top"].theta_max_k_w, bottom.theta_max_k_w - 0.5])
    assert model["theta_JB_board_temperature_C"] == 26.0
    with Image.open(tmp_path / "section_theta_jc_bot.png") as png:
        assert png.size[0] >= 1000 and png.getextrema()[0][0] < png.getextrema()[0][1]
