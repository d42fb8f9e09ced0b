"""Sections (SVG, PNG) and the isometric render, judged on the exported qfn and flipchip-bga models:
one filled region per part the plane crosses, in the part's material colour, none for parts it misses;
PNG sizes as asked and not blank; bad arguments refused with one line and exit 2."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from conftest import built
from PIL import Image
from typer.testing import CliRunner

from pkgcad.cli import app
from pkgcad.errors import InputError
from pkgcad.export.writer import write_package
from pkgcad.materials import material
from pkgcad.reader.folder import load_output as load
from pkgcad.view.figure import hex_color
from pkgcad.view.render import render
from pkgcad.view.section import PLANES, arrange, busiest_plane, cut, write_section

SVG = "{http://www.w3.org/2000/svg}"
runner = CliRunner()


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("view")
    out = {}
    for name in ("qfn", "flipchip-bga"):
        write_package(built(name), root / name, formats=("stl", "glb"))
        out[name] = root / name
    return out


def crossed(folder: Path, axis: int, at: float) -> set[str]:
    """The part groups with a triangle that has corners on both sides of the plane (found independently of the
    section code)."""
    model = load(folder)
    out = set()
    for g, m in model.meshes.items():
        c = m.triangles[:, :, axis] - at
        if np.any((c.min(axis=1) < 0) & (c.max(axis=1) > 0)):
            out.add(g)
    return out


def regions(svg: Path) -> list[ET.Element]:
    return [e for e in ET.parse(svg).getroot().iter(f"{SVG}path") if e.get("class") == "region"]


def colour_of(folder: Path, group: str) -> str:
    return hex_color(material(load(folder).part_rows(group)[0]["material"]).color)


@pytest.mark.parametrize(("name", "plane", "at"), [("qfn", "xz", 0.0), ("qfn", "yz", 0.3), ("qfn", "xy", 0.3),
                                                   ("flipchip-bga", "xz", 0.0), ("flipchip-bga", "yz", 0.125)])
def test_svg_one_region_per_crossed_part_in_its_colour(models: dict[str, Path], tmp_path: Path, name: str,
                                                       plane: str, at: float) -> None:
    folder = models[name]
    sec = cut(load(folder), plane, at)
    write_section(sec, tmp_path / "s.svg")
    found = regions(tmp_path / "s.svg")
    parts = [e.get("data-part") for e in found]
    assert len(parts) == len(set(parts)), "one region per part"
    assert set(parts) == crossed(folder, PLANES[plane][0], sec.at_used)
    for e in found:
        assert e.get("fill") == colour_of(folder, str(e.get("data-part")))
        assert e.get("fill-rule") == "evenodd"
        assert e.get("d", "").count("Z") >= 1


def test_qfn_front_section_misses_leads_and_wires_and_is_exact(models: dict[str, Path]) -> None:
    sec = cut(load(models["qfn"]), "xz", 0.0)
    by = {r.group: r for r in sec.regions}
    assert "leads" not in by and "wires" not in by  # y = 0 runs between the leads and the wires
    assert set(by) == {"die_pad", "die_attach", "chip", "adhesive", "heat_sink", "interface_layer", "encapsulant"}
    # exact geometry: the die pad is 3.2 mm wide and 0.203 mm thick, the heat sink 5 x 0.25, the layer 5 x 0.003
    assert by["die_pad"].area_mm2 == pytest.approx(3.2 * 0.203, rel=1e-6)
    assert by["heat_sink"].area_mm2 == pytest.approx(5.0 * 0.25, rel=1e-6)
    assert by["interface_layer"].area_mm2 == pytest.approx(5.0 * 0.003, rel=1e-4)


def test_side_section_cuts_two_leads_and_holes_in_the_mold(models: dict[str, Path]) -> None:
    sec = cut(load(models["qfn"]), "yz", 0.3)
    by = {r.group: r for r in sec.regions}
    assert len(by["leads"].loops) == 2
    fc = {r.group: r for r in cut(load(models["flipchip-bga"]), "xz", 0.125).regions}  # through a bump row
    assert len(fc["bumps"].loops) == 20  # 20 x 20 array
    # the mold between the bumps is cut into pieces, one loop each, all in the one encapsulant region
    assert len(fc["encapsulant"].loops) >= 20


def test_busiest_plane_finds_a_bump_row(models: dict[str, Path]) -> None:
    model = load(models["flipchip-bga"])
    at = busiest_plane(model, "xz", 0.0)
    assert abs(at) <= 0.6
    groups = {r.group for r in cut(model, "xz", at).regions}
    assert {"bumps", "balls"} <= groups  # y = 0 itself runs between two bump rows and two ball rows
    assert "bumps" not in {r.group for r in cut(model, "xz", 0.0).regions}


def test_sections_tile_the_package(models: dict[str, Path]) -> None:
    """The QFN is a full box (leads and pad flush with the bottom and sides): the part sections, holes taken
    off, add up to its outline, so nothing is lost or drawn twice."""
    for plane, at in (("xz", 0.0), ("yz", 0.3), ("xz", -2.3)):
        sec = cut(load(models["qfn"]), plane, at)
        hmin, vmin, hmax, vmax = sec.bounds
        total = sum(r.area_mm2 for r in sec.regions)
        assert total == pytest.approx((hmax - hmin) * (vmax - vmin), rel=1e-4), (plane, at)


def test_labels_zoom_and_scale_bar(models: dict[str, Path], tmp_path: Path) -> None:
    sec = cut(load(models["qfn"]), "xz", 0.0)
    write_section(sec, tmp_path / "plain.svg")
    write_section(sec, tmp_path / "zoom.svg", zoom_z=5, labels=True)
    texts = [e.text or "" for e in ET.parse(tmp_path / "zoom.svg").getroot().iter(f"{SVG}text")]
    for r in sec.regions:  # a leader label and a legend entry per part
        assert any(t.startswith(r.group.replace("_", " ") + " (") for t in texts), r.group
        assert any(t.startswith(r.group.replace("_", " ") + " — ") for t in texts), r.group
    assert any(t.endswith(" mm") for t in texts)  # the scale bar
    assert any(t.endswith("(×5)") for t in texts)  # the vertical bar says it is exaggerated
    assert len(list(ET.parse(tmp_path / "zoom.svg").getroot().iter(f"{SVG}polyline"))) == 2 * len(sec.regions)

    def height(svg: Path, part: str) -> float:
        e = next(e for e in regions(svg) if e.get("data-part") == part)
        ys = [float(p.split(",")[1]) for p in e.get("d", "").replace("M", " ").replace("L", " ").replace("Z", " ")
              .split()]
        return max(ys) - min(ys)

    assert height(tmp_path / "zoom.svg", "heat_sink") / height(tmp_path / "plain.svg", "heat_sink") > 3.5


def test_png_section_size_and_colours(models: dict[str, Path], tmp_path: Path) -> None:
    sec = cut(load(models["qfn"]), "xz", 0.0)
    fig = write_section(sec, tmp_path / "s.png", width=900, zoom_z=4, labels=True)
    img = Image.open(tmp_path / "s.png")
    assert img.format == "PNG"
    assert img.size == (900, fig.height) == (900, arrange(sec, 900, 4, True).height)
    px = np.asarray(img.convert("RGB")).reshape(-1, 3)
    copper = np.array([round(c * 255) for c in material("copper").color])
    assert (np.abs(px - copper).sum(axis=1) < 6).sum() > 2000  # heat sink and die pad, filled
    assert len(np.unique(px, axis=0)) > 20


def test_render_png(models: dict[str, Path], tmp_path: Path) -> None:
    model = load(models["qfn"])
    cutaway = render(model, tmp_path / "cut.png", 400, 300, zoom_z=1)
    whole = render(model, tmp_path / "whole.png", 400, 300, cut=False, zoom_z=1)
    for p in ("cut.png", "whole.png"):
        img = Image.open(tmp_path / p)
        assert img.size == (400, 300)
        a = np.asarray(img.convert("RGB"))
        assert (a.sum(axis=-1) < 700).mean() > 0.2  # a fifth of the picture is model, not white
    assert cutaway.visible["chip"] > 0 and whole.visible["chip"] == 0  # the cut opens the package
    assert whole.visible["interface_layer"] > cutaway.visible["interface_layer"]


def test_cli_section_render_and_refusals(models: dict[str, Path], tmp_path: Path) -> None:
    q = str(models["qfn"])
    res = runner.invoke(app, ["section", q, "--plane", "xz", "--at", "0", "-o", str(tmp_path / "a.svg"), "--labels"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "a.svg").stat().st_size > 1000
    res = runner.invoke(app, ["render", q, "-o", str(tmp_path / "r.png"), "--size", "200x150"])
    assert res.exit_code == 0, res.output
    assert Image.open(tmp_path / "r.png").size == (200, 150)
    bad = [
        (["section", q, "--plane", "xq"], "--plane"),
        (["section", q, "--plane", "yz", "--at", "9"], "-2.5000 and 2.5000 mm"),
        (["section", q, "--zoom-z", "0"], "--zoom-z"),
        (["section", q, "-o", str(tmp_path / "a.pdf")], ".svg or .png"),
        (["section", str(tmp_path / "nothing")], "no such folder"),
        (["section", str(tmp_path)], "manifest.json"),
        (["render", q, "--size", "big"], "--size"),
        (["render", q, "-o", str(tmp_path / "r.jpg")], ".png"),
    ]
    for args, word in bad:
        res = runner.invoke(app, args)
        assert res.exit_code == 2, (args, res.output)
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and word in lines[0], (args, res.stderr)
    assert not (tmp_path / "a.pdf").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.svg", "r.png"]  # no temp file left behind


def test_bad_arguments_from_python(models: dict[str, Path]) -> None:
    model = load(models["qfn"])
    with pytest.raises(InputError, match=r"--at = 1: .* mm"):
        cut(model, "xy", 1.0)  # above the interface layer (0.801 mm)
    with pytest.raises(InputError, match="--width"):
        arrange(cut(model, "xz", 0.0), width=10)
