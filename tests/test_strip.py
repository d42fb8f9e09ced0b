"""``pkgcad strip``: the strip layout against independent arithmetic, the refusals (exit 2, one line, nothing
written), and (slow) the built strip: the sawn unit equals the single build part by part, every unit's sides
are coplanar, the QFN leads end flush, the flash is on in stage 3 and off in stage 4, the kerf and the mold
volumes match arithmetic done here, and the STEP files define the unit once and read back whole."""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
import shutil
from functools import cache
from pathlib import Path

import cadquery as cq
import numpy as np
import pytest
import trimesh
from conftest import TEMPLATE_Z, built, layout_of
from OCP.IFSelect import IFSelect_RetDone
from OCP.STEPControl import STEPControl_Reader
from test_cli import assert_refused, run

from pkgcad.errors import InputError
from pkgcad.geometry.tiles import bnd_box
from pkgcad.package import Part
from pkgcad.strip.layout import StripLayout, strip_layout
from pkgcad.strip.model import StripModel, make_strip, material_use
from pkgcad.strip.rules import judge_saw

UM = 1e-3  # mm


def qfn_strip(nx: int, ny: int, **kw: float) -> StripLayout:
    return strip_layout(layout_of("qfn"), (nx, ny), kw.get("street", 0.3), kw.get("kerf", 0.3), kw.get("rail", 2.0),
                        None, kw.get("flash", 0.005))


# ------------------------------------------------------------------------------------------ layout maths
def test_the_bench_strip_holds_585_units_in_240_by_70() -> None:
    s = strip_layout(layout_of("qfn"), (45, 13), 0.3, 0.3, 0.3, (240.0, 70.0))
    assert s.count == 585
    assert s.size == pytest.approx((240.0, 70.0))
    # 45 pitches of 5.3 mm and one more street = 238.8 mm across; the rails take the rest
    assert s.rails == pytest.approx(((240 - 238.8) / 2, (70 - (13 * 5.3 + 0.3)) / 2))
    first = s.units[0]
    assert (first.row, first.col) == (0, 0)
    assert first.x == pytest.approx(0.6 + 0.3 + 2.5) and first.y == pytest.approx(70 - 0.4 - 0.3 - 2.5)
    assert s.units[-1].name == "unit_585" and s.units[45].row == 1
    assert s.saw_lines == (46, 14)
    assert s.saw_length == pytest.approx(46 * 70 + 14 * 240)


@pytest.mark.parametrize("kerf", [0.3, 0.2])
def test_intervals_tile_the_strip_and_bodies_are_footprint_plus_street_minus_kerf(kerf: float) -> None:
    s = qfn_strip(4, 3, kerf=kerf)
    for axis, n in ((0, 4), (1, 3)):
        spans = s.intervals(axis)
        assert spans[0].lo == 0 and spans[-1].hi == pytest.approx(s.size[axis])
        assert all(a.hi == pytest.approx(b.lo) for a, b in itertools.pairwise(spans))
        bodies = [x for x in spans if x.kind == "body"]
        kerfs = [x for x in spans if x.kind == "kerf"]
        assert len(bodies) == n and len(kerfs) == n + 1
        assert all(b.width == pytest.approx(5.0 + 0.3 - kerf) for b in bodies)
        assert all(k.width == pytest.approx(kerf) for k in kerfs)
        # kerf centred on the street centre lines, which lie half a pitch from the unit centres
        centres = [u.x if axis == 0 else u.y for u in s.units]
        for k in kerfs:
            mid = (k.lo + k.hi) / 2
            assert min(abs(abs(mid - c) - 2.65) for c in centres) < 1e-9
        assert sum(x.kind == "rim" for x in spans) == (2 if kerf < 0.3 else 0)


def test_kerf_area_counts_crossings_once() -> None:
    s = qfn_strip(3, 2)
    w, h = s.size
    k = 0.3
    want = 4 * h * k + 3 * w * k - 4 * 3 * k * k  # 4 lines along y, 3 along x, 12 crossings
    assert s.kerf_area((0.0, 0.0, w, h)) == pytest.approx(want)


# ------------------------------------------------------------------------------------------- refusals
@pytest.mark.parametrize("args, words", [
    (["--units", "3x2", "--kerf", "0.35"], ["--kerf = 0.35", "wider than --street (0.3 mm)"]),
    (["--units", "45x14", "--size", "240x70", "--rail", "0.3"], ["--units = '45x14'", "at most 13 fit along y"]),
    (["--units", "3"], ["--units = '3'", "NxM"]),
    (["--units", "0x2"], ["--units = '0x2'", "greater than 0"]),
    (["--units", "2x2", "--street", "0"], ["--street = 0", "greater than 0"]),
    (["--units", "2x2", "--flash", "-0.001"], ["--flash = -0.001"]),
    (["--units", "2x2", "--size", "20xabc"], ["--size = '20xabc'", "two lengths in mm"]),
    (["--units", "200x200"], ["--units = '200x200'", "at most 20,000"]),
    (["--units", "2x2", "--set", "chip.size=[9,9]"], ["chip.size"]),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path: Path, args: list[str],
                                                            words: list[str]) -> None:
    out = tmp_path / "strip"
    assert_refused(run("strip", "qfn", "-o", str(out), *args), *words)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_a_saw_that_would_cut_an_inner_part_is_refused_naming_it() -> None:
    lay = layout_of("wirebond-bga")
    # a chip reaching within 0.05 mm of the side: the package rules refuse it; the saw's own rule must too
    wide = dataclasses.replace(lay, chip=(0.0, 0.0, lay.footprint[2] - 0.1, 6.0))
    with pytest.raises(InputError) as exc:
        judge_saw(strip_layout(wide, (2, 2), 0.3, 0.3, 2.0))
    msg = str(exc.value)
    assert "--street = 0.3" in msg and "from the unit's chip" in msg and "rules.saw_margin" in msg
    assert "0.05 mm" in msg and "--street >= 0.4 with --kerf 0.3" in msg
    judge_saw(strip_layout(wide, (2, 2), 0.4, 0.3, 2.0))  # what the message asks for is enough


def test_a_qfn_wire_stitch_closer_to_the_saw_than_the_saw_margin_is_refused(tmp_path: Path) -> None:
    """QFN wires land on the leads a third of the lead length in from their inner end: 0.254 mm from the side
    here. The package rules let that be (the lead itself runs to the side); the saw's rule does not, at a
    margin of 0.26 mm, until the street is wider than the kerf by twice the shortfall."""
    sets = ["--set", "leads.count=24", "--set", "wires.count=24", "--set", "rules.saw_margin=0.26"]
    out = tmp_path / "strip"
    line = assert_refused(run("strip", "qfn", "--units", "2x2", "-o", str(out), *sets), "--street = 0.3",
                          "from the unit's wire_", "rules.saw_margin asks 0.26 mm")
    gap = 2.5 - (2.5 - 0.4 + 0.4 / 3 + 0.025 / 2)  # half the body - the stitch's far side (layout.Lead.bond)
    assert f"pass {gap:.4g} mm" in line and not out.exists()
    lay = layout_of("qfn", *sets[1::2])
    judge_saw(strip_layout(lay, (2, 2), 0.3 + 2 * (0.26 - gap) + 1e-6, 0.3, 2.0))


def test_a_folder_pkgcad_did_not_write_is_never_replaced(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert_refused(run("strip", "qfn", "--units", "1x1", "-o", str(out)), "-o", "notes.txt", "pkgcad did not write")
    assert (out / "notes.txt").read_text() == "keep me" and len(list(out.iterdir())) == 1


# ------------------------------------------------------------------------------------------ the model
@cache
def model(template: str, nx: int, ny: int, kerf: float = 0.3) -> StripModel:
    return make_strip(strip_layout(layout_of(template), (nx, ny), 0.3, kerf, 1.0))


def _bbox(shape: cq.Shape) -> np.ndarray:
    bb = shape.copy(mesh=False).BoundingBox()
    return np.array([[bb.xmin, bb.ymin, bb.zmin], [bb.xmax, bb.ymax, bb.zmax]])


def _part_box(p: Part) -> np.ndarray:
    shapes = [p.shape] if p.tiling is None else [p.tiling.shapes[k].moved(cq.Location(cq.Vector(dx, dy, 0)))
                                                 for k, dx, dy in p.tiling.uses]
    boxes = np.array([_bbox(s.moved(pl.location())) for s in shapes for pl in p.placements])
    return np.array([boxes[:, 0].min(axis=0), boxes[:, 1].max(axis=0)])


@pytest.mark.slow
@pytest.mark.parametrize("template", ["qfn", "flipchip-bga", "textured-first-surface"])
def test_the_sawn_unit_equals_the_single_build_part_by_part(template: str) -> None:
    unit = model(template, 2, 2).unit
    single = built(template)
    assert [p.name for p in unit.parts] == [p.name for p in single.parts]
    for a, b in zip(unit.parts, single.parts, strict=True):
        assert (a.role, a.material, a.count) == (b.role, b.material, b.count), a.name
        assert [pl.name for pl in a.placements] == [pl.name for pl in b.placements]
        assert a.volume() == pytest.approx(b.volume(), rel=1e-3), a.name
        assert np.abs(_part_box(a) - _part_box(b)).max() <= UM, a.name


@pytest.mark.slow
def test_stage_4_holds_the_package_in_every_unit_body() -> None:
    """The saw, done here by OCCT: the deflashed strip cut to one unit's body box holds the single build's
    volume of every material."""
    m = model("qfn", 2, 2)
    u = m.strip.units[3]
    fx, fy = m.strip.footprint
    top = TEMPLATE_Z["qfn"].interface_top
    body = cq.Solid.makeBox(fx, fy, top + 1, pnt=cq.Vector(u.x - fx / 2, u.y - fy / 2, -0.5))
    got: dict[str, float] = {}
    stage = m.stage("deflashed")
    for p in stage.unit_parts:
        got[p.material] = got.get(p.material, 0.0) + sum(s.moved(cq.Location(cq.Vector(u.x, u.y, 0)))
                                                           .intersect(body).Volume() for s in p.placed())
    for p in stage.strip_parts:
        shapes = list(p.placed()) if p.tiling is None else [
            p.tiling.shapes[k].moved(cq.Location(cq.Vector(dx, dy, 0))) for k, dx, dy in p.tiling.uses]
        for s in shapes:
            b = bnd_box(s)
            if b[0] < u.x + fx / 2 and b[3] > u.x - fx / 2 and b[1] < u.y + fy / 2 and b[4] > u.y - fy / 2:
                got[p.material] = got.get(p.material, 0.0) + s.intersect(body).Volume()
    want: dict[str, float] = {}
    for p in built("qfn").parts:
        want[p.material] = want.get(p.material, 0.0) + p.volume() * p.count
    assert set(want) == {m for m, v in got.items() if v > 1e-9}
    for mat, v in want.items():
        assert got[mat] == pytest.approx(v, rel=1e-3), mat


@pytest.mark.slow
@pytest.mark.parametrize("kerf", [0.3, 0.2])
def test_every_sawn_unit_has_coplanar_sides_and_qfn_leads_end_flush(kerf: float) -> None:
    m = model("qfn", 3, 2, kerf)
    s = m.strip
    bx, by = 5.0 + 0.3 - kerf, 5.0 + 0.3 - kerf  # footprint + street - kerf, from the options alone
    sawn = {p.name: p for p in m.stage("sawn").unit_parts}
    local = {n: _part_box(sawn[n]) for n in ("heat_sink", "interface_layer", "encapsulant")}
    leads = sawn["lead"]
    ends = np.array([_bbox(x) for x in leads.placed()])
    for u in s.units:
        want = np.array([u.x - bx / 2, u.y - by / 2, u.x + bx / 2, u.y + by / 2])
        for name, b in local.items():
            side = np.array([b[0, 0] + u.x, b[0, 1] + u.y, b[1, 0] + u.x, b[1, 1] + u.y])
            assert np.abs(side - want).max() <= UM, (u.name, name)
        outer = np.array([ends[:, 0, 0].min(), ends[:, 0, 1].min(), ends[:, 1, 0].max(), ends[:, 1, 1].max()])
        assert np.abs(outer + np.array([u.x, u.y, u.x, u.y]) - want).max() <= UM  # the leads reach the sawn side: flush
    # before the saw the leads ran on into the street, to the connecting bar (half the kerf wide)
    long = next(p for p in m.stage("deflashed").unit_parts if p.name == "lead")
    reach = np.array([_bbox(x) for x in long.placed()])[:, 1, 0].max() - 2.5
    assert reach == pytest.approx((0.3 - kerf / 2) / 2, abs=UM)


def _kerf_arithmetic(s: StripLayout, size: tuple[float, float], column: float, carrier: float) -> float:
    """What the saw takes [mm^3] from a strip of units of ``size``: inside the array a solid column of height
    ``column``, in the rails the carrier alone; the lines run across the whole strip, crossings counted once."""
    nx, ny, k, street = s.nx, s.ny, s.kerf, s.street
    ax, ay = nx * (size[0] + street) + street, ny * (size[1] + street) + street
    inside = k * ((nx + 1) * ay + (ny + 1) * ax) - (nx + 1) * (ny + 1) * k * k
    rails = k * ((nx + 1) * 2 * s.rails[1] + (ny + 1) * 2 * s.rails[0])
    return inside * column + rails * carrier


@pytest.mark.slow
@pytest.mark.parametrize("template", ["qfn", "textured-first-surface"])
def test_kerf_volume_is_saw_path_times_kerf_times_strip_thickness(template: str) -> None:
    m = model(template, 3, 2) if template == "qfn" else model(template, 2, 2)
    spec = m.strip.unit.spec
    want = _kerf_arithmetic(m.strip, spec.carrier.size, TEMPLATE_Z[template].interface_top,
                             spec.carrier.thickness)
    got = sum(r.kerf_mm3 for r in material_use(m))
    assert got == pytest.approx(want, rel=1e-6)


@pytest.mark.slow
def test_strip_mold_is_the_units_plus_the_streets_less_the_lead_frame() -> None:
    m = model("qfn", 3, 2)
    spec = m.strip.unit.spec
    z = TEMPLATE_Z["qfn"]
    t, b, ld = spec.carrier.thickness, 0.3 / 2, spec.leads
    ax, ay = 3 * 5.3 + 0.3, 2 * 5.3 + 0.3
    streets = (ax * ay - 6 * 25.0) * z.first_surface  # QFN: the mold starts at the package bottom
    bars = 3 * ax * b * t + 4 * 2 * (5.3 - b) * b * t
    runs = 6 * ld.count * (0.3 - b) / 2 * ld.width * t
    unit_mold = built("qfn").part("encapsulant").volume()
    mold = next(p for p in m.stage("molded").strip_parts if p.name == "encapsulant")
    assert mold.volume() == pytest.approx(6 * unit_mold + streets - bars - runs, rel=1e-6)
    assert m.mold.cuts < 20  # congruent tiles cut once: a handful of distinct tiles for any count


# ------------------------------------------------------------------------------------------- the files
def _read_step(path: Path) -> cq.Shape:
    r = STEPControl_Reader()
    assert r.ReadFile(str(path)) == IFSelect_RetDone
    r.TransferRoots()
    return cq.Shape.cast(r.OneShape())


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("strip") / "qfn-strip"
    result = run("strip", "qfn", "--units", "2x1", "--rail", "1", "-o", str(out), "--stages", "--quality", "draft")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return out


@pytest.mark.slow
def test_the_flash_is_on_in_stage_3_and_off_in_stage_4(written: Path) -> None:
    top = TEMPLATE_Z["qfn"].interface_top
    area = (2 * 5.3 + 0.3) * (1 * 5.3 + 0.3)  # the array: the mold cap and the plate
    s3, s4 = _read_step(written / "stages/3-molded.step"), _read_step(written / "stages/4-deflashed.step")
    above = [x for x in s3.Solids() if bnd_box(x)[2] >= top - 1e-6]  # OCCT's quick box: fast, 1e-7 loose
    assert len(above) == 1 and above[0].Volume() == pytest.approx(area * 0.005, rel=1e-9)
    assert bnd_box(s3)[5] == pytest.approx(top + 0.005, abs=1e-6)
    assert bnd_box(s4)[5] == pytest.approx(top, abs=1e-6)
    assert not [x for x in s4.Solids() if bnd_box(x)[2] >= top - 1e-6]
    assert "PRODUCT('flash'" in (written / "stages/3-molded.step").read_text(encoding="latin-1")
    assert "PRODUCT('flash'" not in (written / "stages/4-deflashed.step").read_text(encoding="latin-1")


@pytest.mark.slow
def test_each_stage_step_defines_the_unit_once_and_reads_back_whole(written: Path) -> None:
    single = built("qfn")
    per_unit = sum(p.count for p in single.parts)  # the sawn unit: the whole package
    text = (written / "stages/5-sawn.step").read_text(encoding="latin-1")
    for p in single.parts:  # one product per part, however many units and instances
        assert len(re.findall(rf"PRODUCT\('{p.name}'", text)) == 1, p.name
    assert len(re.findall(r"NEXT_ASSEMBLY_USAGE_OCCURRENCE\('[^']*','unit_\d+'", text)) == 2
    sawn = _read_step(written / "stages/5-sawn.step").Solids()
    offcuts = 2 * 3 + 2 * 2  # rails cut by 3 saw lines along y and 2 along x: 10 pieces
    assert len(sawn) == 2 * per_unit + offcuts
    scene = trimesh.load(written / "stages/5-sawn.glb")  # metres, as glTF counts
    w, h = (2 * 5.3 + 0.3 + 2 * 1.0), (1 * 5.3 + 0.3 + 2 * 1.0)
    assert scene.bounds[1][:2] * 1000 == pytest.approx([w, h], abs=1e-3)
    assert sum(1 for n in scene.graph.nodes_geometry if n.startswith("unit_")) == 2 * len(single.parts)
    data = json.loads((written / "strip.json").read_text())
    assert data["unit_check"]["failed"] == 0 and data["unit_check"]["rows"] > 20
    assert (written / "unit/manifest.json").is_file() and (written / "top.svg").is_file()
    assert sorted(f["path"] for f in data["files"] if f["path"].startswith("stages/")) == sorted(
        f"stages/{n}.{ext}" for n in ("1-bonded", "2-plate", "3-molded", "4-deflashed", "5-sawn")
        for ext in ("glb", "step"))


@pytest.mark.slow
def test_a_strip_folder_pkgcad_wrote_is_replaced(written: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    shutil.copytree(written, again)
    result = run("strip", "qfn", "--units", "1x1", "-o", str(again), "--quality", "draft")
    assert result.exit_code == 0, result.stderr
    data = json.loads((again / "strip.json").read_text())
    assert data["strip"]["units"]["count"] == 1 and not (again / "stages/1-bonded.step").exists()
