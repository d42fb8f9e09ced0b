"""Land-pattern maths of ``pkgcad kicad`` (no KiCad needed): names, IPC-7351B sizes, paste, bad input.

Expected values are worked out here by hand from the IPC-7351B rules, not taken from the code under test.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest
from conftest import layout_of
from typer.testing import CliRunner

from pkgcad.cli import app
from pkgcad.errors import InputError
from pkgcad.kicad import land as L

runner = CliRunner()


def test_row_names_skip_confusable_letters() -> None:
    names = list(itertools.islice(L.row_names(), 22))
    assert names[:8] == ["A", "B", "C", "D", "E", "F", "G", "H"]
    assert names[8] == "J"  # no I
    assert not set("IOQSXZ") & set("".join(names[:20]))
    assert names[19] == "Y" and names[20:22] == ["AA", "AB"]


@pytest.mark.parametrize(("ball", "density", "land"), [
    (0.5, "N", 0.40), (0.5, "M", 0.45), (0.5, "L", 0.35), (0.75, "N", 0.55), (0.3, "N", 0.25),
    (0.7, "N", 0.525),  # halfway between 0.65 -> 0.50 and 0.75 -> 0.55
    (1.0, "N", round(1.0 * 0.55 / 0.75, 3)),  # beyond the table: the ratio of its largest row
])
def test_bga_land_from_the_ipc_table(ball: float, density: str, land: float) -> None:
    assert L.bga_land_diameter(ball, density) == pytest.approx(land, abs=1e-9)


def test_bga_pads_named_from_top_left() -> None:
    ld = L.land(layout_of("wirebond-bga"))
    pads = {p.number: p for p in ld.copper()}
    assert len(pads) == 100 and ld.name == "BGA-100_12.0x12.0mm_Layout10x10_P1.0mm_Ball0.5mm_Pad0.4mm_NSMD_HeatSink"
    assert (pads["A1"].x, pads["A1"].y) == (-4.5, -4.5)  # top-left in KiCad's y-down frame
    assert (pads["A10"].x, pads["A10"].y) == (4.5, -4.5)
    assert (pads["K1"].x, pads["K1"].y) == (-4.5, 4.5)  # 10th row: A..H, J, K
    assert all(p.sx == p.sy == 0.4 and p.shape == "circle" for p in pads.values())


def test_qfn_lands_follow_ipc_7351b_by_hand() -> None:
    ld = L.land(layout_of("qfn"))  # 5 x 5 body, 0.4 x 0.25 leads at 0.5, density N: toe 0.3, heel 0, side -0.04
    t = math.hypot(0.1, 0.05)
    z = round((5 + 2 * 0.3 + t) / 0.05) * 0.05  # 5.7118 -> 5.70
    g = round((5 - 2 * 0.4 - t) / 0.05) * 0.05  # 4.0882 -> 4.10
    x = round((0.25 - 0.08 + t) / 0.05) * 0.05  # 0.2818 -> 0.30
    pads = {p.number: p for p in ld.copper()}
    assert ld.name == "QFN-32-1EP_5x5mm_P0.5mm_EP3.2x3.2mm_HeatSink" and len(pads) == 33
    p1 = pads["1"]  # top of the left side
    assert p1.x == pytest.approx(-(z + g) / 4) and p1.y == pytest.approx(-1.75)
    assert (p1.sx, p1.sy) == (pytest.approx((z - g) / 2), pytest.approx(x))
    assert pads["9"].y == pytest.approx((z + g) / 4) and pads["9"].x == pytest.approx(-1.75)  # bottom side, left
    assert pads["17"].x == pytest.approx((z + g) / 4) and pads["17"].y == pytest.approx(1.75)  # right, bottom
    assert pads["25"].y == pytest.approx(-(z + g) / 4) and pads["25"].x == pytest.approx(1.75)  # top, right
    assert (pads["33"].sx, pads["33"].sy, pads["33"].layers) == (3.2, 3.2, ("F.Cu", "F.Mask"))
    paste = [p for p in ld.pads if not p.number]
    assert sum(p.sx * p.sy for p in paste) == pytest.approx(0.65 * 3.2 * 3.2, rel=1e-4)
    assert all(abs(p.x) + p.sx / 2 <= 1.6 and abs(p.y) + p.sy / 2 <= 1.6 for p in paste)


def test_thermal_vias_keep_paste_clear() -> None:
    ld = L.land(layout_of("qfn"), thermal_vias=True)
    vias = [p for p in ld.pads if p.kind == "thru_hole"]
    paste = [p for p in ld.pads if not p.number]
    assert ld.name.endswith("_ThermalVias") and ld.model_name == ld.name.removesuffix("_ThermalVias")
    assert len(vias) == 4 and all(v.number == "33" and v.drill == 0.3 for v in vias)
    for v, p in itertools.product(vias, paste):
        dx = max(abs(v.x - p.x) - p.sx / 2, 0.0)
        dy = max(abs(v.y - p.y) - p.sy / 2, 0.0)
        assert math.hypot(dx, dy) >= 0.15 + 0.1 - 1e-9


def test_density_changes_land_and_courtyard() -> None:
    spec = layout_of("qfn")
    least, most = L.land(spec, "L"), L.land(spec, "M")
    assert least.copper()[0].sx < most.copper()[0].sx  # the toe grows with the density
    assert least.courtyard[2] < most.courtyard[2]


@pytest.mark.parametrize(("args", "key"), [
    (["wirebond-bga", "--set", "balls.diameter=0.15", "--set", "balls.height=0.1", "--set", "balls.pitch=0.2"],
     "balls.pitch"),
    (["qfn", "--set", "leads.width=0.4"], "leads.width"),
    (["qfn", "--set", "leads.count=30"], "leads.count"),
    (["wirebond-bga", "--set", "balls.count=0"], "balls.count"),
    (["qfn", "--density", "X"], "--density"),
    (["qfn", "--lib", "my lib"], "--lib"),
])
def test_impossible_land_exits_2_writing_nothing(tmp_path: Path, args: list[str], key: str) -> None:
    out = tmp_path / "lib"
    res = runner.invoke(app, ["kicad", *args, "-o", str(out)])
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {key} = "), res.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_refuses_a_folder_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    res = runner.invoke(app, ["kicad", "qfn", "-o", str(tmp_path)])
    assert res.exit_code == 2 and res.stderr.startswith("error: -o") and "notes.txt" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_spec_error_names_key() -> None:
    with pytest.raises(InputError, match="--density"):
        L.land(layout_of("qfn"), "Q")
