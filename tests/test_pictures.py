"""Pictures that show the claim: the default section planes cut the interconnects, the default render shows the
stack, and the section figure's layout is measured on its SVG: no two leader lines cross, no label lies on the
legend or on another label, the vertical scale bar is short and leaves no empty strip; and the report's part
table prints each number column in one format."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from itertools import combinations, pairwise
from pathlib import Path

import numpy as np
import pytest
from conftest import TEMPLATE_Z, built
from typer.testing import CliRunner

from pkgcad.cli import app
from pkgcad.export.writer import write_package
from pkgcad.reader.folder import load_output as load
from pkgcad.view.figure import text_width, to_svg
from pkgcad.view.html import _part_rows, section_views
from pkgcad.view.labels import lay_out
from pkgcad.view.render import render
from pkgcad.view.section import arrange, cut, write_section

SVG = "{http://www.w3.org/2000/svg}"
runner = CliRunner()
INTERCONNECTS = {"qfn": {"leads", "wires"}, "flipchip-bga": {"bumps", "balls"},
                 "wirebond-bga": {"wires", "bond_fingers", "balls"}}


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("pictures")
    out = {}
    for name in INTERCONNECTS:
        write_package(built(name), root / name, formats=("stl",))
        out[name] = root / name
    return out


def _regions(svg: Path) -> set[str]:
    return {str(e.get("data-part")) for e in ET.parse(svg).getroot().iter(f"{SVG}path") if e.get("class") == "region"}


# ------------------------------------------------------------------------------------------ default planes
@pytest.mark.parametrize("name", list(INTERCONNECTS))
@pytest.mark.parametrize("plane", ["xz", "yz"])
def test_default_vertical_section_cuts_the_interconnects(models: dict[str, Path], tmp_path: Path, name: str,
                                                         plane: str) -> None:
    """`pkgcad section` without --at cuts the leads and wires (QFN), bumps and balls (flip chip), wires, bond
    fingers and balls (wire bond). Before, it cut through the middle, between the rows: none of them."""
    out = tmp_path / "s.svg"
    res = runner.invoke(app, ["section", str(models[name]), "--plane", plane, "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert INTERCONNECTS[name] <= _regions(out), res.stdout


@pytest.mark.parametrize("name", list(INTERCONNECTS))
def test_default_top_section_runs_through_the_chip_middle(models: dict[str, Path], tmp_path: Path,
                                                          name: str) -> None:
    """The default xy plane is the chip's mid-height, summed here from the template's thicknesses (before: the
    middle of the package, inside the flip chip's substrate: a plain green square)."""
    z = TEMPLATE_Z[name]
    mid = (z.chip_bottom + z.chip_top) / 2
    out = tmp_path / "s.svg"
    res = runner.invoke(app, ["section", str(models[name]), "--plane", "xy", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert f"at z = {mid:g} mm" in res.stdout
    assert {"chip", "encapsulant"} <= _regions(out) and "carrier" not in _regions(out)


def test_default_render_shows_the_stack(models: dict[str, Path], tmp_path: Path) -> None:
    """The default render of the thin flip chip is stretched (the title says so) and cut through a ball row:
    the flat top is under half of the model's pixels (77 % unstretched) and the balls show (1.5 % unstretched)."""
    model = load(models["flipchip-bga"])
    res = render(model, tmp_path / "r.png", 480, 360, supersample=1)
    shown = sum(res.visible.values())
    assert res.zoom_z > 1 and f"vertical ×{res.zoom_z:g}" in res.title
    assert res.visible["interface_layer"] < 0.5 * shown
    assert res.visible["balls"] > 0.03 * shown
    flat = render(model, tmp_path / "f.png", 480, 360, zoom_z=1, supersample=1)
    assert flat.visible["interface_layer"] > 0.7 * sum(flat.visible.values())  # what it was
    assert "vertical" not in flat.title


# --------------------------------------------------------------------------------------------- layout
def _segments(svg: ET.Element) -> list[list[tuple[tuple[float, float], tuple[float, float]]]]:
    out = []
    for e in svg.iter(f"{SVG}polyline"):
        if e.get("class") == "leader":
            pts = [tuple(map(float, p.split(","))) for p in str(e.get("points")).split()]
            out.append(list(pairwise(pts)))
    return out


def _meet(s: tuple, t: tuple) -> bool:
    """Do two segments share a point (crossing, touching or overlapping)?"""
    (p1, p2), (q1, q2) = np.array(s), np.array(t)

    def orient(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
        return float(np.sign((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])))

    def on(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> bool:
        return bool(np.all(np.minimum(a, b) - 1e-9 <= c) and np.all(c <= np.maximum(a, b) + 1e-9))

    o1, o2, o3, o4 = orient(p1, p2, q1), orient(p1, p2, q2), orient(q1, q2, p1), orient(q1, q2, p2)
    if o1 != o2 and o3 != o4:
        return True
    return ((o1 == 0 and on(p1, p2, q1)) or (o2 == 0 and on(p1, p2, q2)) or (o3 == 0 and on(q1, q2, p1))
            or (o4 == 0 and on(q1, q2, p2)))


def _crossings(svg: ET.Element) -> int:
    leaders = _segments(svg)
    return sum(_meet(s, t) for a, b in combinations(leaders, 2) for s in a for t in b)


def _boxes(svg: ET.Element, cls: str) -> list[tuple[float, float, float, float]]:
    """(x0, y0, x1, y1) of the texts of class ``cls`` (width estimated as the layout does; 13 px high)."""
    out = []
    for e in svg.iter(f"{SVG}text"):
        if e.get("class") == cls:
            x, y, size = float(e.get("x", 0)), float(e.get("y", 0)), float(e.get("font-size", 13))
            out.append((x, y - size, x + text_width(e.text or "", size), y + 0.3 * size))
    return out


def _legend_box(svg: ET.Element) -> tuple[float, float, float, float]:
    xs, ys = [], []
    for e in svg.iter():
        if e.get("class") == "swatch":
            x, y, w, h = (float(e.get(k, 0)) for k in ("x", "y", "width", "height"))
            xs += [x, x + w]
            ys += [y, y + h]
    for x0, y0, x1, y1 in _boxes(svg, "legend"):
        xs += [x0, x1]
        ys += [y0, y1]
    return min(xs), min(ys), max(xs), max(ys)


def _overlap(a: tuple, b: tuple) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _figures(models: dict[str, Path]) -> list[tuple[str, ET.Element]]:
    figs = []
    for name, folder in models.items():
        model = load(folder)
        for cap, svg in section_views(model):
            figs.append((f"{name} report: {cap}", ET.fromstring(svg)))
        for zoom in (1.0, 8.0):
            sec = cut(model, "yz", 0.0)
            figs.append((f"{name} yz at 0 ×{zoom:g}", ET.fromstring(to_svg(arrange(sec, 900, zoom, True)))))
    return figs


def test_leaders_never_cross_and_labels_keep_off_the_legend(models: dict[str, Path]) -> None:
    """On every section the report draws and on side sections through the middle (true scale and ×8): no two
    leader segments meet, no two labels overlap, no label overlaps the legend."""
    for what, svg in _figures(models):
        assert _segments(svg), what
        assert _crossings(svg) == 0, what
        labels = _boxes(svg, "label")
        assert not any(_overlap(a, b) for a, b in combinations(labels, 2)), what
        legend = _legend_box(svg)
        assert not any(_overlap(a, legend) for a in labels), what


def test_leader_layout_never_crosses_on_random_anchors() -> None:
    """The lane rule itself, on 300 random sets of 2-14 anchors crowded into short drawings."""
    rng = np.random.default_rng(7)
    for _ in range(300):
        n = int(rng.integers(2, 15))
        top, height = 50.0, float(rng.uniform(20, 400))
        ys = rng.permutation(np.linspace(top, top + height, 4 * n))[:n]  # distinct heights
        anchors = [(float(x), float(y)) for x, y in zip(rng.uniform(40, 700, n), ys, strict=True)]
        leaders = lay_out(anchors, top, top + height, (720.0, 720.0 + 10 + 5 * n))
        segs = [list(pairwise(ld.points)) for ld in leaders]
        assert sum(_meet(s, t) for a, b in combinations(segs, 2) for s in a for t in b) == 0, anchors
        got = sorted(ld.label_y for ld in leaders)
        assert all(b - a >= 18 - 1e-9 for a, b in pairwise(got))


def test_vertical_scale_bar_is_short_and_leaves_no_blank(models: dict[str, Path], tmp_path: Path) -> None:
    """Zoomed, the drawing still starts at the left margin (before: a 60 px strip was kept for a bar half the
    drawing's height) and the vertical bar stands 40-80 px tall beside the horizontal one."""
    sec = cut(load(models["qfn"]), "xz", 0.0)
    for zoom in (1.0, 8.0):
        write_section(sec, tmp_path / f"z{zoom:g}.svg", zoom_z=zoom, labels=True)
    root = {z: ET.parse(tmp_path / f"z{z:g}.svg").getroot() for z in (1.0, 8.0)}

    def left(svg: ET.Element) -> float:
        xs = [float(v) for e in svg.iter(f"{SVG}path") if e.get("class") == "region"
              for v in re.findall(r"[ML](-?[\d.]+),", e.get("d", ""))]
        return min(xs)

    assert left(root[8.0]) == pytest.approx(40.0) and left(root[1.0]) == pytest.approx(40.0)
    bars = [e for e in root[8.0].iter(f"{SVG}rect") if e.get("class") == "scale-v"]
    assert len(bars) == 1 and 40 <= float(bars[0].get("height", 0)) <= 80.5
    assert not [e for e in root[1.0].iter(f"{SVG}rect") if e.get("class") == "scale-v"]
    assert any("(×8)" in (t.text or "") for t in root[8.0].iter(f"{SVG}text"))


def test_part_table_one_number_format_per_column(models: dict[str, Path]) -> None:
    """Volumes and masses of parts from a 25 µm wire to the mold compound: every cell of a column has the same
    number of decimals (before: "1.23457e-05" beside "0.012345"), and the smallest shows 3 digits."""
    import json

    manifest = json.loads((models["wirebond-bga"] / "manifest.json").read_text())
    rows = _part_rows(manifest)
    for col in (5, 6, 7):
        cells = [re.sub(r"</?b>", "", r[col]) for r in rows if r[col]]
        assert all(re.fullmatch(r"\d{1,3}(,\d{3})*\.\d+", c) for c in cells), cells
        decimals = {len(c.split(".")[1]) for c in cells}
        assert len(decimals) == 1, cells
        smallest = min((float(c.replace(",", "")) for c in cells if float(c.replace(",", ""))), default=1.0)
        assert len(f"{smallest:.{decimals.pop()}f}".replace(".", "").lstrip("0")) >= 3, cells
