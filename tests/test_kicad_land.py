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
from pkgcad.kicad import Options
from pkgcad.kicad import land as L
from pkgcad.kicad.library import merge_packages, plan
from pkgcad.templates import template_paths

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
    """IPC-7351B Table 3-15 at density N (toe 0.30, heel 0, side -0.04) on the 5 mm body with 0.25 x 0.40 mm
    leads, MO-220 tolerances (body +-0.1, width +-0.05, length +-0.1), F = 0.1, P = 0.05: KiCad's own
    QFN-32-1EP_5x5mm lands (0.875 x 0.25 at 2.4375)."""
    ld = L.land(layout_of("qfn"))
    fp = 0.1**2 + 0.05**2
    z = (5 - 0.1) + 2 * 0.3 + math.sqrt(0.2**2 + fp)  # 5.729 -> 5.75
    cs = math.sqrt(0.2**2 + 2 * 0.2**2)  # RMS tolerance of S = body - 2 lead lengths
    g = (5 - 2 * 0.4 + cs / 2) - math.sqrt(cs**2 + fp)  # 4.009 -> 4.00
    x = (0.25 - 0.05) - 2 * 0.04 + math.sqrt(0.1**2 + fp)  # 0.27 -> 0.25
    z, g, x = (round(v / 0.05) * 0.05 for v in (z, g, x))
    assert (z, g, x) == (pytest.approx(5.75), pytest.approx(4.0), pytest.approx(0.25))
    pads = {p.number: p for p in ld.copper()}
    assert ld.name == "QFN-32-1EP_5x5mm_P0.5mm_EP3.2x3.2mm_HeatSink_Pad0.875x0.25mm" and len(pads) == 33
    p1 = pads["1"]  # top of the left side
    assert p1.x == pytest.approx(-(z + g) / 4) == pytest.approx(-2.4375) and p1.y == pytest.approx(-1.75)
    assert (p1.sx, p1.sy) == (pytest.approx((z - g) / 2), pytest.approx(x)) == (pytest.approx(0.875), 0.25)
    assert pads["9"].y == pytest.approx((z + g) / 4) and pads["9"].x == pytest.approx(-1.75)  # bottom side, left
    assert pads["17"].x == pytest.approx((z + g) / 4) and pads["17"].y == pytest.approx(1.75)  # right, bottom
    assert pads["25"].y == pytest.approx(-(z + g) / 4) and pads["25"].x == pytest.approx(1.75)  # top, right
    assert (pads["33"].sx, pads["33"].sy, pads["33"].layers) == (3.2, 3.2, ("F.Cu", "F.Mask"))
    assert ld.web == pytest.approx(0.5 - 0.25)  # the copper web along a side
    r = 0.25 * 0.25  # corner radius of a 0.25 mm wide roundrect land
    dx = g / 2 - (1.75 + 0.25 / 2)  # pin 1's inner end to pin 32's side edge (and the same turned)
    assert ld.corner_gap == pytest.approx(math.hypot(dx + 2 * r, dx + 2 * r) - 2 * r, abs=1e-6)
    paste = [p for p in ld.pads if not p.number]
    assert sum(p.sx * p.sy for p in paste) == pytest.approx(0.65 * 3.2 * 3.2, rel=1e-4)
    assert all(abs(p.x) + p.sx / 2 <= 1.6 and abs(p.y) + p.sy / 2 <= 1.6 for p in paste)


@pytest.mark.parametrize(("density", "toe", "land_length"), [("L", 0.2, 0.775), ("N", 0.3, 0.875), ("M", 0.4, 0.975)])
def test_qfn_density_moves_only_the_toe(density: str, toe: float, land_length: float) -> None:
    """The side goal is -0.04 at every density (Table 3-15): the land width stays 0.25 mm; the toe grows the
    land outwards by 0.1 mm per level (Z rounds to 5.55 / 5.75 / 5.95 mm)."""
    ld = L.land(layout_of("qfn"), density)
    z = round(((5 - 0.1) + 2 * toe + math.sqrt(0.2**2 + 0.1**2 + 0.05**2)) / 0.05) * 0.05
    p1 = next(p for p in ld.copper() if p.number == "1")
    assert (p1.sx, p1.sy) == (pytest.approx(land_length), 0.25) and p1.x - p1.sx / 2 == pytest.approx(-z / 2)
    assert ld.name.endswith(f"_Pad{land_length:g}x0.25mm")


def _chamfered_area(p: L.Pad) -> float:
    leg = p.chamfer_ratio * min(p.sx, p.sy)
    return p.sx * p.sy - len(p.chamfer) * leg**2 / 2


def test_thermal_vias_keep_paste_clear_and_covering() -> None:
    """3 x 3 apertures on the 3.2 mm pad, a 0.3 mm via (0.5 mm pad) at each of the 4 inner grid corners: every
    aperture corner facing a via is chamfered so that its cut line is >= 0.25 + 0.1 mm from the via centre;
    paste 50-80 % of the pad; a bottom-side pad of the pad's number over all vias."""
    ld = L.land(layout_of("qfn"), thermal_vias=True)
    vias = [p for p in ld.pads if p.kind == "thru_hole"]
    paste = [p for p in ld.pads if not p.number]
    (bottom,) = [p for p in ld.pads if p.layers == ("B.Cu",)]
    assert ld.name.endswith("_ThermalVias") and ld.model_base == L.land(layout_of("qfn")).model_base
    assert len(vias) == 4 and all(v.number == "33" and v.drill == 0.3 and v.sx == 0.5 for v in vias)
    assert bottom.number == "33" and all(abs(v.x) + 0.25 <= bottom.sx / 2 and abs(v.y) + 0.25 <= bottom.sy / 2
                                         for v in vias)
    assert 0.5 <= sum(_chamfered_area(p) for p in paste) / 3.2**2 <= 0.8
    for v, p in itertools.product(vias, paste):
        dx, dy = abs(v.x - p.x) - p.sx / 2, abs(v.y - p.y) - p.sy / 2  # via centre outside the aperture box
        if dx >= 0.35 or dy >= 0.35 or math.hypot(max(dx, 0), max(dy, 0)) >= 0.35:
            continue  # clear of the box itself
        assert dx >= 0 and dy >= 0  # the via sits off a corner, not beside an edge
        leg = p.chamfer_ratio * min(p.sx, p.sy)
        assert (dx + dy + leg) / math.sqrt(2) >= 0.35 - 1e-6, (v, p)  # the cut line's distance
    centre = next(p for p in paste if p.x == 0 and p.y == 0)
    assert sorted(centre.chamfer) == ["bottom_left", "bottom_right", "top_left", "top_right"]


def test_names_depend_on_the_package_alone() -> None:
    """A footprint's and a model's names are the same whether the package is planned alone or with every
    bundled template; identical lands share one footprint, each package has its own model name."""
    lays = [layout_of(p.stem) for p in template_paths()]
    together = {e.template: (e.land.name, e.model) for e in plan(lays, Options())}
    for lay in lays:
        (alone,) = plan([lay], Options())
        assert (alone.land.name, alone.model) == together[lay.spec.meta.name]
    assert len({fp for fp, _m in together.values()}) == 3 and len({m for _fp, m in together.values()}) == 8
    assert together["qfn"][1] == "QFN-32-1EP_5x5mm_P0.5mm_EP3.2x3.2mm_HeatSink_H0.801mm_Ni"
    (full,) = plan([layout_of("qfn")], Options(full_model=True))
    assert full.model == together["qfn"][1] + "_qfn"


def test_seated_height_in_the_model_name() -> None:
    """qfn: lead frame 0.203 + die attach + chip 0.2 + adhesive 0.12 + heat sink 0.25 + nickel 0.003 mm; the
    name's height is the top of the interface layer (a QFN has no lift)."""
    lay = layout_of("qfn")
    st = lay.stack
    assert st.interface_top == pytest.approx(st.second_surface + 0.003)
    assert st.second_surface - st.first_surface == pytest.approx(0.25)
    assert f"_H{L.num(st.interface_top)}mm_Ni" in plan([lay], Options())[0].model
    bga = layout_of("wirebond-bga")  # balls 0.4 mm lift the package
    assert f"_H{L.num(bga.stack.interface_top + 0.4)}mm_NiAu" in plan([bga], Options())[0].model


def test_two_models_one_name_refused() -> None:
    """Same lands, same seated height and finish, but a thicker heat sink over a thinner chip: two
    different board-level models would get one name, so the plan refuses (exit 2) instead of overwriting."""
    other = layout_of("qfn", "heat_sink.thickness=0.3", "chip.thickness=0.15")
    assert other.stack.interface_top == pytest.approx(layout_of("qfn").stack.interface_top)
    with pytest.raises(InputError, match="its 3D model would be named"):
        plan([layout_of("qfn"), other], Options())


def test_density_changes_land_and_courtyard() -> None:
    spec = layout_of("qfn")
    least, most = L.land(spec, "L"), L.land(spec, "M")
    assert least.copper()[0].sx < most.copper()[0].sx  # the toe grows with the density
    assert least.courtyard[2] < most.courtyard[2]


@pytest.mark.parametrize(("args", "key"), [
    (["wirebond-bga", "--set", "balls.diameter=0.15", "--set", "balls.height=0.1", "--set", "balls.pitch=0.2"],
     "balls.pitch"),
    (["qfn", "--set", "leads.width=0.45"], "leads.width"),
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


def test_merge_keeps_a_package_on_each_of_its_footprints() -> None:
    """qfn written plain, then with --thermal-vias into the same library: the package sits on both footprints
    (the plain one keeps its model line), and a model name another package uses is never given to a different
    model."""
    plain = {"template": "qfn", "footprint": "Q", "model": "M", "signature": "s"}
    other = {"template": "qfn-buffer-pad", "footprint": "Q", "model": "N", "signature": "t"}
    vias = {"template": "qfn", "footprint": "Q_ThermalVias", "model": "M", "signature": "s"}
    merged = merge_packages([plain, other], [vias])
    assert {(p["template"], p["footprint"]) for p in merged} == {("qfn", "Q"), ("qfn-buffer-pad", "Q"),
                                                                  ("qfn", "Q_ThermalVias")}
    clash = {"template": "qfn", "footprint": "Q", "model": "N", "signature": "u"}
    with pytest.raises(InputError, match="would replace the one"):
        merge_packages([plain, other], [clash])
