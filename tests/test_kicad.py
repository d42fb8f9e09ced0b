"""``pkgcad kicad`` proven with KiCad 6 itself: pcbnew loads every footprint, the pads sit on the model's balls
and leads, the model line is neutral, kicad2step puts each package exactly over its footprint on a board, the
WRL (read by VTK's VRML importer) matches the STEP, and the KLC rules listed below hold.

KLC rules checked by hand here (the KiCad library's checker is not on PyPI): F5.1 silkscreen width 0.12 and
0.2 mm clear of pads, F5.2 fabrication width 0.10, value = name and ${REFERENCE} on F.Fab, F5.3 courtyard
closed, 0.05 wide, on the 0.01 grid, around body and pads; F6.1 SMD attribute; F6.2 anchor at the pad centre;
F6.3 paste-only apertures unnamed; F9.1 name = file name, description and tags; F9.3 one model line, offset
0 / scale 1 / rotation 0, in LIB.3dshapes, named like the footprint.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import cadquery as cq
import numpy as np
import pytest
from kicad_tools import kicad2step, probe, require_kicad2step, require_pcbnew
from OCP.Bnd import Bnd_Box
from OCP.BRepBndLib import BRepBndLib
from OCP.IFSelect import IFSelect_RetDone
from OCP.STEPControl import STEPControl_Reader

from pkgcad.kicad import Options, write_library
from pkgcad.templates import load_layout, template_paths

pytestmark = pytest.mark.slow
LIB = "pkgcad"
UM = 1e-3


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kicad") / "lib"
    write_library([load_layout(str(p)) for p in template_paths()], out, Options(lib=LIB))
    return out


@pytest.fixture(scope="module")
def summary(library: Path) -> dict[str, Any]:
    return json.loads((library / ".pkgcad-kicad.json").read_text())


@pytest.fixture(scope="module")
def loaded(library: Path) -> dict[str, dict[str, Any]]:
    require_pcbnew()
    return {fp["name"]: fp for fp in probe("footprints", str(library / f"{LIB}.pretty"))}


class Box:
    """A solid's bounding box: OCCT's quick box (exact for boxes and spheres here, 0.1 um enlarged)."""

    def __init__(self, solid: cq.Shape) -> None:
        box = Bnd_Box()
        BRepBndLib.Add_s(solid.wrapped, box, False)
        self.xmin, self.ymin, self.zmin, self.xmax, self.ymax, self.zmax = box.Get()
        self.xlen, self.ylen, self.zlen = self.xmax - self.xmin, self.ymax - self.ymin, self.zmax - self.zmin
        self.cx, self.cy = (self.xmin + self.xmax) / 2, (self.ymin + self.ymax) / 2


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


def test_pcbnew_loads_every_footprint_with_a_neutral_model_line(library: Path, loaded: dict[str, Any],
                                                                summary: dict[str, Any]) -> None:
    assert len(loaded) == len(template_paths()) == len(summary["footprints"])
    for entry in summary["footprints"]:
        fp = loaded[entry["footprint"]]
        spec = load_layout(entry["template"]).spec
        copper = [p for p in fp["pads"] if p["name"]]
        if spec.qfn:
            assert len(copper) == spec.leads.count + 1  # leads + the exposed pad
        else:
            assert len(copper) == entry["pins"] and len({p["name"] for p in copper}) == len(copper)
        (model,) = fp["models"]  # F9.3: one model line
        assert model["offset"] == [0, 0, 0] and model["scale"] == [1, 1, 1] and model["rotation"] == [0, 0, 0]
        assert model["file"] == f"${{KIPRJMOD}}/{LIB}.3dshapes/{entry['model']}.wrl"
        for ext in ("wrl", "step"):
            assert (library / f"{LIB}.3dshapes" / f"{entry['model']}.{ext}").stat().st_size > 10_000


def test_pads_sit_on_the_models_balls_and_leads(library: Path, loaded: dict[str, Any],
                                                summary: dict[str, Any]) -> None:
    """Every pad centre (KiCad, y down) equals the centre of a ball of the exported STEP (y up) within 1 um; a QFN
    land is centred on its lead across and covers it along."""
    for entry in summary["footprints"]:
        fp = loaded[entry["footprint"]]
        boxes = _solids(library / f"{LIB}.3dshapes" / f"{entry['model']}.step")
        feet = _feet(boxes, 0.0)
        pads = [p for p in fp["pads"] if p["name"] and p["attr"] == 1]  # SMD copper
        if entry["kind"] == "BGA":
            centres = np.array([[b.cx, -b.cy] for b in feet])
            assert len(feet) == len(pads) == entry["pins"]
            for p in pads:
                assert np.min(np.hypot(*(centres - p["pos"]).T)) < UM, p
            a1 = next(p for p in pads if p["name"] == "A1")
            assert a1["pos"] == [min(p["pos"][0] for p in pads), min(p["pos"][1] for p in pads)]  # top-left
            continue
        leads = [b for b in feet if b.xlen < 1.0 and b.ylen < 1.0]
        assert len(leads) == entry["pins"]
        for p in (p for p in pads if p["name"] != str(entry["pins"] + 1)):
            (lead,) = [b for b in leads if abs(b.cx - p["pos"][0]) < (p["size"][0] + b.xlen) / 2
                       and abs(-b.cy - p["pos"][1]) < (p["size"][1] + b.ylen) / 2]
            across = 1 if p["size"][0] > p["size"][1] else 0  # the land's short axis runs along the body side
            assert abs([lead.cx, -lead.cy][across] - p["pos"][across]) < UM
            lo = [lead.xmin, -lead.ymax][1 - across]
            hi = [lead.xmax, -lead.ymin][1 - across]
            assert p["pos"][1 - across] - p["size"][1 - across] / 2 <= lo + UM
            assert p["pos"][1 - across] + p["size"][1 - across] / 2 >= hi - UM
        pin1 = next(p for p in pads if p["name"] == "1")
        left = [p for p in pads if abs(p["pos"][0] - pin1["pos"][0]) < UM]  # pin 1: top of the left column
        assert pin1["pos"][0] == min(p["pos"][0] for p in pads) and pin1["pos"][1] == min(p["pos"][1] for p in left)


def _segment_to_rect(a: list[float], b: list[float], c: list[float], half: list[float]) -> float:
    ts = np.linspace(0, 1, 201)
    pts = np.array(a)[None, :] * (1 - ts[:, None]) + np.array(b)[None, :] * ts[:, None]
    d = np.maximum(np.abs(pts - c) - half, 0.0)
    return float(np.min(np.hypot(d[:, 0], d[:, 1])))


def test_klc_rules_by_hand(library: Path, loaded: dict[str, Any], summary: dict[str, Any]) -> None:
    for entry in summary["footprints"]:
        fp = loaded[entry["footprint"]]
        spec = load_layout(entry["template"]).spec
        lines = fp["lines"]
        assert fp["smd"]  # F6.1
        assert fp["name"] == entry["footprint"] and fp["descr"] and fp["tags"]  # F9.1
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+", fp["name"])  # G1.1
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
        copper = [p for p in fp["pads"] if p["name"]]
        for p in copper:
            assert x0 <= p["pos"][0] - p["size"][0] / 2 and p["pos"][0] + p["size"][0] / 2 <= x1
            assert y0 <= p["pos"][1] - p["size"][1] / 2 and p["pos"][1] + p["size"][1] / 2 <= y1
        assert all(seg["width"] == 0.1 for seg in lines["F.Fab"])
        assert all(seg["width"] == 0.12 for seg in lines["F.Silkscreen"])
        for seg in lines["F.Silkscreen"]:  # F5.1: silk 0.2 mm clear of copper (line half-width included)
            for p in copper:
                half = [p["size"][0] / 2, p["size"][1] / 2]
                assert _segment_to_rect(seg["start"], seg["end"], p["pos"], half) >= 0.2 + 0.06 - 1e-6
        texts = {(t.get("kind"), t["text"], t["layer"]) for t in fp["texts"]}
        assert ("reference", "REF**", "F.Silkscreen") in texts and ("value", fp["name"], "F.Fab") in texts
        assert (None, "${REFERENCE}", "F.Fab") in texts
        smd = [p for p in copper if p["attr"] == 1]
        centre = np.mean([p["pos"] for p in smd], axis=0)
        assert np.allclose(centre, 0, atol=UM)  # F6.2
        assert all(not p["name"] and p["layers"] == ["F.Paste"] for p in fp["pads"] if "F.Cu" not in p["layers"])


def test_kicad2step_puts_each_package_over_its_footprint(tmp_path: Path, library: Path, loaded: dict[str, Any],
                                                         summary: dict[str, Any]) -> None:
    """A board with every footprint at a known place and angle, plus a 1 mm reference cube, exported by
    kicad2step (its STEP with --subst-models, i.e. our .step for each .wrl line): each package's box equals
    our model's box turned and shifted onto its footprint within 10 um, its bottom sits where the cube's does
    (the board top; kicad2step 6.0 leaves a small gap of its own), and every ball sits on its pad."""
    require_kicad2step()
    cube = tmp_path / "Ref.step"
    cq.exporters.export(cq.Workplane().box(1, 1, 1).translate((0, 0, 0.5)), str(cube))
    (tmp_path / "ref.pretty").mkdir()
    (tmp_path / "ref.pretty" / "Ref.kicad_mod").write_text(
        '(footprint "Ref" (version 20211014) (generator pkgcad) (layer "F.Cu") (attr smd)\n'
        f'  (model "{cube}" (offset (xyz 0 0 0)) (scale (xyz 1 1 1)) (rotate (xyz 0 0 0))))\n')
    angles = [0.0, 90.0, 180.0, 270.0, 45.0, 30.0]
    jobs = [{"lib": str(library / f"{LIB}.pretty"), "name": e["footprint"], "x": 40.0 * i, "y": 25.0 * (i % 2),
             "rot": angles[i % len(angles)]} for i, e in enumerate(summary["footprints"])]
    jobs.append({"lib": str(tmp_path / "ref.pretty"), "name": "Ref", "x": -40.0, "y": 0.0, "rot": 0.0})
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    board = probe("board", str(tmp_path / "b.kicad_pcb"), str(tmp_path / "jobs.json"))
    kicad2step(tmp_path / "b.kicad_pcb", tmp_path / "b.step", {"KIPRJMOD": str(library)})
    solids = _solids(tmp_path / "b.step")
    (ref,) = [b for b in solids if abs(b.cx + 40) < 1 and abs(b.xlen - 1) < 10 * UM]
    board_top = ref.zmin
    assert board["thickness"] <= board_top < board["thickness"] + 0.1
    for job, entry, fp in zip(jobs, summary["footprints"], board["footprints"], strict=False):
        own = _model_bbox(_solids(library / f"{LIB}.3dshapes" / f"{entry['model']}.step"))
        a = math.radians(job["rot"])
        rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
        corners = np.array([[x, y] for x in own[:, 0] for y in own[:, 1]]) @ rot.T + [job["x"], -job["y"]]
        mine = [b for b in solids if abs(b.cx - job["x"]) < 15 and abs(b.cy + job["y"]) < 12]
        got = _model_bbox(mine)
        assert np.allclose(got[:, :2], [corners.min(axis=0), corners.max(axis=0)], atol=10 * UM), entry
        assert abs(got[0, 2] - board_top) < 10 * UM and abs((got[1, 2] - got[0, 2]) - (own[1, 2] - own[0, 2])) < 10 * UM
        if entry["kind"] == "BGA":
            balls = np.array([[b.cx, b.cy] for b in _feet(mine, board_top)])
            pads = [p for p in fp["pads"] if p["name"]]
            assert len(balls) == len(pads)
            for p in pads:  # pcbnew's pad on the board (y down) under a ball of kicad2step's STEP (y up)
                assert np.min(np.hypot(*(balls - [p["pos"][0], -p["pos"][1]]).T)) < 10 * UM


def test_wrl_matches_step_and_names_kicad_materials(library: Path, summary: dict[str, Any]) -> None:
    vtk = pytest.importorskip("vtk")
    for entry in summary["footprints"]:
        wrl = library / f"{LIB}.3dshapes" / f"{entry['model']}.wrl"
        text = wrl.read_text()
        assert text.startswith("#VRML V2.0 utf8")
        for name in ("IC-BODY-EPOXY-04", "PIN-01", "MET-COPPER"):
            assert f"material DEF {name} Material" in text, (entry["model"], name)
        foot = "ball_0" if entry["kind"] == "BGA" else "lead_0"
        assert text.count(f"DEF {foot} Shape") == 1 and text.count(f"USE {foot}") == entry["pins"] - 1
        imp = vtk.vtkVRMLImporter()
        imp.SetFileName(str(wrl))
        imp.Update()
        bounds = np.array(imp.GetRenderer().ComputeVisiblePropBounds()).reshape(3, 2).T * 2.54
        own = _model_bbox(_solids(library / f"{LIB}.3dshapes" / f"{entry['model']}.step"))
        assert np.allclose(bounds, own, atol=10 * UM), (entry["model"], bounds, own)
        assert abs(own[0, 2]) < UM  # z = 0 on the board top
