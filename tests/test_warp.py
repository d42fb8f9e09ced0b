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
