"""`pkgcad warp`: bad input refused before any work, the files and their stable names, and the physics across
variants (the buffer pad's material), on the one FEM mesh."""

from __future__ import annotations

import json
from pathlib import Path

import meshio
import numpy as np
import pytest
from test_cli import assert_refused, run

from pkgcad.templates import load_layout
from pkgcad.warp.model import build_model, solder_fraction


@pytest.mark.parametrize("args, words", [
    (["--at", "25,400"], ["--at", "400", "-65", "300"]),
    (["--at", "-70"], ["--at", "-70"]),
    (["--at", "25,175"], ["--at", "175", "stress-free"]),
    (["--stress-free", "25", "--at", "25"], ["--at", "25", "stress-free"]),
    (["--at", "25,hot"], ["--at", "25,hot", "degC"]),
    (["--mesh", "medium"], ["--mesh", "medium", "coarse"]),
])
def test_bad_options_are_refused_with_one_line_and_nothing_written(tmp_path: Path, args: list[str],
                                                                   words: list[str]) -> None:
    out = tmp_path / "w"
    assert_refused(run("warp", "qfn", "-o", str(out), *args), *words)
    assert not out.exists()


def test_a_folder_without_parts_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "built"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"tool": "pkgcad", "parts": []}))
    out = tmp_path / "w"
    assert_refused(run("warp", str(folder), "-o", str(out)))
    assert not out.exists()


def test_solder_fraction_of_the_ball_block_is_the_truncated_spheres_over_the_block() -> None:
    lay = load_layout("wirebond-bga")
    model = build_model(lay)
    block = model.fem.part("ball_block").block
    assert block is not None
    s = block.sphere
    r, c = s.diameter / 2, s.centre
    one = np.pi * ((r * r * s.top - (s.top - c) ** 3 / 3) - (r * r * s.bottom - (s.bottom - c) ** 3 / 3))
    assert solder_fraction(block) == pytest.approx(block.sites.realised * one / block.volume_mm3, rel=1e-12)
    assert "interface_layer" not in {p.name for p in model.fem.parts}  # left out mechanically (see model.py)


@pytest.mark.slow
def test_warp_writes_the_stable_names_and_the_vtu_matches_them(tmp_path: Path) -> None:
    out = tmp_path / "qfn-warp"
    result = run("warp", "qfn", "--mesh", "coarse", "--at", "25,260", "-o", str(out), "--json")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    doc = json.loads((out / "warp.json").read_text())
    temps = doc["temperatures"]
    assert [t["temperature_c"] for t in temps] == [25.0, 260.0]
    for t in temps:
        for key in ("warpage_board_um", "warpage_top_um", "chip_stress_max_mpa", "bond_shear_max_mpa"):
            assert isinstance(t[key], float), key
        # CG stops at a relative residual of 1e-6 (elasticity.RTOL); the true residual is recomputed
        assert t["solver"]["support_reaction"] < 1e-6 and t["solver"]["relative_residual"] < 1.5e-6
        assert t["clt_warpage_um"] is None  # a QFN's lead frame is not a full-footprint layer
        assert 0.0 < t["chip_stress_interior_mpa"] <= t["chip_stress_max_mpa"]  # a subset of the chip's corners
    assert temps[0]["chip_stress_max_mpa"] > 0.0 and temps[0]["warpage_board_um"] != 0.0
    vtu = meshio.read(out / "warp.vtu")
    names = [p["name"] for p in doc["parts"]]
    assert set(np.unique(vtu.cell_data["part_id"][0])) == set(range(len(names)))
    u = vtu.point_data["u_25C_mm"]
    p = vtu.points
    bottom = p[:, 2] <= p[:, 2].min() + 1e-9
    w = u[bottom, 2]
    design = np.column_stack([np.ones(bottom.sum()), p[bottom, 0], p[bottom, 1]])
    r = w - design @ np.linalg.lstsq(design, w, rcond=None)[0]
    assert 1000 * (r.max() - r.min()) == pytest.approx(abs(temps[0]["warpage_board_um"]), rel=1e-9)
    assert (out / "deformed.png").stat().st_size > 10_000
    assert doc["picture"]["exaggeration"] > 1
    # the picture is a section through the middle, drawn deformed, with the parts it cuts named
    assert doc["picture"]["view"].startswith("section at y = ") and doc["picture"]["z_drawn"] > 1
    assert {"chip", "die_pad", "heat_sink", "encapsulant"} <= set(doc["picture"]["parts"]) <= set(names)
    # the report's warp section reads the same file (a sweep's warp step writes it under warp/)
    from pkgcad.view.warp import warp_html

    model = tmp_path / "model"
    model.mkdir()
    out.rename(model / "warp")
    html = warp_html(model)
    assert f"{temps[0]['warpage_board_um']:+.1f}" in html and f"{temps[1]['chip_stress_max_mpa']:.1f}" in html
    assert "data:image/png;base64," in html
    assert warp_html(tmp_path) == ""


@pytest.mark.slow
def test_a_buffer_pad_loads_the_chip_less_than_the_heat_sink_bonded_straight_on() -> None:
    """Claim 12's reason against claim 1's attach: the chip's peak first principal stress at 25 degC is lower with
    the buffer pad (each claimed material, the same mesh) than with adhesive filling the pad's place."""
    from pkgcad.warp.compare import compare_rows

    rows = compare_rows([load_layout("buffer-pad")], mesh="coarse", temperatures=(25.0,))
    bare = [r for r in rows if r["variant"].startswith("no buffer pad")]
    pads = [r for r in rows if r["variant"] in ("buffer pad: silicon", "buffer pad: alloy42", "buffer pad: molybdenum")]
    assert len(bare) == 1 and len(pads) == 3
    for r in pads:
        assert r["chip_stress_25c_mpa"] < bare[0]["chip_stress_25c_mpa"], (r, bare)

def test_the_no_pad_variant_fills_the_pads_place_with_adhesive_and_keeps_the_outline() -> None:
    from pkgcad.warp.compare import no_pad

    lay = load_layout("buffer-pad")
    bare = no_pad(lay)
    bp = lay.spec.buffer_pad
    assert bare.buffer_pad is None and not bare.spec.buffer_pad.enabled
    assert bare.spec.adhesive.thickness == pytest.approx(bp.thickness + bp.attach_thickness
                                                         + lay.spec.adhesive.thickness, abs=1e-12)
    assert bare.stack.first_surface == pytest.approx(lay.stack.first_surface, abs=1e-9)
    assert bare.footprint == lay.footprint


def test_lamination_beside_the_fem_takes_the_three_full_footprint_layers_of_a_bga() -> None:
    """flipchip-bga: the BT substrate, the mold up to the heat sink and the plate, with the spec's thicknesses
    (substrate 0.36; bumps 0.09 + chip 0.3 + adhesive 0.03 of mold; plate 0.3 mm); at 25 degC the curvature is
    classical lamination theory of the three with each material's biaxial modulus and strain; a QFN has none."""
    from pkgcad.materials import elastic_at, thermal_strain
    from pkgcad.solvers.lamination import Layer, laminate

    model = build_model(load_layout("flipchip-bga", []))
    assert [n for n, _ in model.full_layers] == ["carrier", "encapsulant", "heat_sink"]
    assert [t for _, t in model.full_layers] == pytest.approx([0.36, 0.09 + 0.3 + 0.03, 0.3], abs=1e-9)
    layers = []
    for name, t in (("bt-laminate", 0.36), ("mold-compound", 0.42), ("copper", 0.3)):
        s = elastic_at(name, 25.0)
        e = s.e_gpa * 1000.0
        if name == "bt-laminate":  # orthotropic: E_x, nu_xy with sigma_z = 0 -> E / (1 - nu_xy) in the plane
            layers.append(Layer(t, e / (1 - s.nu), thermal_strain(name, 175.0, 25.0)[0]))
        else:
            layers.append(Layer.isotropic(t, e, s.nu, thermal_strain(name, 175.0, 25.0)[0]))
    lam = model.lamination(175.0, 25.0)
    assert lam is not None
    assert lam.curvature == pytest.approx(laminate(layers).curvature, rel=1e-9)
    assert build_model(load_layout("qfn", [])).lamination(175.0, 25.0) is None


def test_the_bump_blocks_thermal_strain_mixes_solder_and_mold_by_schapery() -> None:
    """flipchip-bga's bump block (solder columns in mold): its free strain from 175 to 260 degC is Schapery's rule of
    mixtures of the two materials' strains, computed here from the materials table (along the columns weighted by
    each one's modulus share; across (1 + nu) f eps_s + (1 + nu) (1 - f) eps_m - nu_zx eps_z); the ball block's is
    the solder's (air between the balls). Main gave the bump block the solder's strain: 21 ppm/K across a block that
    is 77 % mold at 42 ppm/K."""
    from pkgcad.materials import elastic_at, thermal_strain

    model = build_model(load_layout("flipchip-bga", []))
    bump, ball = model.parts["bump_block"], model.parts["ball_block"]
    f = solder_fraction(model.fem.part("bump_block").block)  # type: ignore[arg-type]
    assert 0.1 < f < 0.5 and bump.matrix == "mold-compound" and ball.matrix is None
    es, em = elastic_at("solder", 260.0), elastic_at("mold-compound", 260.0)
    s, m = thermal_strain("solder", 175.0, 260.0)[0], thermal_strain("mold-compound", 175.0, 260.0)[0]
    z = (f * es.e_gpa * s + (1 - f) * em.e_gpa * m) / (f * es.e_gpa + (1 - f) * em.e_gpa)
    x = (1 + es.nu) * f * s + (1 + em.nu) * (1 - f) * m - (f * es.nu + (1 - f) * em.nu) * z
    assert bump.strain(175.0, 260.0) == pytest.approx((x, x, z), rel=1e-12)
    assert x > 1.5 * s  # across the block the mold above its Tg dominates
    assert ball.strain(175.0, 260.0) == pytest.approx(thermal_strain("solder", 175.0, 260.0), rel=1e-12)
    # Halpin-Tsai across the columns: the matrix at f = 0, the fibre at f = 1, Reuss's series bound at xi = 0 and
    # Voigt's parallel one as xi grows (Jones, Mechanics of Composite Materials, section 3.5)
    from pkgcad.warp.model import halpin_tsai

    assert halpin_tsai(2.31, 50.0, 0.0, 2.0) == pytest.approx(2.31)
    assert halpin_tsai(2.31, 50.0, 1.0, 2.0) == pytest.approx(50.0, rel=1e-12)
    assert halpin_tsai(2.31, 50.0, f, 0.0) == pytest.approx(1 / (f / 50.0 + (1 - f) / 2.31), rel=1e-12)
    assert halpin_tsai(2.31, 50.0, f, 1e9) == pytest.approx(f * 50.0 + (1 - f) * 2.31, rel=1e-6)
    c = bump.constants(260.0)
    assert c.ex == pytest.approx(1000 * halpin_tsai(em.e_gpa, es.e_gpa, f, 2.0), rel=1e-12)
    assert c.ez == pytest.approx(1000 * (f * es.e_gpa + (1 - f) * em.e_gpa), rel=1e-12)
    # the rule keeps a single material's strain: columns of solder in solder expand as solder
    same = type(bump)("b", "solder", f, "solder")
    assert same.strain(175.0, 25.0) == pytest.approx(thermal_strain("solder", 175.0, 25.0), rel=1e-12)


def test_the_board_side_is_read_at_the_ball_sites_not_over_the_blocks_face() -> None:
    """A face 10 pitches wide (a ball block over its 10 x 10 cells) bent to w = k (x^2 + y^2) / 2. The best-fit
    plane of a set symmetric about the middle is level, so the warpage is w's own range: over the whole face
    k (5^2 + 5^2) / 2 - 0 = 25 k; at the 10 x 10 sites (from 0.5 to 4.5 pitches off the middle) k (40.5 - 0.5) / 2 =
    20 k, what the tips of real balls show; the face reads (10/9)^2 - 1 = 25 % more (main read the face). The middle
    sits below the corners: concave, negative. A site on a vertex takes that vertex's displacement."""
    from pkgcad.warp.run import _warpage, board_points

    pitch, k = 1.0, 2e-4
    g = np.linspace(-5.0, 5.0, 37)  # sites fall inside the face's triangles, not on its vertices
    x, y = (a.ravel() for a in np.meshgrid(g, g, indexing="ij"))
    points = np.vstack([x, y, np.zeros_like(x)])
    u = np.column_stack([0 * x, 0 * x, k * (x * x + y * y) / 2])
    c = (np.arange(10) - 4.5) * pitch
    sites = np.column_stack([a.ravel() for a in np.meshgrid(c, c, indexing="ij")])
    face, _, _ = _warpage(points, u)
    at_sites, sign, _ = _warpage(*board_points(points, u, sites))
    assert face == pytest.approx(25 * k, rel=1e-9)
    assert at_sites == pytest.approx(20 * k, rel=5e-3)  # linear between the face's vertices (h = 0.28 pitch)
    assert sign < 0
    v = 5 * 37 + 11  # a vertex of the face
    p2, u2 = board_points(points, u, points[:2, [v]].T)
    assert u2[0] == pytest.approx(u[v], abs=1e-15) and p2[:, 0] == pytest.approx(points[:, v])
    assert board_points(points, u, None)[0] is points  # no balls (a QFN, an LGA): every vertex of the bottom


@pytest.mark.slow
def test_the_ball_block_gives_the_board_warpage_of_every_ball_in_full_detail_within_5_percent() -> None:
    """wirebond-bga --mesh coarse at 25 and 260 degC: the balls as one homogenised block (what `pkgcad warp` runs)
    against every ball its CAD solid (the full detail, read at the same ball sites: their poles). Main read the
    block's whole bottom face and was 21.5 % and 23.7 % high (bench/warp_arrays.py); now within 3 % (measured
    +2.7 % at both). The package's top, which no reading changes, within 5 % too."""
    from pkgcad.warp.run import run_layout

    lay = load_layout("wirebond-bga", [])
    blocks = run_layout(lay, temperatures=(25.0, 260.0), mesh="coarse", arrays="blocks")
    full = run_layout(lay, temperatures=(25.0, 260.0), mesh="coarse", arrays="full")
    assert "ball_block" in blocks.mesh.part_names and "ball_block" not in full.mesh.part_names
    for b, f in zip(blocks.results, full.results, strict=True):
        assert b.warpage_board_um == pytest.approx(f.warpage_board_um, rel=0.05), (b.temperature_c, b, f)
        assert b.warpage_top_um == pytest.approx(f.warpage_top_um, rel=0.05), (b.temperature_c, b, f)
    assert blocks.results[0].warpage_board_um < 0 < blocks.results[1].warpage_board_um  # concave cold, convex hot


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_warpage_changes_under_3_percent_from_normal_to_fine() -> None:
    """Issue 21's convergence proof, as a test: flipchip-bga at 25 and 260 degC, the default mesh against the fine
    one (half the sizes: 1.3 M unknowns, about 250 CPU s and 11 GB, the suite's largest run). The board-side and top
    warpage move less than 3 % (measured with bench/warp.py --convergence: -15.62 -> -15.57 and +13.97 -> +13.95 um
    on the board side) and keep their signs. The chip's peak stress sits on a singular re-entrant edge and is not
    asserted (the README reports its movement)."""
    from pkgcad.warp.run import run_layout

    lay = load_layout("flipchip-bga", [])
    normal = run_layout(lay, temperatures=(25.0, 260.0), mesh="normal")
    fine = run_layout(lay, temperatures=(25.0, 260.0), mesh="fine")
    assert fine.mesh.mesh.t.shape[1] > 4 * normal.mesh.mesh.t.shape[1]  # a real refinement (halved sizes: ~8x)
    for n, f in zip(normal.results, fine.results, strict=True):
        assert n.warpage_board_um == pytest.approx(f.warpage_board_um, rel=0.03), (n.temperature_c, n, f)
        assert n.warpage_top_um == pytest.approx(f.warpage_top_um, rel=0.03), (n.temperature_c, n, f)
    assert fine.results[0].warpage_board_um < 0 < fine.results[1].warpage_board_um  # concave cold, convex hot
