"""``pkgcad kicad`` proven with KiCad 6 itself: pcbnew loads every footprint (and expands its model paths), the
pads sit on the model's balls and leads, KiCad's DRC (``pcbnew.WriteDRCReport``) passes with margin, kicad2step
run as the library's README writes it puts each package exactly over its footprint, KiCad's own VRML plugin reads
every WRL, and the KLC rules listed below hold.

One library serves the whole session (every xdist worker): the README's ``pkgcad kicad qfn -o outputs/kicad``, then
``pkgcad kicad --all`` into the same folder, as a user who grows a library would, run as written
(tests/readme_runs.py).

KLC rules checked by hand here (the KiCad library checker, kicad-library-utils, is not on PyPI): F5.1 silkscreen
width 0.12 and 0.2 mm clear of pads; F5.2 fabrication width 0.10, value = name and ${REFERENCE} on F.Fab; F5.3
courtyard closed, 0.05 wide, on the 0.01 grid, around body and pads; F6.1 SMD attribute; F6.2 anchor at the pad
centre; F6.3 paste-only apertures unnamed; F7 (thermal pads): the exposed pad's paste split into apertures
covering 50-80 %, vias with the pad's number and paste clear of them; F9.1 name = file name, description with a
URL, tags; F9.3 model lines with offset 0 / scale 1 / rotation 0 in LIB.3dshapes, named from the footprint (its
land-only fields left out, as the checker's suffix rule) plus the 3D descriptor. G1.1 name characters.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cadquery as cq
import numpy as np
import pytest
from conftest import session_root, shared
from kicad_tools import probe, require_kicad2step, require_pcbnew, run_until_step
from OCP.Bnd import Bnd_Box
from OCP.BRepBndLib import BRepBndLib
from OCP.IFSelect import IFSelect_RetDone
from OCP.STEPControl import STEPControl_Reader
from readme_runs import KICAD_ALL, KICAD_QFN, Ran
from typer.testing import CliRunner

from pkgcad.cli import app
from pkgcad.kicad import Options, write_library
from pkgcad.kicad import footprint as kfootprint
from pkgcad.kicad.land import land as make_land
from pkgcad.kicad.library import MARKER
from pkgcad.templates import load_layout, template_paths

pytestmark = pytest.mark.slow
LIB = "pkgcad"
UM = 1e-3
REPO = Path(__file__).resolve().parents[1]
BLACK = [0.148, 0.145, 0.145]  # KiCad's IC-BODY-EPOXY-04


@pytest.fixture(scope="session")
def library(readme: Callable[[str], Ran]) -> Path:
    """The README's `pkgcad kicad qfn -o outputs/kicad`, then `pkgcad kicad --all` into the same folder (as a user
    who grows a library), run as written once a session (tests/readme_runs.py; tests/test_readme.py checks what
    they print). Read-only: tests copy it before changing anything."""
    return readme(KICAD_ALL).ok().folder / "outputs" / "kicad"


@pytest.fixture(scope="session")
def first_marker(readme: Callable[[str], Ran]) -> dict[str, Any]:
    """The library's marker after its first step, `pkgcad kicad qfn -o outputs/kicad`."""
    return json.loads((readme(KICAD_QFN).ok().folder / "outputs" / "kicad" / MARKER).read_text())


@pytest.fixture(scope="session")
def marker(library: Path) -> dict[str, Any]:
    return json.loads((library / MARKER).read_text())


@pytest.fixture(scope="session")
def loaded(library: Path) -> dict[str, dict[str, Any]]:
    require_pcbnew()
    return {fp["name"]: fp for fp in probe("footprints", str(library / f"{LIB}.pretty"))}


class Box:
    """A solid's bounding box (OCCT's quick box: exact for boxes and spheres here, 0.1 um enlarged) and volume."""

    def __init__(self, solid: cq.Shape) -> None:
        box = Bnd_Box()
        BRepBndLib.Add_s(solid.wrapped, box, False)
        self.xmin, self.ymin, self.zmin, self.xmax, self.ymax, self.zmax = box.Get()
        self.xlen, self.ylen, self.zlen = self.xmax - self.xmin, self.ymax - self.ymin, self.zmax - self.zmin
        self.cx, self.cy = (self.xmin + self.xmax) / 2, (self.ymin + self.ymax) / 2
        self.volume = solid.Volume()


def _solids(step: Path) -> list[Box]:
    reader = STEPControl_Reader()
    assert reader.ReadFile(str(step)) == IFSelect_RetDone, step
    reader.TransferRoots()
    return [Box(s) for s in cq.Shape.cast(reader.OneShape()).Solids()]


def _model_bbox(boxes: list[Box]) -> np.ndarray:
    return np.array([[min(b.xmin for b in boxes), min(b.ymin for b in boxes), min(b.zmin for b in boxes)],
                     [max(b.xmax for b in boxes), max(b.ymax for b in boxes), max(b.zmax for b in boxes)]])


def _feet(boxes: list[Box], z0: float) -> list[Box]:
    """The solids standing on the board: balls (BGA) or leads and die pad (QFN) of a model whose bottom is z0."""
    return [b for b in boxes if abs(b.zmin - z0) < UM and b.zlen < 0.45]


def _shapes(library: Path) -> Path:
    return library / f"{LIB}.3dshapes"


def _models(marker: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """One package per distinct model."""
    return {p["model"]: p for p in marker["packages"]}


def _land_key(template: str) -> tuple[Any, ...]:
    """What a land pattern is made from, read from the spec itself: carrier outline, ball or lead array, die pad."""
    s = load_layout(template).spec
    if s.carrier.kind == "qfn":
        return ("qfn", tuple(s.carrier.size), s.leads.count, s.leads.pitch, s.leads.width, s.leads.length,
                tuple(s.die_pad.size))
    return ("bga", tuple(s.carrier.size), s.balls.count, s.balls.pitch, s.balls.diameter)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_one_footprint_per_land_pattern_names_stable_files_merge(tmp_path: Path, library: Path,
                                                                 marker: dict[str, Any],
                                                                 first_marker: dict[str, Any]) -> None:
    """qfn alone, then --all, then a subset into one folder: no footprint or model is renamed, identical lands
    share one footprint, and a subset adds to the library (every other file byte for byte as it was)."""
    (alone,) = first_marker["packages"]
    packages = marker["packages"]
    assert {p["template"] for p in packages} == {p.stem for p in template_paths()}
    qfn = next(p for p in packages if p["template"] == "qfn")
    assert (qfn["footprint"], qfn["model"]) == (alone["footprint"], alone["model"])  # --all renamed nothing
    by_land: dict[tuple[Any, ...], set[str]] = {}
    for p in packages:
        by_land.setdefault(_land_key(p["template"]), set()).add(p["footprint"])
    assert all(len(names) == 1 for names in by_land.values())  # identical lands: one footprint
    footprints = {p["footprint"] for p in packages}
    assert len(footprints) == len(by_land) == 3  # 3 BGA-100, 3 BGA-64, 2 QFN-32 packages
    assert sorted(f.stem for f in (library / f"{LIB}.pretty").glob("*.kicad_mod")) == sorted(footprints)
    for fp in footprints:  # each footprint names the model of every package on it
        text = (library / f"{LIB}.pretty" / f"{fp}.kicad_mod").read_text()
        mine = {p["model"] for p in packages if p["footprint"] == fp}
        assert len(re.findall(r"\(model ", text)) == len(mine) > 1
        assert all(f"/{LIB}.3dshapes/{m}.wrl" in text for m in mine)

    lib = tmp_path / "lib"
    shutil.copytree(library, lib)
    before = _files(lib)
    wb = next(p for p in packages if p["template"] == "wirebond-bga")
    res = CliRunner().invoke(app, ["kicad", "wirebond-bga", "-o", str(lib), "-j", "1"])
    assert res.exit_code == 0, res.output
    after = _files(lib)
    assert set(before) <= set(after)  # nothing removed
    rewritten = {f"{LIB}.pretty/{wb['footprint']}.kicad_mod", f"{LIB}.3dshapes/{wb['model']}.step",
                 f"{LIB}.3dshapes/{wb['model']}.wrl", "README.md", MARKER, ".pkgcad"}
    assert [rel for rel in before if rel not in rewritten and before[rel] != after[rel]] == []
    again = json.loads((lib / MARKER).read_text())["packages"]
    assert {(p["template"], p["footprint"], p["model"]) for p in again} == \
           {(p["template"], p["footprint"], p["model"]) for p in packages}
    text = (lib / f"{LIB}.pretty" / f"{wb['footprint']}.kicad_mod").read_text()
    assert len(re.findall(r"\(model ", text)) == len({p["model"] for p in packages
                                                      if p["footprint"] == wb["footprint"]})


def test_pcbnew_loads_every_footprint_with_its_models(library: Path, loaded: dict[str, Any],
                                                      marker: dict[str, Any]) -> None:
    for p in marker["packages"]:
        fp = loaded[p["footprint"]]
        spec = load_layout(p["template"]).spec
        copper = [q for q in fp["pads"] if q["name"]]
        if spec.qfn:
            assert len(copper) == spec.leads.count + 1  # leads + the exposed pad
        else:
            assert len(copper) == p["pins"] and len({q["name"] for q in copper}) == len(copper)
        files = [m["file"] for m in fp["models"]]
        assert f"${{KIPRJMOD}}/{LIB}.3dshapes/{p['model']}.wrl" in files
        assert [m["shown"] for m in fp["models"]] == [True] + [False] * (len(files) - 1)  # one drawn
        for m in fp["models"]:
            assert m["offset"] == [0, 0, 0] and m["scale"] == [1, 1, 1] and m["rotation"] == [0, 0, 0]
        for ext in ("wrl", "step"):
            assert (_shapes(library) / f"{p['model']}.{ext}").stat().st_size > 10_000


def test_pads_sit_on_the_models_balls_and_leads(library: Path, loaded: dict[str, Any],
                                                marker: dict[str, Any]) -> None:
    """Every pad centre (KiCad, y down) equals the centre of a ball of each exported STEP (y up) within 1 um; a
    QFN land is centred on its lead across and covers it along."""
    for p in _models(marker).values():
        fp = loaded[p["footprint"]]
        boxes = _solids(_shapes(library) / f"{p['model']}.step")
        feet = _feet(boxes, 0.0)
        pads = [q for q in fp["pads"] if q["name"] and q["attr"] == 1]  # SMD copper
        if p["kind"] == "BGA":
            centres = np.array([[b.cx, -b.cy] for b in feet])
            assert len(feet) == len(pads) == p["pins"]
            for q in pads:
                assert np.min(np.hypot(*(centres - q["pos"]).T)) < UM, q
            a1 = next(q for q in pads if q["name"] == "A1")
            assert a1["pos"] == [min(q["pos"][0] for q in pads), min(q["pos"][1] for q in pads)]  # top-left
            continue
        leads = [b for b in feet if b.xlen < 1.0 and b.ylen < 1.0]
        assert len(leads) == p["pins"]
        for q in (q for q in pads if q["name"] != str(p["pins"] + 1)):
            (lead,) = [b for b in leads if abs(b.cx - q["pos"][0]) < (q["size"][0] + b.xlen) / 2
                       and abs(-b.cy - q["pos"][1]) < (q["size"][1] + b.ylen) / 2]
            across = 1 if q["size"][0] > q["size"][1] else 0  # the land's short axis runs along the body side
            assert abs([lead.cx, -lead.cy][across] - q["pos"][across]) < UM
            lo = [lead.xmin, -lead.ymax][1 - across]
            hi = [lead.xmax, -lead.ymin][1 - across]
            assert q["pos"][1 - across] - q["size"][1 - across] / 2 <= lo + UM
            assert q["pos"][1 - across] + q["size"][1 - across] / 2 >= hi - UM
        pin1 = next(q for q in pads if q["name"] == "1")
        left = [q for q in pads if abs(q["pos"][0] - pin1["pos"][0]) < UM]  # pin 1: top of the left column
        assert pin1["pos"][0] == min(q["pos"][0] for q in pads) and pin1["pos"][1] == min(q["pos"][1] for q in left)


def _segment_to_rect(a: list[float], b: list[float], c: list[float], half: list[float]) -> float:
    ts = np.linspace(0, 1, 201)
    pts = np.array(a)[None, :] * (1 - ts[:, None]) + np.array(b)[None, :] * ts[:, None]
    d = np.maximum(np.abs(pts - c) - half, 0.0)
    return float(np.min(np.hypot(d[:, 0], d[:, 1])))


def test_klc_rules_by_hand(library: Path, loaded: dict[str, Any], marker: dict[str, Any]) -> None:
    for p in marker["packages"]:
        fp = loaded[p["footprint"]]
        spec = load_layout(p["template"]).spec
        lines = fp["lines"]
        assert fp["smd"]  # F6.1
        assert fp["name"] == p["footprint"] and fp["tags"]  # F9.1
        assert re.search(r"\(https?://\S+\)", fp["descr"])  # F9.1: a URL in the description
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+", fp["name"])  # G1.1
        base = re.sub(r"_Pad[0-9.]+(x[0-9.]+)?mm|_NSMD|_ThermalVias", "", fp["name"])  # F9.3: land-only fields
        for m in fp["models"]:
            folder, _, file = m["file"].rpartition("/")
            assert folder == f"${{KIPRJMOD}}/{LIB}.3dshapes"
            assert re.fullmatch(re.escape(base) + r"_H\d+(\.\d+)?mm_(Au|Ni|Cr|NiAu|PTFE)\.wrl", file), file
        court = lines["F.Courtyard"]
        assert all(seg["width"] == 0.05 for seg in court)
        pts = np.array([seg["start"] for seg in court] + [seg["end"] for seg in court])
        assert np.allclose(pts * 100, np.round(pts * 100), atol=1e-6)  # 0.01 mm grid
        ends = sorted(map(tuple, (seg["end"] for seg in court)))
        assert ends == sorted(map(tuple, (seg["start"] for seg in court)))  # closed
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
        sx, sy = spec.carrier.size
        assert x0 <= -sx / 2 and x1 >= sx / 2 and y0 <= -sy / 2 and y1 >= sy / 2  # encloses the body
        copper = [q for q in fp["pads"] if q["name"]]
        for q in copper:
            assert x0 <= q["pos"][0] - q["size"][0] / 2 and q["pos"][0] + q["size"][0] / 2 <= x1
            assert y0 <= q["pos"][1] - q["size"][1] / 2 and q["pos"][1] + q["size"][1] / 2 <= y1
        assert all(seg["width"] == 0.1 for seg in lines["F.Fab"])
        assert all(seg["width"] == 0.12 for seg in lines["F.Silkscreen"])
        for seg in lines["F.Silkscreen"]:  # F5.1: silk 0.2 mm clear of copper (line half-width included)
            for q in copper:
                half = [q["size"][0] / 2, q["size"][1] / 2]
                assert _segment_to_rect(seg["start"], seg["end"], q["pos"], half) >= 0.2 + 0.06 - 1e-6
        texts = {(t.get("kind"), t["text"], t["layer"]) for t in fp["texts"]}
        assert ("reference", "REF**", "F.Silkscreen") in texts and ("value", fp["name"], "F.Fab") in texts
        assert (None, "${REFERENCE}", "F.Fab") in texts
        smd = [q for q in copper if q["attr"] == 1]
        centre = np.mean([q["pos"] for q in smd], axis=0)
        assert np.allclose(centre, 0, atol=UM)  # F6.2
        assert all(not q["name"] and q["layers"] == ["F.Paste"] for q in fp["pads"] if "F.Cu" not in q["layers"]
                   and "B.Cu" not in q["layers"])  # F6.3


def _thermal_via_footprint(folder: Path) -> str:
    """The QFN's ``--thermal-vias`` footprint file alone (no models needed for lands and DRC)."""
    ld = make_land(load_layout("qfn"), "N", thermal_vias=True)
    folder.mkdir(exist_ok=True)
    (folder / f"{ld.name}.kicad_mod").write_text(kfootprint.kicad_mod(ld, ["none.wrl"]))
    return ld.name


def _point_to_polygon(c: np.ndarray, poly: np.ndarray) -> float:
    """Distance from point ``c`` to a closed polygon's edges (0 if inside)."""
    a, b = poly, np.roll(poly, -1, axis=0)
    ab = b - a
    t = np.clip(np.einsum("ij,ij->i", c - a, ab) / np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-18), 0, 1)
    d = float(np.min(np.hypot(*(a + t[:, None] * ab - c).T)))
    x, y = c
    inside = False
    for (x1, y1), (x2, y2) in zip(a, b, strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return 0.0 if inside else d


def test_thermal_via_variant_paste_and_bottom_pad(tmp_path: Path) -> None:
    """As pcbnew reads it: paste 50-80 % of the exposed pad, every aperture >= 0.1 mm from via copper (KiCad's
    own outlines of the chamfered apertures), the vias and a bottom-side pad over them carrying the pad's
    number."""
    require_pcbnew()
    name = _thermal_via_footprint(tmp_path / "tv.pretty")
    (fp,) = probe("footprints", str(tmp_path / "tv.pretty"))
    assert fp["name"] == name and name.endswith("_ThermalVias")
    (ep,) = [q for q in fp["pads"] if q["name"] == "33" and "F.Cu" in q["layers"] and q["attr"] == 1]
    paste = [q for q in fp["pads"] if q["layers"] == ["F.Paste"]]
    vias = [q for q in fp["pads"] if q["drill"][0] > 0]
    (bottom,) = [q for q in fp["pads"] if q["layers"] == ["B.Cu"]]
    coverage = sum(q["area"] for q in paste) / (ep["size"][0] * ep["size"][1])
    assert 0.50 <= coverage <= 0.80, coverage
    assert len(vias) >= 4 and all(v["name"] == "33" and "F.Cu" in v["layers"] and "B.Cu" in v["layers"] for v in vias)
    for v in vias:
        for q in paste:
            for outline in q["outline"]:
                gap = _point_to_polygon(np.array(v["pos"]), np.array(outline)) - v["size"][0] / 2
                assert gap >= 0.1 - 1e-4, (v["pos"], q["pos"], gap)
        half = np.array(bottom["size"]) / 2 - v["size"][0] / 2  # the bottom pad covers each via's copper
        assert np.all(np.abs(np.array(v["pos"]) - bottom["pos"]) <= half + 1e-6)
    assert bottom["name"] == "33"


def test_drc_passes_with_margin(tmp_path: Path, library: Path, loaded: dict[str, Any]) -> None:
    """Every footprint (and the thermal-via QFN) on a board, each pad its own net: KiCad's DRC finds nothing at
    KiCad 6's default rules (0.2 mm clearance) nor with 0.02 mm more (the QFN's smallest gap is 0.229 mm, between
    the rounded corners of its corner lands, as KiCad's own QFN-32: 0.25 mm webs along the sides), and does find
    the side webs once the clearance exceeds 0.25 mm (it is looking)."""
    require_pcbnew()
    tv = _thermal_via_footprint(tmp_path / "tv.pretty")
    jobs = [{"lib": str(library / f"{LIB}.pretty"), "name": n, "x": 30.0 * i, "y": 0.0, "rot": 0.0}
            for i, n in enumerate(sorted(loaded))]
    jobs.append({"lib": str(tmp_path / "tv.pretty"), "name": tv, "x": 30.0 * len(jobs), "y": 0.0, "rot": 0.0})
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    board = str(tmp_path / "drc.kicad_pcb")
    probe("board", board, str(tmp_path / "jobs.json"))
    default = probe("drc", board, "0.2")
    assert default["default_clearance"] == 0.2  # KiCad 6's own default net class
    assert default["violations"] == 0 and default["unconnected"] == 0, default["report"]
    margin = probe("drc", board, "0.22")
    assert margin["violations"] == 0, margin["report"]
    tight = probe("drc", board, "0.26")
    assert tight["kinds"].get("clearance", 0) >= 2 * 4 * 7, tight["kinds"]  # each side's 7 webs, 2 QFNs


@pytest.fixture(scope="session")
def kicad2step_boards(tmp_path_factory: pytest.TempPathFactory, library: Path,
                      loaded: dict[str, Any]) -> dict[str, Any]:
    """kicad2step, ONCE a session (every xdist worker reads what it wrote): the library README's command run as
    written in a project folder set up as the README says (KIPRJMOD not in the environment), on a board holding
    each footprint at 0, 45, 90, 30, 180 and 270 degrees and a 1 mm reference cube; then the same board without
    KIPRJMOD expanded. Yields the project folder, the jobs and pcbnew's board."""
    require_kicad2step()
    root = session_root(tmp_path_factory)
    with shared(root, "kicad2step") as (tmp, first):
        if first:
            tmp.mkdir(parents=True)
            (cmd,) = re.findall(r"```sh\n(.+?)\n```", (library / "README.md").read_text(), re.S)
            assert cmd in (REPO / "README.md").read_text()  # the project README gives the same command
            proj = tmp / "proj"
            proj.mkdir()
            for sub in (f"{LIB}.pretty", f"{LIB}.3dshapes"):  # "copy ... into the project folder"
                shutil.copytree(library / sub, proj / sub)
            cube = tmp / "Ref.step"
            cq.exporters.export(cq.Workplane().box(1, 1, 1).translate((0, 0, 0.5)), str(cube))
            (tmp / "ref.pretty").mkdir()
            (tmp / "ref.pretty" / "Ref.kicad_mod").write_text(
                '(footprint "Ref" (version 20211014) (generator pkgcad) (layer "F.Cu") (attr smd)\n'
                f'  (model "{cube}" (offset (xyz 0 0 0)) (scale (xyz 1 1 1)) (rotate (xyz 0 0 0))))\n')
            angles = [0.0, 45.0, 90.0, 30.0, 180.0, 270.0]
            names = sorted(loaded)
            jobs = [{"lib": str(proj / f"{LIB}.pretty"), "name": names[i // 2], "x": 40.0 * i, "y": 25.0 * (i % 2),
                     "rot": a} for i, a in enumerate(angles)]
            jobs.append({"lib": str(tmp / "ref.pretty"), "name": "Ref", "x": -40.0, "y": 0.0, "rot": 0.0})
            (tmp / "jobs.json").write_text(json.dumps(jobs))
            board = probe("board", str(proj / "board.kicad_pcb"), str(tmp / "jobs.json"))
            (tmp / "board.json").write_text(json.dumps(board))
            env = {k: v for k, v in os.environ.items() if k != "KIPRJMOD"}
            run_until_step(["bash", "-c", cmd], proj / "board.step", env, proj)
            run_until_step(["kicad2step", "--subst-models", "-f", "-o", "bare.step", "board.kicad_pcb"],
                           proj / "bare.step", env, proj)
    return {"proj": tmp / "proj", "jobs": json.loads((tmp / "jobs.json").read_text()),
            "board": json.loads((tmp / "board.json").read_text())}


@pytest.mark.timeout(1800)
def test_readme_kicad2step_command_as_written(kicad2step_boards: dict[str, Any], library: Path,
                                              loaded: dict[str, Any]) -> None:
    """The library README's kicad2step line, run as written, gives a board STEP with every package over its
    footprint within 10 um at 0, 30, 45, 90, 180 and 270 degrees, seated on the board (a 1 mm reference cube marks
    the board top), and only the shown model of each footprint."""
    jobs, board = kicad2step_boards["jobs"], kicad2step_boards["board"]
    solids = _solids(kicad2step_boards["proj"] / "board.step")
    (ref,) = [b for b in solids if abs(b.cx + 40) < 1 and abs(b.xlen - 1) < 10 * UM]
    board_top = ref.zmin
    assert board["thickness"] <= board_top < board["thickness"] + 0.1
    for job, fp in zip(jobs[:-1], board["footprints"], strict=False):
        shown = loaded[job["name"]]["models"][0]["file"].rpartition("/")[2].removesuffix(".wrl")
        own_solids = _solids(_shapes(library) / f"{shown}.step")
        own = _model_bbox(own_solids)
        a = math.radians(job["rot"])
        rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
        corners = np.array([[x, y] for x in own[:, 0] for y in own[:, 1]]) @ rot.T + [job["x"], -job["y"]]
        mine = [b for b in solids if abs(b.cx - job["x"]) < 15 and abs(b.cy + job["y"]) < 12]
        assert len(mine) == len(own_solids), job  # the shown model only, not the hidden ones
        got = _model_bbox(mine)
        assert np.allclose(got[:, :2], [corners.min(axis=0), corners.max(axis=0)], atol=10 * UM), job
        assert abs(got[0, 2] - board_top) < 10 * UM and abs((got[1, 2] - got[0, 2]) - (own[1, 2] - own[0, 2])) < 10 * UM
        if job["name"].startswith("BGA"):
            balls = np.array([[b.cx, b.cy] for b in _feet(mine, board_top)])
            pads = [q for q in fp["pads"] if q["name"]]
            assert len(balls) == len(pads)
            for q in pads:  # pcbnew's pad on the board (y down) under a ball of kicad2step's STEP (y up)
                assert np.min(np.hypot(*(balls - [q["pos"][0], -q["pos"][1]]).T)) < 10 * UM


@pytest.mark.timeout(1800)
def test_without_kiprjmod_kicad2step_leaves_the_board_bare(kicad2step_boards: dict[str, Any]) -> None:
    """${KIPRJMOD} left unexpanded (a shell does not set it): the board and the cube (an absolute path) only."""
    bare = _solids(kicad2step_boards["proj"] / "bare.step")
    assert sorted(round(b.zlen, 3) for b in bare) == sorted([1.0, round(kicad2step_boards["board"]["thickness"], 3)])


def test_wrl_read_by_kicads_vrml_plugin(library: Path, marker: dict[str, Any]) -> None:
    """KiCad's own VRML plugin reads every WRL: its box equals the STEP's within 10 um, a BGA-100 model stays
    under 300 KB and a QFN-32 under 100 KB (KiCad's own: 297 KB, 68 KB), balls and leads are one mesh placed
    with USE, nothing the mold hides is in it, and a black disc marks the pin-1 corner on top."""
    require_pcbnew()
    for p in _models(marker).values():
        wrl = _shapes(library) / f"{p['model']}.wrl"
        text = wrl.read_text()
        assert text.startswith("#VRML V2.0 utf8")
        limit = {100: 300_000, 64: 300_000, 32: 100_000}[p["pins"]]
        assert wrl.stat().st_size <= limit, (p["model"], wrl.stat().st_size)
        for name in ("IC-BODY-EPOXY-04", "PIN-01", "MET-COPPER"):
            assert f"material DEF {name} Material" in text, (p["model"], name)
        foot = "ball_0" if p["kind"] == "BGA" else "lead_0"
        assert text.count(f"DEF {foot} Shape") == 1 and text.count(f"USE {foot}") == p["pins"] - 1
        assert not re.search(r"DEF (chip|wire|bump|die_attach|adhesive|buffer_pad|bond_finger)", text)
        meshes = probe("vrml", str(wrl))["meshes"]
        lo = np.min([m["lo"] for m in meshes], axis=0)
        hi = np.max([m["hi"] for m in meshes], axis=0)
        own = _model_bbox(_solids(wrl.with_suffix(".step")))
        assert np.allclose([lo, hi], own, atol=10 * UM), (p["model"], lo, hi, own)
        assert abs(own[0, 2]) < UM  # z = 0 on the board top
        sx, sy = load_layout(p["template"]).spec.carrier.size
        marks = [m for m in meshes if m["diffuse"] == BLACK and abs(m["hi"][2] - hi[2]) < UM]
        (mark,) = marks
        cx, cy = (mark["lo"][0] + mark["hi"][0]) / 2, (mark["lo"][1] + mark["hi"][1]) / 2
        assert cx < -sx / 4 and cy > sy / 4  # pin 1 / A1: top-left in KiCad, i.e. -x, +y in the model (y up)
        assert 0.3 - UM <= mark["hi"][0] - mark["lo"][0] <= 1.0 + UM


def test_pin1_mark_keeps_the_claimed_geometry(library: Path, marker: dict[str, Any]) -> None:
    """In each STEP: a product ``pin1_mark`` set into the interface layer's upper half at the pin-1 corner; layer
    and mark together fill the layer's box exactly (the layer still covers the whole heat sink), and the model's
    top is the seated height its name gives."""
    for p in _models(marker).values():
        step = _shapes(library) / f"{p['model']}.step"
        assert "PRODUCT('pin1_mark'" in step.read_text(encoding="latin-1")
        solids = _solids(step)
        own = _model_bbox(solids)
        height = float(re.search(r"_H([0-9.]+)mm_", p["model"]).group(1))
        assert abs(own[1, 2] - height) < UM
        sx, sy = load_layout(p["template"]).spec.carrier.size
        top = [b for b in solids if abs(b.zmax - own[1, 2]) < UM]
        (layer,) = [b for b in top if abs(b.xlen - sx) < UM and abs(b.ylen - sy) < UM]
        (mark,) = [b for b in top if b is not layer]
        assert mark.cx < -sx / 4 and mark.cy > sy / 4
        assert mark.zmin > layer.zmin + layer.zlen / 2 - UM  # the upper half only
        thickness = load_layout(p["template"]).spec.interface_layer.thickness
        assert layer.volume + mark.volume == pytest.approx(sx * sy * thickness, rel=1e-6)


def test_full_model_holds_the_hidden_parts(tmp_path: Path, library: Path, marker: dict[str, Any]) -> None:
    """``--full-model``: the model keeps chip, wires and bond lines (and the pin-1 mark), named after its
    package; the board-level one of the same package has none of them."""
    write_library([load_layout("qfn")], tmp_path / "full", Options(lib=LIB, full_model=True, jobs=1))
    (full,) = json.loads((tmp_path / "full" / MARKER).read_text())["packages"]
    board = next(p for p in marker["packages"] if p["template"] == "qfn")
    assert full["footprint"] == board["footprint"] and full["model"] == f"{board['model']}_qfn"
    text = (tmp_path / "full" / f"{LIB}.3dshapes" / f"{full['model']}.wrl").read_text()
    for part in ("chip", "wire", "die_attach", "adhesive", "pin1_mark"):
        assert re.search(rf"DEF {part}\w* Shape", text), part
    step = _solids(tmp_path / "full" / f"{LIB}.3dshapes" / f"{full['model']}.step")
    assert len(step) > len(_solids(_shapes(library) / f"{board['model']}.step"))


def test_global_library_resolves_in_pcbnew(tmp_path: Path) -> None:
    """``--3d-dir '${KICAD6_3DMODEL_DIR}'``, LIB.3dshapes copied into that folder (a global install): pcbnew expands
    every model line of the footprints to a file that exists."""
    require_pcbnew()
    lib = tmp_path / "lib"
    write_library([load_layout("qfn")], lib, Options(lib=LIB, model_dir="${KICAD6_3DMODEL_DIR}", jobs=1))
    install = tmp_path / "kicad" / "3dmodels"
    shutil.copytree(lib / f"{LIB}.3dshapes", install / f"{LIB}.3dshapes")
    env = {"KICAD6_3DMODEL_DIR": str(install)}
    (fp,) = probe("footprints", str(lib / f"{LIB}.pretty"), env=env)
    for m in fp["models"]:
        assert m["file"].startswith(f"${{KICAD6_3DMODEL_DIR}}/{LIB}.3dshapes/")
        path = probe("expand", m["file"], env=env)
        assert Path(path).is_file() and Path(path).parent == install / f"{LIB}.3dshapes", path
    assert not Path(probe("expand", fp["models"][0]["file"])).is_file()  # nothing without the variable


@pytest.mark.parametrize(("option", "key"), [(["--lib", "other"], "--lib"), (["--no-wrl"], "--wrl/--no-wrl"),
                                             (["--3d-dir", "${KICAD6_3DMODEL_DIR}"], "--3d-dir")])
def test_adding_with_other_library_options_is_refused(tmp_path: Path, library: Path, option: list[str],
                                                      key: str) -> None:
    """A library has one nickname, model-path prefix and model file type: adding with another exits 2 in one
    line naming the option and what the library holds, and changes nothing."""
    lib = tmp_path / "lib"
    shutil.copytree(library, lib)
    before = _files(lib)
    res = CliRunner().invoke(app, ["kicad", "qfn", "-o", str(lib), *option])
    assert res.exit_code == 2, res.output
    (line,) = res.stderr.strip().splitlines()
    assert line.startswith(f"error: {key} = ") and "holds a library written with" in line
    assert _files(lib) == before


def test_library_of_an_earlier_format_is_replaced_with_a_note(tmp_path: Path, library: Path) -> None:
    """A library whose marker is not this format (written by an earlier pkgcad kicad, whose names depended on the
    library) is replaced whole, and stderr says so."""
    lib = tmp_path / "lib"
    shutil.copytree(library, lib)
    text = (lib / MARKER).read_text()
    (lib / MARKER).write_text(text.replace('"format": 2,', '"formxt": 2,'))  # same size: the guard still accepts
    res = CliRunner().invoke(app, ["kicad", "qfn", "-o", str(lib)])
    assert res.exit_code == 0, res.output
    assert "held a library of an earlier pkgcad kicad" in res.stderr
    (p,) = json.loads((lib / MARKER).read_text())["packages"]
    assert [f.stem for f in (lib / f"{LIB}.pretty").glob("*.kicad_mod")] == [p["footprint"]]
