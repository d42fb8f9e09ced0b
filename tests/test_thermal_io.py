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
from pkgcad.solvers.conduction import HeatSource, Isothermal, Scenario, prepare, solve
from pkgcad.thermal import homogenize
from pkgcad.thermal.board import BoardSpec
from pkgcad.thermal.conductivity import Conductivity, resolve
from pkgcad.thermal.jedec import PackageFaces, compact_model, theta_jb, theta_jc_top
from pkgcad.thermal.output import write_all
from pkgcad.thermal.section import sample_plane


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
    assert BoardSpec().conductivity().values == pytest.approx(lam.values)
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
    faces = PackageFaces(Face("chip", "bottom"), Face("lid", "top"), Face("base", "bottom"))
    system = m.system()
    results = {s.name: solve(system, s) for s in (theta_jc_top(faces, 2.0), theta_jb(faces, 2.0))}
    compact = compact_model(results["theta_jc_top"], results["theta_jb"])
    written = write_all(tmp_path, system, results, m.conductivities, compact=compact)
    assert {p.name for p in written} == {"thermal.vtu", "thermal.json", "compact_model.json",
                                         "section_theta_jc_top.png", "section_theta_jb.png"}
    vtu = meshio.read(tmp_path / "thermal.vtu")
    assert vtu.points.shape == (system.tm.n_nodes, 3)
    assert vtu.cells_dict["tetra"].shape == (system.tm.n_elements, 4)
    assert sorted(np.unique(vtu.cell_data["part_id"][0])) == [0, 1, 2, 3]
    assert np.max(vtu.point_data["T_theta_jc_top_degC"]) == pytest.approx(results["theta_jc_top"].tj_max_c)
    doc = json.loads((tmp_path / "thermal.json").read_text())
    assert [p["name"] for p in doc["parts"]] == list(tm.part_names)
    jc = doc["scenarios"]["theta_jc_top"]
    assert jc["theta_max_K_W"] == pytest.approx((jc["Tj_max_C"] - 25.0) / 2.0)
    assert abs(jc["solver"]["energy_balance"]) < 1e-3
    model = json.loads((tmp_path / "compact_model.json").read_text())
    assert [r["value"] for r in model["resistors"]] == pytest.approx(
        [results["theta_jc_top"].theta_max_k_w, results["theta_jb"].theta_max_k_w])
    with Image.open(tmp_path / "section_theta_jb.png") as png:
        assert png.size[0] >= 1000 and png.getextrema()[0][0] < png.getextrema()[0][1]
