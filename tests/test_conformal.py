"""FEM-ready geometry (issue 16): the conformal model, its STEP, and gmsh meshing it without a fragment.

Expected values come from the package's own part volumes (what manifest.json records, computed here from the
built parts), from box arithmetic, or from OCCT and gmsh reading the written files back; never from pkgcad.conformal.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import cadquery as cq
import numpy as np
import pytest
from conftest import TEMPLATES, ExampleCounter, built, spec_of, total_volume
from hypothesis import HealthCheck, given, settings
from OCP.BRepCheck import BRepCheck_Analyzer
from OCP.IFSelect import IFSelect_RetDone
from OCP.Interface import Interface_Static
from OCP.STEPControl import STEPControl_Reader
from OCP.TopAbs import TopAbs_FACE, TopAbs_SOLID
from OCP.TopExp import TopExp
from OCP.TopTools import TopTools_IndexedMapOfShape
from test_cli import assert_refused, run
from test_property import _layout_or_reject, valid_overrides

from pkgcad.conformal import (
    ConformalError,
    Extra,
    FemOptions,
    MeshCheckError,
    check_folder,
    conformal,
    fem_model,
    load,
    session,
    sizes,
    write_step,
)
from pkgcad.conformal.check import ALGORITHM_2D
from pkgcad.conformal.meshing import mesh_model
from pkgcad.conformal.options import DEFAULT_SIZE
from pkgcad.export.writer import write_package
from pkgcad.geometry import build_package
from pkgcad.materials import material

GMSH = [sys.executable, str(Path(sys.executable).with_name("gmsh"))]
"""The gmsh command of the PyPI wheel (a Python script beside this interpreter), as the README runs it."""


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


def write_conformal(template: str, out: Path, *sets: str) -> dict:
    """Build ``template`` and write STEP + manifest in conformal mode; the manifest."""
    return write_package(built(template, *sets), out / template, formats=("step",), step_mode="conformal",
                         step_writer=write_step)


def unique(shape: cq.Shape | object, kind: int) -> int:
    m = TopTools_IndexedMapOfShape()
    TopExp.MapShapes_s(shape.wrapped if isinstance(shape, cq.Shape) else shape, kind, m)
    return m.Extent()


# ------------------------------------------------------------------------------------- conformal model
def test_conformal_model_holds_every_part_exactly() -> None:
    """qfn in detail; every template's per-part volumes are checked from its manifest by the slow mesh test."""
    pkg = built("qfn")
    model = conformal(pkg)
    # every instance is there, under its own name and part
    names = {s.name for s in model}
    for part in pkg.parts:
        for pl in part.placements:
            assert pl.name in names, pl.name
    # each part's solids hold exactly the part's volume (the encapsulant: what the mold cut left)
    got = model.part_volumes()
    for part in pkg.parts:
        assert rel(got[part.name], part.volume() * part.count) < 1e-6, part.name
    assert rel(model.volume(), total_volume(pkg.parts)) < 1e-6
    # solids numbered 1..n in part order, encapsulant last, each valid
    assert [s.index for s in model] == list(range(1, len(model) + 1))
    assert model.solids[-1].part == "encapsulant"
    assert BRepCheck_Analyzer(model.compound.wrapped).IsValid()
    # contacts are shared: fewer distinct faces than the solids have together
    per_solid = sum(unique(s.shape, TopAbs_FACE) for s in model)
    assert unique(model.compound, TopAbs_FACE) == per_solid - model.shared_faces()
    assert model.shared_faces() > 0
    assert model.tiles == 1


def test_wire_shares_its_bond_faces_and_cavity() -> None:
    """A wire touches the chip (bond), its finger/lead and the encapsulant; every face of it is shared."""
    model = conformal(built("qfn"))
    wire = next(s for s in model if s.name == "wire_000")
    fmap = TopTools_IndexedMapOfShape()
    TopExp.MapShapes_s(wire.shape.wrapped, TopAbs_FACE, fmap)
    others = TopTools_IndexedMapOfShape()
    for s in model:
        if s.index != wire.index:
            TopExp.MapShapes_s(s.shape.wrapped, TopAbs_FACE, others)
    assert all(others.Contains(fmap.FindKey(i)) for i in range(1, fmap.Extent() + 1))


@pytest.mark.slow
def test_connecting_portion_stays_one_heat_sink_solid() -> None:
    """The envelope splits the heat sink at its first surface; the model merges it back into one solid."""
    pkg = built("connecting-portion")
    model = conformal(pkg)
    hs = [s for s in model if s.part == "heat_sink"]
    assert len(hs) == 1
    sx, sy = pkg.spec.carrier.size
    cp = pkg.spec.heat_sink.connecting_portion
    _cx, _cy, cpx, cpy = pkg.layout.connecting_portion
    want = sx * sy * pkg.spec.heat_sink.thickness + cpx * cpy * cp.height
    assert rel(hs[0].volume, want) < 1e-9


@pytest.mark.slow
def test_tiled_fuse_equals_the_plain_one() -> None:
    """Forced tiling (the large-model path) keeps every volume; parts crossing tile lines come in pieces that
    all carry the part's name."""
    pkg = built("flipchip-bga")
    model = conformal(pkg, tile=True)
    assert model.tiles > 1
    got = model.part_volumes()
    for part in pkg.parts:
        assert rel(got[part.name], part.volume() * part.count) < 1e-6, part.name
    chips = [s for s in model if s.part == "chip"]
    assert len(chips) > 1 and {s.name for s in chips} == {"chip"}
    assert BRepCheck_Analyzer(model.compound.wrapped).IsValid()


def test_bumps_replaced_by_a_block() -> None:
    """What thermal does with a bump array: leave the bumps out and put a homogenised block in their layer.
    The encapsulant then fills the bump layer around the block only."""
    pkg = built("flipchip-bga")
    st = pkg.layout.stack
    ccx, ccy, cx, cy = pkg.layout.chip
    bx, by = cx - 0.4, cy - 0.4
    block = cq.Solid.makeBox(bx, by, st.chip_bottom - st.carrier_top,
                             pnt=cq.Vector(ccx - bx / 2, ccy - by / 2, st.carrier_top))
    model = conformal(pkg, exclude_roles=["bump"], extra=[Extra("bump_block", "bump_block", "bump", "solder", block)])
    assert not [s for s in model if s.part == "bump"]
    bumps = pkg.part("bump")
    enc = pkg.part("encapsulant").volume() + bumps.volume() * bumps.count - bx * by * (st.chip_bottom - st.carrier_top)
    got = model.part_volumes()
    assert rel(got["encapsulant"], enc) < 1e-6
    assert rel(got["bump_block"], bx * by * (st.chip_bottom - st.carrier_top)) < 1e-9
    assert rel(model.volume(), total_volume(p for p in pkg.parts if p.role != "bump") - pkg.part("encapsulant").volume()
               + enc + bx * by * (st.chip_bottom - st.carrier_top)) < 1e-6


def test_an_overlapping_extra_is_refused() -> None:
    pkg = built("qfn")
    st = pkg.layout.stack
    ccx, ccy, _sx, _sy = pkg.layout.chip
    into_chip = cq.Solid.makeBox(0.5, 0.5, 0.1, pnt=cq.Vector(ccx, ccy, st.chip_top - 0.05))
    with pytest.raises(ConformalError, match=r"chip and probe overlap"):
        conformal(pkg, extra=[Extra("probe", "probe", "probe", "copper", into_chip)])


def test_unknown_role_is_refused() -> None:
    with pytest.raises(ValueError, match=r"no part has role wires; roles: .*wire"):
        conformal(built("qfn"), exclude_roles=["wires"])


# ------------------------------------------------------------------------------------------ the STEP
def test_step_names_colours_and_shares_faces(tmp_path: Path) -> None:
    data = write_conformal("qfn", tmp_path)
    text = (tmp_path / "qfn" / "qfn.step").read_text(encoding="latin-1")
    solids = data["conformal"]["solids"]
    # every solid is one named item of ONE non-manifold representation, in manifest order
    assert text.count("NON_MANIFOLD_SURFACE_SHAPE_REPRESENTATION(") == 1
    assert re.findall(r"SHELL_BASED_SURFACE_MODEL\('([^']*)'", text) == [s["name"] for s in solids]
    # each solid's item is styled in its material's colour
    pkg = built("qfn")
    items = dict(re.findall(r"^(#\d+) = SHELL_BASED_SURFACE_MODEL\('([^']*)'", text, re.M))
    styled = re.findall(r"STYLED_ITEM\('color',\(#\d+\),(#\d+)\)", text)
    assert sorted(items[i] for i in styled) == sorted(s["name"] for s in solids)
    rgb = {tuple(round(float(c), 3) for c in m) for m in re.findall(r"COLOUR_RGB\('',([\d.]+),([\d.]+),([\d.]+)\)",
                                                                      text)}
    assert {tuple(round(c, 3) for c in material(p.material).color) for p in pkg.parts} == rgb
    assert "units: millimetre" in text and "('pkgcad')" in text
    # read back by OCCT (what gmsh, FreeCAD and SALOME use): the contacts come back as shared faces
    reader = STEPControl_Reader()
    Interface_Static.SetIVal_s("read.step.nonmanifold", 1)
    try:
        assert reader.ReadFile(str(tmp_path / "qfn" / "qfn.step")) == IFSelect_RetDone
        reader.TransferRoots()
        shape = reader.OneShape()
    finally:
        Interface_Static.SetIVal_s("read.step.nonmanifold", 0)
    assert unique(shape, TopAbs_SOLID) == len(solids)
    per_solid = text.count("ADVANCED_FACE(")  # one per face of each solid: a shared face is written twice
    assert unique(shape, TopAbs_FACE) == per_solid - data["conformal"]["shared_faces"]


def test_other_step_modes_stay_manifold_after_a_conformal_write(tmp_path: Path) -> None:
    """The non-manifold writer switches are OCCT globals: they are restored after the conformal write."""
    write_conformal("qfn", tmp_path)
    write_package(built("qfn"), tmp_path / "asm", formats=("step",), step_mode="assembly")
    text = (tmp_path / "asm" / "qfn.step").read_text(encoding="latin-1")
    assert "NON_MANIFOLD" not in text and "MANIFOLD_SOLID_BREP(" in text


# ------------------------------------------------------------------------------------------ gmsh
README = Path(__file__).resolve().parents[1] / "README.md"


def readme_blocks(lang: str) -> list[str]:
    """The ``lang`` code blocks of the README's "FEM-ready STEP" section, as users copy them."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## FEM-ready STEP"):]
    section = section[:section.index("\n## ", 5)]
    return re.findall(rf"```{lang}\n(.*?)```", section, re.S)


def readme_commands(program: str) -> list[str]:
    """The README's shell lines (FEM-ready STEP section) that run ``program``, comments stripped."""
    lines = [ln.split("#")[0].strip() for block in readme_blocks("sh") for ln in block.splitlines()]
    return [ln for ln in lines if ln.split()[:1] == [program]]


@pytest.fixture(scope="module")
def qfn_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pkgcad build qfn --step-mode conformal`` (STEP only), written once for the tests that only read it."""
    out = tmp_path_factory.mktemp("conformal")
    write_conformal("qfn", out)
    return out / "qfn"


def test_readme_python_opens_the_geo_with_every_part_and_material_named(qfn_folder: Path) -> None:
    """The README's Python lines, run as written (paths pointed at a fresh build): gmsh opens qfn.geo, which imports
    qfn.step with its shared surfaces and declares one physical volume per part, holding that part's volume (the
    built package's, not the conformal code's), and one per material; every solid is in one of each."""
    import gmsh

    pkg = built("qfn")
    files = {f["path"] for f in json.loads((qfn_folder / "manifest.json").read_text())["files"]}
    assert files == {"qfn.step", "qfn.geo", "qfn.FCMacro"}
    (script,) = readme_blocks("python")
    assert len(script.strip().splitlines()) == 3, script
    step_faces = (qfn_folder / "qfn.step").read_text(encoding="latin-1").count("ADVANCED_FACE(")  # per solid
    try:
        exec(script.replace("outputs/qfn", str(qfn_folder)), {})
        groups = {gmsh.model.getPhysicalName(3, t): [int(v) for v in gmsh.model.getEntitiesForPhysicalGroup(3, t)]
                  for _d, t in gmsh.model.getPhysicalGroups(3)}
        materials = {p.material for p in pkg.parts}
        assert set(groups) == {p.name for p in pkg.parts} | {f"material:{m}" for m in materials}
        mass = {t: gmsh.model.occ.getMass(3, t) for _d, t in gmsh.model.getEntities(3)}
        for part in pkg.parts:
            assert len(groups[part.name]) == part.count, part.name
            assert rel(sum(mass[v] for v in groups[part.name]), part.volume() * part.count) < 1e-6, part.name
        for m in materials:
            want = sum(p.volume() * p.count for p in pkg.parts if p.material == m)
            assert rel(sum(mass[v] for v in groups[f"material:{m}"]), want) < 1e-6, m
        by_part = sorted(v for name, vols in groups.items() if not name.startswith("material:") for v in vols)
        by_material = sorted(v for name, vols in groups.items() if name.startswith("material:") for v in vols)
        assert by_part == by_material == sorted(mass)  # each solid in exactly one group of each kind
        surfaces = gmsh.model.getEntities(2)
        shared = sum(len(gmsh.model.getAdjacencies(2, s)[0]) == 2 for _d, s in surfaces)
        assert shared > 0 and len(surfaces) + shared == step_faces  # a shared face is one surface for two solids
    finally:
        gmsh.finalize()


def test_geo_refuses_a_step_of_other_solids(qfn_folder: Path, tmp_path: Path) -> None:
    """qfn.geo beside a STEP that is not the one pkgcad wrote (here: one box) stops with one error line naming the
    file and the counts: gmsh's Python API raises it, the gmsh command exits 1 and writes no mesh."""
    import gmsh

    shutil.copy(qfn_folder / "qfn.geo", tmp_path / "qfn.geo")
    cq.exporters.export(cq.Workplane().box(1, 1, 1), str(tmp_path / "qfn.step"))
    gmsh.initialize()
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        with pytest.raises(Exception, match=r"qfn.step: gmsh found 1 volumes; this script is for the 71 solids"):
            gmsh.open(str(tmp_path / "qfn.geo"))
    finally:
        gmsh.finalize()
    done = subprocess.run([*GMSH, str(tmp_path / "qfn.geo"), "-3", "-o", str(tmp_path / "qfn.msh")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "gmsh found 1 volumes" in done.stdout + done.stderr
    assert not (tmp_path / "qfn.msh").exists()


@pytest.mark.slow
def test_readme_gmsh_command_meshes_with_the_shipped_settings(qfn_folder: Path, tmp_path: Path) -> None:
    """`gmsh outputs/qfn/qfn.geo -3 -o outputs/qfn/qfn.msh` as written (on a copy of the folder): exit 0, a mesh
    whose physical volumes are the parts and materials, every part meshed, and tetrahedra that fill the package
    exactly (its outside is planar: the inner curved faces are shared, so what one side loses the other gains)."""
    import gmsh

    (line,) = [c for c in readme_commands("gmsh") if "-3" in c.split()]
    folder = tmp_path / "qfn"
    folder.mkdir()
    for name in ("qfn.step", "qfn.geo"):
        shutil.copy(qfn_folder / name, folder / name)
    args = line.replace("outputs/qfn", str(folder)).split()
    done = subprocess.run([*GMSH, *args[1:]], capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    pkg = built("qfn")
    gmsh.initialize()
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.open(str(folder / "qfn.msh"))
        tags, coords, _ = gmsh.model.mesh.getNodes()
        xyz = np.zeros((int(tags.max()) + 1, 3))
        xyz[tags.astype(int)] = coords.reshape(-1, 3)
        volume: dict[str, float] = {}
        for _d, t in gmsh.model.getPhysicalGroups(3):
            total = 0.0
            for v in gmsh.model.getEntitiesForPhysicalGroup(3, t):
                _types, _el, nodes = gmsh.model.mesh.getElements(3, int(v))
                p = xyz[np.concatenate(nodes).astype(int)].reshape(-1, 4, 3)
                total += float(np.abs(np.linalg.det(p[:, 1:] - p[:, :1])).sum()) / 6
            volume[gmsh.model.getPhysicalName(3, t)] = total
    finally:
        gmsh.finalize()
    materials = {p.material for p in pkg.parts}
    assert set(volume) == {p.name for p in pkg.parts} | {f"material:{m}" for m in materials}
    assert all(v > 0 for v in volume.values()), volume
    whole = sum(p.volume() * p.count for p in pkg.parts)
    assert rel(sum(volume[p.name] for p in pkg.parts), whole) < 1e-6
    assert rel(sum(volume[f"material:{m}"] for m in materials), whole) < 1e-6


def assert_meshes(folder: Path, size: float) -> None:
    """gmsh meshes the conformal STEP in ``folder``: every part a group with tetrahedra, contacts shared, no
    duplicate nodes, total volume within 0.1 % of the manifest's parts."""
    manifest = json.loads((folder / "manifest.json").read_text())
    report = check_folder(folder, size)
    assert report.failures() == [], report.table()
    want = sum(r["volume_total_mm3"] for r in manifest["parts"])
    assert rel(report.volume, want) < 1e-3, report.table()
    assert {p.part for p in report.parts} == {r["name"] for r in manifest["parts"]}
    assert all(p.tets > 0 for p in report.parts)
    assert report.duplicate_nodes == 0 and report.unshared_contacts == 0
    assert report.shared_surfaces == manifest["conformal"]["shared_faces"]


def test_a_manifest_naming_the_wrong_solid_is_refused(tmp_path: Path) -> None:
    """The match of gmsh volume tags to manifest solids tells equal wires apart (by centroid) and is not
    fooled by a volume off by 1e-4 of itself: two wires' entries swapped, or one volume edited, is an error."""
    data = write_conformal("qfn", tmp_path)
    folder = tmp_path / "qfn"
    solids = data["conformal"]["solids"]
    wires = [i for i, s in enumerate(solids) if s["part"].startswith("wire")]
    assert len(wires) >= 2
    for edit in ("swap", "volume"):
        broken = json.loads(json.dumps(data))
        got = broken["conformal"]["solids"]
        a, b = wires[0], wires[1]
        if edit == "swap":
            got[a]["centroid_mm"], got[b]["centroid_mm"] = got[b]["centroid_mm"], got[a]["centroid_mm"]
        else:
            got[a]["volume_mm3"] *= 1 + 1e-4
        (folder / "manifest.json").write_text(json.dumps(broken))
        with pytest.raises(MeshCheckError, match=f"is not {got[a]['name']}"):
            check_folder(folder, DEFAULT_SIZE)


def assert_fragment_is_identity(step: Path) -> None:
    """What an analyst's habit does to the STEP: gmsh's ``occ.fragment`` of every volume. On a conformal model it
    must change nothing: each volume maps to exactly one volume (no piece owned by two), none new, same volumes."""
    with session() as gmsh:
        gmsh.model.add("fragment")
        gmsh.model.occ.importShapes(str(step), highestDimOnly=False)
        gmsh.model.occ.synchronize()
        vols = gmsh.model.getEntities(3)
        before = [gmsh.model.occ.getMass(3, t) for _d, t in vols]
        out, mapping = gmsh.model.occ.fragment(vols[:1], vols[1:])
        gmsh.model.occ.synchronize()
        assert len([o for o in out if o[0] == 3]) == len(vols)
        assert all(len(m) == 1 and m[0][0] == 3 for m in mapping)
        assert len({m[0][1] for m in mapping}) == len(vols)  # no output volume comes from two inputs
        for m, want in zip(mapping, before, strict=True):
            assert rel(gmsh.model.occ.getMass(3, m[0][1]), want) < 1e-9


@pytest.mark.slow
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_meshes_without_fragment(template: str, tmp_path: Path) -> None:
    """Every bundled template: each part's solids hold the part's volume, gmsh's fragment is the identity, and
    the STEP meshes as it is at the default size."""
    data = write_conformal(template, tmp_path)
    pkg = built(template)
    held: dict[str, float] = {}
    for row in data["conformal"]["solids"]:
        held[row["part"]] = held.get(row["part"], 0.0) + row["volume_mm3"]
    for part in pkg.parts:  # the exported cut encapsulant and each part, exactly
        assert rel(held[part.name], part.volume() * part.count) < 1e-6, part.name
    assert_fragment_is_identity(tmp_path / template / f"{template}.step")
    assert_meshes(tmp_path / template, DEFAULT_SIZE)


# ------------------------------------------------------------------------------- property sweep variants
FEM_EXAMPLES = int(os.environ.get("PKGCAD_FEM_EXAMPLES", "3"))
DRAFT_SIZE = 0.5  # mm: the sweep's variants mesh coarse; what is checked (shared contacts, volume) holds at any size


@pytest.mark.slow
@settings(max_examples=FEM_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(case=valid_overrides())
def test_property_variants_mesh(case: tuple[str, list[str]], tmp_path_factory: pytest.TempPathFactory,
                                example_counter: ExampleCounter) -> None:
    lay = _layout_or_reject(case)
    example_counter.hit("test_property_variants_mesh")
    out = tmp_path_factory.mktemp("fem") / lay.spec.meta.name
    write_package(build_package(lay), out, formats=("step",), step_mode="conformal",
                  step_writer=write_step)
    assert_meshes(out, DRAFT_SIZE)


# ------------------------------------------------------------------------------------ command line
@pytest.mark.parametrize(("args", "words"), [
    (("--mesh-check",), ("--step-mode = 'assembly'", "--mesh-check meshes the conformal STEP only",
                         "add --step-mode conformal")),
    (("--step-mode", "fused", "--mesh-check"), ("--step-mode = 'fused'", "conformal STEP only")),
    (("--step-mode", "conformal", "--mesh-size", "0.2"), ("--mesh-size = 0.2", "applies to --mesh-check only",
                                                           "add --mesh-check")),
    (("--step-mode", "conformal", "--mesh-check", "--mesh-size", "0"), ("--mesh-size = 0", "greater than 0", "5 mm")),
    (("--step-mode", "conformal", "--mesh-check", "--mesh-size", "-1"), ("--mesh-size = -1",)),
    (("--step-mode", "conformal", "--mesh-check", "--mesh-size", "50"), ("--mesh-size = 50", "at most 5 mm")),
    (("--step-mode", "conformal", "--mesh-check", "--mesh-size", "nan"), ("--mesh-size = nan",)),
    (("--step-mode", "conform"), ("--step-mode", "'conform'", "conformal")),
])
def test_build_refuses_bad_mesh_options(tmp_path: Path, args: tuple[str, ...], words: tuple[str, ...]) -> None:
    out = tmp_path / "out"
    assert_refused(run("build", "qfn", "-o", str(out), *args), *words)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_build_conformal_with_mesh_check(tmp_path: Path) -> None:
    """`pkgcad build qfn --step-mode conformal --mesh-check --compress`: the STEP (and its gzip), the manifest's
    groups, and the table of parts with tetrahedra, exit 0."""
    out = tmp_path / "qfn"
    result = run("build", "qfn", "-o", str(out), "--step-mode", "conformal", "--compress", "--mesh-check",
                 "--mesh-size", "0.4")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["step_mode"] == "conformal"
    assert (out / "qfn.stpZ").stat().st_size > 0
    lines = result.stdout.splitlines()
    for row in manifest["parts"]:
        line = next(x for x in lines if x.split()[:1] == [row["name"]])
        assert int(line.split()[2].replace(",", "")) > 0, line  # tetrahedra
    assert any(x.startswith("total") for x in lines)
    assert "0 duplicate nodes" in result.stdout and "size 0.4 mm" in result.stdout


def _edges(gmsh: object, face: int) -> np.ndarray:
    """The lengths [mm] of the triangle edges of gmsh's mesh of ``face``."""
    _types, _tags, nodes = gmsh.model.mesh.getElements(2, face)  # type: ignore[attr-defined]
    tags, xyz, _ = gmsh.model.mesh.getNodes(2, face, includeBoundary=True)  # type: ignore[attr-defined]
    at = np.zeros(int(tags.max()) + 1, dtype=np.int64)
    at[tags.astype(np.int64)] = np.arange(len(tags))
    p = xyz.reshape(-1, 3)[at[nodes[0].astype(np.int64)]].reshape(-1, 3, 3)
    return np.linalg.norm(p - np.roll(p, 1, axis=1), axis=2).ravel()


def test_mesh_check_keeps_the_balls_fine_size_on_the_balls(tmp_path: Path) -> None:
    """The mesh check's sizes (issue 23: its time): each ball's sphere is meshed at least 24 segments round (median
    edge <= 2 pi r / 24, r from the spec), and that size stays on the balls: the carrier's underside, a plane with
    64 ball pads on it, grades to the mesh size between them (median edge >= half of it). Spread from the pads'
    edges over the whole face, as before, it was 39k triangles of median edge 0.06 mm (of the full flipchip-bga's
    198k)."""
    data = write_conformal("flipchip-bga", tmp_path, "bumps.count=16")
    r = spec_of("flipchip-bga", "bumps.count=16").balls.diameter / 2
    groups = data["conformal"]["groups"]
    with session() as gmsh:
        load(gmsh, tmp_path / "flipchip-bga" / "flipchip-bga.step", data["conformal"]["solids"])
        sizes(gmsh, DEFAULT_SIZE)
        gmsh.option.setNumber("Mesh.Algorithm", ALGORITHM_2D)
        gmsh.model.mesh.generate(2)
        faces = [abs(f) for _d, f in gmsh.model.getBoundary([(3, t) for t in groups["carrier"]], oriented=False)]
        underside = min(faces, key=lambda f: gmsh.model.getBoundingBox(2, f)[5])
        assert gmsh.model.getType(2, underside) == "Plane"
        assert gmsh.model.getBoundingBox(2, underside)[5] < 1e-3  # z = 0: the package bottom
        pads = len(gmsh.model.getBoundary([(2, underside)], combined=False)) - 4  # holes besides the 4 sides
        assert pads == len(groups["ball"]) == 64
        assert np.median(_edges(gmsh, underside)) >= DEFAULT_SIZE / 2
        for ball in groups["ball"]:
            spheres = [abs(f) for _d, f in gmsh.model.getBoundary([(3, ball)], oriented=False)
                       if gmsh.model.getType(2, abs(f)) == "Sphere"]
            assert spheres
            assert np.median(np.concatenate([_edges(gmsh, f) for f in spheres])) <= 2 * np.pi * r / 24


def test_gmsh_threads_wait_passively_unless_the_user_says_otherwise(tmp_path: Path) -> None:
    """gmsh's OpenMP threads spin while they wait (libgomp's default: 300,000 turns), CPU a loaded machine's other
    work needs; pkgcad's gmsh session makes them wait passively (spin count 0) and keeps a user's own
    OMP_WAIT_POLICY. libgomp prints what it read with OMP_DISPLAY_ENV=VERBOSE."""
    code = "from pkgcad.conformal import session\nwith session():\n    pass\n"
    base = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    base.update(OMP_DISPLAY_ENV="VERBOSE", PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    for policy, spin in ((None, "'0'"), ("ACTIVE", "'30000000000'")):
        env = base if policy is None else {**base, "OMP_WAIT_POLICY": policy}
        done = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stderr.count("GOMP_SPINCOUNT") == 1, done.stderr  # one libgomp: gmsh's
        assert f"GOMP_SPINCOUNT = {spin}" in done.stderr, done.stderr


def test_model_goes_into_gmsh_in_process() -> None:
    """What the solvers' mesher does first: the model straight into gmsh (BREP, no file left behind), volumes
    named by instance, one physical group per part holding that part's volume, contacts shared."""
    pkg = built("qfn-buffer-pad")
    model = conformal(pkg)
    assert model.materials() == {p.name: p.material for p in pkg.parts}
    with session() as gmsh:
        groups = model.to_gmsh(gmsh)
        assert set(groups) == {p.name for p in pkg.parts}
        for part in pkg.parts:
            vols = gmsh.model.getEntitiesForPhysicalGroup(3, groups[part.name])
            assert len(vols) == part.count
            got = sum(gmsh.model.occ.getMass(3, int(v)) for v in vols)
            assert rel(got, part.volume() * part.count) < 1e-6, part.name
            assert {gmsh.model.getEntityName(3, int(v)) for v in vols} == {pl.name for pl in part.placements}
        shared = sum(len(gmsh.model.getAdjacencies(2, s)[0]) == 2 for _d, s in gmsh.model.getEntities(2))
        assert shared == model.shared_faces()


# ------------------------------------------------------------------------------- the solvers' model and mesh
def _box_faces(model: object, part: str) -> list[int]:
    return [unique(s.shape, TopAbs_FACE) for s in model.conformal.solids if s.part == part]  # type: ignore[attr-defined]


def test_the_solver_model_swaps_the_balls_for_a_block_and_leaves_wires_and_fingers_to_the_mold() -> None:
    """wirebond-bga from its Layout (built without the encapsulant cut): 100 balls (d 0.5, pitch 1.0, 0.4 high)
    become one 10 x 10 x 0.4 mm block; the 64 wires and 64 bond fingers are left to the mold, which then holds
    the CAD encapsulant plus their volume; every other part is the CAD part; the thin layers are boxes."""
    pkg = built("wirebond-bga")
    fem = fem_model(pkg.layout)
    got = {p.name: p.volume_mm3 for p in fem.parts}
    cad = {p.name: p.volume() * p.count for p in pkg.parts}
    left = sum(v for k, v in cad.items() if k.startswith(("wire_", "bond_finger")))
    assert set(got) == {"carrier", "die_attach", "chip", "adhesive", "heat_sink", "interface_layer", "ball_block",
                        "encapsulant"}
    assert rel(got["ball_block"], 10.0 * 10.0 * 0.4) < 1e-9
    assert rel(got["encapsulant"], cad["encapsulant"] + left) < 1e-6
    for name in ("carrier", "die_attach", "chip", "adhesive", "heat_sink", "interface_layer"):
        assert rel(got[name], cad[name]) < 1e-9, name
    for name in ("die_attach", "adhesive", "interface_layer"):
        assert _box_faces(fem, name) == [6], name  # one six-sided box each: nothing crosses them
        assert fem.part(name).thickness_mm is not None
    t = {"die_attach": 0.025, "adhesive": 0.12, "interface_layer": 0.005}
    assert {k: fem.part(k).thickness_mm for k in t} == pytest.approx(t)
    assert {"top", "chip_active", "board_side", "adhesive_bottom", "adhesive_top"} <= set(fem.faces)
    assert fem.faces["chip_active"].side == "top" and fem.faces["top"].patterns == ("interface_layer",)
    assert any("64 wires" in n and "64 bond fingers" in n for n in fem.notes)
    # every ball as its CAD solid instead: no board-side face (the balls touch the board at points)
    full = fem_model(pkg.layout, FemOptions(arrays="full"))
    assert full.n_sites == 100 and "board_side" not in full.faces


def test_a_thin_layer_a_neighbour_edge_crosses_is_cut_into_boxes_and_meshed_two_elements_thick() -> None:
    """qfn with a 3.4 mm chip on its 3.2 mm die pad: the die attach (the chip's footprint) sits partly on the pad
    and partly on the mold, so the pad's edges cross its bottom. The pipeline cuts it along x, y = +-1.6 into 9
    boxes, meshes each with 2 elements through its 25 um (nodes on 3 z levels) and the pieces hold 3.4 x 3.4 x
    0.025 mm3 exactly."""
    lay = built("qfn", "chip.size=[3.4,3.4]").layout
    fem = fem_model(lay, FemOptions())
    assert _box_faces(fem, "die_attach") == [6] * 9
    mesh, _seconds = mesh_model(fem, "coarse")
    i = mesh.part_names.index("die_attach")
    z = mesh.mesh.p[2, np.unique(mesh.mesh.t[:, mesh.part_of_element == i])]
    top = 0.203 + 0.025  # lead frame + die attach (templates/qfn.toml, spec default die attach)
    assert np.unique(np.round(z, 9)).tolist() == pytest.approx([0.203, 0.203 + 0.0125, top])
    assert mesh.volumes_mm3()["die_attach"] == pytest.approx(3.4 * 3.4 * 0.025, rel=1e-9)
    for name in ("adhesive", "interface_layer"):
        j = mesh.part_names.index(name)
        assert len(np.unique(np.round(mesh.mesh.p[2, np.unique(mesh.mesh.t[:, mesh.part_of_element == j])], 9))) == 3


def test_a_thin_layer_meshed_by_the_pipeline_has_its_shear_compliance() -> None:
    """What the mechanics needs from a bond line: a 25 um layer (E 2 GPa, nu 0.3) between two nearly rigid 2 x 2
    x 0.3 mm plates, meshed by the pipeline's mesher (2 elements through it), sheared by moving the top face
    d = 1 um along x: the force is d / (t / (G A) + the plates' 2 t_p / (G_p A)) within 1 % (measured 0.06 %
    low: the free edges' boundary layer). Assembled with scikit-fem's own linear-elasticity form, per part."""
    from scipy.sparse.linalg import spsolve
    from skfem import Basis, ElementTetP1, ElementVector, condense
    from skfem.models.elasticity import lame_parameters, linear_elasticity
    from thermal_models import box, mesh_parts

    t, tp, side, d = 0.025, 0.3, 2.0, 1e-3
    shapes = {"lo": [box(0, 0, -tp, side, side, tp)], "layer": [box(0, 0, 0, side, side, t)],
              "hi": [box(0, 0, t, side, side, tp)]}
    tm = mesh_parts(shapes, dict.fromkeys(shapes, "copper"), "coarse", thin=("layer",)).tm
    e_mpa = {"lo": 1e7, "layer": 2000.0, "hi": 1e7}
    nu = 0.3
    element = ElementVector(ElementTetP1())
    stiffness = None
    for i, name in enumerate(tm.part_names):
        basis = Basis(tm.mesh, element, elements=np.flatnonzero(tm.part_of_element == i))
        k = linear_elasticity(*lame_parameters(e_mpa[name], nu)).assemble(basis)
        stiffness = k if stiffness is None else stiffness + k
    full = Basis(tm.mesh, element)
    z = tm.mesh.p[2]
    bottom, top = np.flatnonzero(np.isclose(z, -tp)), np.flatnonzero(np.isclose(z, t + tp))
    dofs = full.nodal_dofs  # (3, n_nodes): the x, y, z dof of each node
    fixed = np.concatenate([dofs[:, bottom].ravel(), dofs[:, top].ravel()])
    u = np.zeros(full.N)
    u[dofs[0, top]] = d
    u = full.zeros() + u
    u[np.setdiff1d(np.arange(full.N), fixed)] = spsolve(*condense(stiffness, np.zeros(full.N), x=u, D=fixed)[:2])
    force = float((stiffness @ u)[dofs[0, top]].sum())  # N: MPa x mm2
    g = 2000.0 / (2 * (1 + nu))
    g_plate = 1e7 / (2 * (1 + nu))
    area = side * side
    expected = d / (t / (g * area) + 2 * tp / (g_plate * area))
    assert force == pytest.approx(expected, rel=0.01)
    layer = tm.part_names.index("layer")
    levels = np.unique(np.round(z[np.unique(tm.mesh.t[:, tm.part_of_element == layer])], 9))
    assert levels.tolist() == pytest.approx([0.0, 0.0125, 0.025])


def test_the_mesh_is_fine_at_the_adhesive_rim_and_graded_in_the_layer() -> None:
    """connecting-portion (templates/connecting-portion.toml): a 4 x 4 mm connecting portion on 30 um of adhesive
    over a 6 x 6 mm chip, so the heat crowds at the adhesive's rim (x, y = +-2 mm). The package is 12 mm across:
    at --mesh normal h = 12 / 24 = 0.5 mm, 0.25 mm round the chip, and 0.25 x 0.25 = 0.0625 mm at the rim.
    The adhesive's structured grid grows from about that at its rim to at most 0.25 mm in its middle, the chip's
    and the mold's tetrahedra at the rim are as small, and the interface layer (12 x 12 mm, its outline the
    package's, where no heat crowds) keeps its uniform 0.5 mm grid."""
    fem = fem_model(built("connecting-portion").layout, FemOptions())
    assert "adhesive" in fem.edges
    mesh, _seconds = mesh_model(fem, "normal")
    p, t = mesh.mesh.p, mesh.mesh.t

    def xs(part: str) -> np.ndarray:
        nodes = np.unique(t[:, mesh.part_of_element == mesh.part_names.index(part)])
        return np.unique(np.round(p[0, nodes], 6))

    x = xs("adhesive")
    assert x[0] == pytest.approx(-2.0) and x[-1] == pytest.approx(2.0)
    gaps = np.diff(x)
    assert gaps[0] < 0.08 and gaps[-1] < 0.08  # about 0.0625 at the rim
    assert gaps.max() <= 0.25 * 1.05  # the near-chip size in the middle
    assert np.diff(xs("interface_layer")) == pytest.approx(0.5)  # 24 cells over 12 mm
    # every adhesive and mold tetrahedron with a node on the adhesive's bottom rim is small across the rim: its
    # nodes lie within 0.2 mm of the rim line (0.07 and 0.18 measured; along the rim the field is smooth and
    # the rim's own nodes are up to 0.25 mm apart). The silicon under it is left to the Delaunay mesher, which
    # keeps tetrahedra through the chip's 0.28 mm there: silicon conducts 100x better than the adhesive.
    z0 = p[2, np.unique(t[:, mesh.part_of_element == mesh.part_names.index("adhesive")])].min()
    off = np.hypot(np.maximum(np.abs(p[0]), np.abs(p[1])) - 2.0, p[2] - z0)  # distance from the rim line
    for part in ("adhesive", "encapsulant"):
        mine = t[:, mesh.part_of_element == mesh.part_names.index(part)]
        touching = mine[:, (off[mine] < 1e-6).any(axis=0)]
        assert touching.shape[1] > 100 and off[touching].max() < 0.2, part
