"""`pkgcad thermal` through the CLI: the files it writes, what it prints, the output guard, and exit 2 with one
line (nothing written) for every bad input."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import meshio
import numpy as np
import pytest
from PIL import Image
from test_cli import assert_refused, run


def test_thermal_writes_json_vtu_compact_model_and_pictures(tmp_path: Path) -> None:
    out = tmp_path / "qfn-thermal"
    result = run("thermal", "qfn", "--mesh", "coarse", "--power", "2", "-o", str(out), "--json")
    assert result.exit_code == 0, (result.stderr, result.exception)
    summary = json.loads(result.stdout)
    assert summary["power_W"] == 2.0
    assert summary["Tj_max_C"] == pytest.approx(25.0 + 2.0 * summary["theta_jc_top_K_W"])
    assert abs(summary["solver"]["worst_energy_balance"]) < 1e-3
    assert summary["heat_split_dual_plate"]["top"] + summary["heat_split_dual_plate"]["board"] == pytest.approx(1.0)
    assert {p.name for p in out.iterdir()} == {".pkgcad", "thermal.json", "thermal.vtu", "compact_model.json",
                                               "section_theta_jc_top.png", "section_theta_jc_bot.png",
                                               "section_theta_jb.png", "section_dual_cold_plate.png"}
    # JEDEC's names: theta-JC(bot) for the exposed pad, theta-JB per JESD51-8 = (Tj - Tb) / P on the test board
    assert summary["theta_jc_bot_K_W"] < summary["theta_jc_top_K_W"]
    jb = json.loads((out / "thermal.json").read_text())["scenarios"]["theta_jb"]
    assert summary["theta_jb_K_W"] == pytest.approx((jb["Tj_max_C"] - summary["board_temperature_C"]) / 2.0)
    assert "JESD51-8" in summary["definitions"]["theta_jb_K_W"]
    doc = json.loads((out / "thermal.json").read_text())
    assert doc["summary"]["theta_jb_K_W"] == pytest.approx(summary["theta_jb_K_W"])
    assert doc["units"]["resistance"] == "K/W"
    compact = json.loads((out / "compact_model.json").read_text())
    assert [r["value"] for r in compact["resistors"]] == pytest.approx(
        [summary["theta_jc_top_K_W"], summary["theta_jb_K_W"]])
    vtu = meshio.read(out / "thermal.vtu")
    ids = np.unique(vtu.cell_data["part_id"][0])
    assert [doc["parts"][i]["name"] for i in ids] == [p["name"] for p in doc["parts"]]
    t = vtu.point_data["T_theta_jc_top_degC"]  # solved on the package alone: NaN on the board and its solder
    assert np.isnan(t).any() and np.isfinite(vtu.point_data["T_theta_jb_degC"]).all()
    # the hottest vertex is at most Tj (P2: the edge midpoints too) and the coldest is the plate (elements that are
    # not acute may undershoot it by a hair)
    assert np.nanmax(t) == pytest.approx(summary["Tj_max_C"], rel=1e-3) and np.nanmax(t) <= summary["Tj_max_C"]
    assert np.nanmin(t) == pytest.approx(25.0, abs=1e-3 * np.nanmax(t))
    with Image.open(out / "section_theta_jc_top.png") as png:
        assert png.size[0] >= 1000
    # a rerun may replace what pkgcad thermal wrote; a foreign file makes the folder the user's
    again = run("thermal", "qfn", "--mesh", "coarse", "-o", str(out))
    assert again.exit_code == 0, again.stderr
    assert "theta-JC(top)" in again.stdout and "energy balance" in again.stdout
    assert "note: adhesive 120 um thermal-adhesive (k 2.3 W/m K) meshed" in again.stdout  # a thin layer, meshed
    # the report's thermal section reads the same files (as a sweep leaves them in a model folder)
    from pkgcad.view.thermal import thermal_html

    model = tmp_path / "model"
    assert thermal_html(model) == ""
    (model / "thermal").mkdir(parents=True)
    for name in ("thermal.json", "section_theta_jc_top.png"):
        (model / "thermal" / name).write_bytes((out / name).read_bytes())
    section = thermal_html(model)
    assert f"{summary['theta_jc_top_K_W']:.3f} K/W" in section and "data:image/png;base64," in section
    # the report and the printed summary use JEDEC's names
    assert f"theta-JC(bot) (exposed pad)</dt><dd>{summary['theta_jc_bot_K_W']:.3f} K/W" in section
    assert f"theta-JB (JESD51-8, ring cold plate)</dt><dd>{summary['theta_jb_K_W']:.3f} K/W" in section
    assert "theta-JC(bot)" in again.stdout and "JESD51-8" in again.stdout
    (out / "mine.txt").write_text("keep me")
    assert_refused(run("thermal", "qfn", "--mesh", "coarse", "-o", str(out)), "-o = ", "mine.txt")
    assert (out / "mine.txt").read_text() == "keep me"


@pytest.mark.parametrize(("args", "words"), [
    (("--power", "0"), ("--power = 0", "greater than 0")),
    (("--power", "-3"), ("--power = -3",)),
    (("--mesh", "medium"), ("--mesh = 'medium'", "coarse, normal, fine")),
    (("--set", "heat_sink.material=unobtainium"), ("heat_sink.material",)),
    (("--set", "interface_layer.thickness=0"), ("interface_layer.thickness",)),
])
def test_bad_options_exit_2_with_one_line_and_write_nothing(tmp_path: Path, args: tuple[str, ...],
                                                             words: tuple[str, ...]) -> None:
    out = tmp_path / "never"
    assert_refused(run("thermal", "flipchip-bga", *args, "-o", str(out)), *words)
    assert not out.exists()


def test_bad_sources_exit_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_refused(run("thermal", str(empty), "-o", str(tmp_path / "o")), "manifest.json", "missing")
    assert_refused(run("thermal", "no-such-template"), "not a bundled template")
    assert_refused(run("thermal", "qfn", "flipchip-bga"), "several only with --compare")
    no_parts = tmp_path / "no-parts"
    no_parts.mkdir()
    (no_parts / "manifest.json").write_text(json.dumps({"tool": "pkgcad", "parts": []}))
    result = run("thermal", str(no_parts), "-o", str(tmp_path / "o"))
    assert_refused(result, "manifest.json")
    assert not (tmp_path / "o").exists()


@pytest.fixture(scope="module")
def qfn_coarse(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`pkgcad thermal qfn --mesh coarse --json` (1 W, with its heat sink): the summary it prints."""
    result = run("thermal", "qfn", "--mesh", "coarse", "-o", str(tmp_path_factory.mktemp("qfn") / "t"), "--json")
    assert result.exit_code == 0, (result.stderr, result.exception)
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.mark.slow
def test_an_output_folder_is_read_through_its_manifest(tmp_path: Path, qfn_coarse: dict[str, Any]) -> None:
    built = tmp_path / "qfn"
    assert run("build", "qfn", "-o", str(built), "--quality", "draft").exit_code == 0
    from_folder = run("thermal", str(built), "--mesh", "coarse", "-o", str(tmp_path / "a"), "--json")
    assert from_folder.exit_code == 0, from_folder.stderr
    a = json.loads(from_folder.stdout)
    assert a["theta_jc_top_K_W"] == pytest.approx(qfn_coarse["theta_jc_top_K_W"], rel=1e-9)


def test_compare_table_and_chart(tmp_path: Path, qfn_coarse: dict[str, Any]) -> None:
    """The "with heat sink" side of the row is the plain `pkgcad thermal qfn` run (its own command, the same mesh);
    the delta is taken here from THAT run's numbers, not from the row's own columns."""
    out = tmp_path / "cmp"
    result = run("thermal", "--compare", "qfn", "--mesh", "coarse", "-o", str(out), "--json")
    assert result.exit_code == 0, (result.stderr, result.exception)
    (row,) = json.loads(result.stdout)
    with_hs, with_jb = qfn_coarse["theta_jc_top_K_W"], qfn_coarse["theta_jb_K_W"]
    assert row["theta_jc_top_K_W"] == pytest.approx(with_hs, rel=1e-9)
    assert row["theta_jb_K_W"] == pytest.approx(with_jb, rel=1e-9)
    assert row["top_share"] == pytest.approx(qfn_coarse["heat_split_dual_plate"]["top"], rel=1e-9)
    no_hs = row["theta_jc_top_no_hs_K_W"]
    assert no_hs > with_hs
    assert row["theta_jc_top_delta_K_W"] == pytest.approx(with_hs - no_hs, rel=1e-9) and with_hs - no_hs < 0
    assert row["theta_jc_top_delta_pct"] == pytest.approx(100 * (with_hs / no_hs - 1), rel=1e-9)
    assert row["theta_jb_delta_K_W"] == pytest.approx(with_jb - row["theta_jb_no_hs_K_W"], rel=1e-9)
    assert row["top_share"] > row["top_share_no_hs"]
    # the CSV holds the same numbers
    (csv_row,) = list(csv.DictReader(io.StringIO((out / "compare.csv").read_text())))
    assert float(csv_row["theta_jc_top_delta_K_W"]) == pytest.approx(with_hs - no_hs, rel=1e-6)
    assert {p.name for p in out.iterdir()} >= {"compare.json", "compare.csv", "compare.md", "compare.png"}
    assert "| qfn |" in (out / "compare.md").read_text()
