"""FEM-ready geometry (issue 16): the conformal model, its STEP, and gmsh meshing it without a fragment.

Expected values come from the package's own part volumes (what manifest.json records, computed here from the
built parts), from box arithmetic, or from OCCT and gmsh reading the written files back; never from pkgcad.conformal.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import cadquery as cq
import pytest
from conftest import TEMPLATES, ExampleCounter, built, total_volume
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

from pkgcad.conformal import ConformalError, Extra, MeshCheckError, check_folder, conformal, session, to_gmsh
from pkgcad.conformal.options import DEFAULT_SIZE
from pkgcad.export.writer import write_package
from pkgcad.geometry import build_package
from pkgcad.materials import material


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


def write_conformal(template: str, out: Path, *sets: str) -> dict:
    """Build ``template`` and write STEP + manifest in conformal mode; the manifest."""
    return write_package(built(template, *sets), out / template, formats=("step",), step_mode="conformal")


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


def readme_script() -> str:
    """The python block of the README's "FEM-ready STEP" section, as users copy it."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## FEM-ready STEP"):]
    return section[section.index("```python\n") + 10:section.index("```", section.index("```python\n") + 10)]


def test_readme_script_gives_one_physical_group_per_part(tmp_path: Path) -> None:
    """The five lines in the README, run as written (paths pointed at a fresh build): gmsh imports the STEP (no
    fragment) with shared surfaces, and the groups are named after the parts, each holding that part's volume."""
    import gmsh

    script = readme_script()
    assert len(script.strip().splitlines()) == 5, script
    write_conformal("qfn", tmp_path)
    folder = tmp_path / "qfn"
    manifest = json.loads((folder / "manifest.json").read_text())
    try:
        exec(script.replace("outputs/qfn", str(folder)), {})
        groups = {gmsh.model.getPhysicalName(3, t): t for _d, t in gmsh.model.getPhysicalGroups(3)}
        assert set(groups) == {r["name"] for r in manifest["parts"]}
        for row in manifest["parts"]:
            vols = gmsh.model.getEntitiesForPhysicalGroup(3, groups[row["name"]])
            got = sum(gmsh.model.occ.getMass(3, int(v)) for v in vols)
            assert rel(got, row["volume_total_mm3"]) < 1e-6, row["name"]
        shared = sum(len(gmsh.model.getAdjacencies(2, s)[0]) == 2 for _d, s in gmsh.model.getEntities(2))
        assert shared == manifest["conformal"]["shared_faces"] > 0
    finally:
        gmsh.finalize()


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
    write_package(build_package(lay), out, formats=("step",), step_mode="conformal")
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


def test_model_goes_into_gmsh_in_process() -> None:
    """What `pkgcad thermal` does: the model straight into gmsh (BREP, no file left behind), volumes named by
    instance, one physical group per part holding that part's volume, contacts shared."""
    pkg = built("qfn-buffer-pad")
    model = conformal(pkg)
    with session() as gmsh:
        got_parts = to_gmsh(model, gmsh)
        groups = got_parts.groups
        assert set(groups) == {p.name for p in pkg.parts}
        assert got_parts.materials == {p.name: p.material for p in pkg.parts}
        for part in pkg.parts:
            vols = gmsh.model.getEntitiesForPhysicalGroup(3, groups[part.name])
            assert len(vols) == part.count
            got = sum(gmsh.model.occ.getMass(3, int(v)) for v in vols)
            assert rel(got, part.volume() * part.count) < 1e-6, part.name
            assert {gmsh.model.getEntityName(3, int(v)) for v in vols} == {pl.name for pl in part.placements}
        shared = sum(len(gmsh.model.getAdjacencies(2, s)[0]) == 2 for _d, s in gmsh.model.getEntities(2))
        assert shared == model.shared_faces()


def test_layout_goes_into_gmsh_without_the_tiled_cut() -> None:
    """`pkgcad thermal` may start from a Layout: the parts are built without the encapsulant cut, the model
    makes the encapsulant from the envelope, and it holds what the exporters' cut encapsulant holds. With
    ``groups=False`` no physical group exists yet (thermal fragments a board block first) and ``volumes``
    gives the tags per part."""
    pkg = built("qfn")
    with session() as gmsh:
        got = to_gmsh(pkg.layout, gmsh, groups=False)
        assert gmsh.model.getPhysicalGroups(3) == [] and got.groups == {}
        assert set(got.volumes) == {p.name for p in pkg.parts}
        for part in pkg.parts:
            vol = sum(gmsh.model.occ.getMass(3, t) for t in got.volumes[part.name])
            assert rel(vol, part.volume() * part.count) < 1e-6, part.name
        assert len(gmsh.model.getEntities(3)) == len(got.model)
