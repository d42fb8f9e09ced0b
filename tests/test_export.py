"""Written files: manifest, per-part STL (instanced and every instance), STEP (names, colours, units, instancing),
GLB, 3MF, and atomic writing.

Files are written once per template per test process (module fixture) and read back, never trusted from the
builder's side.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cadquery as cq
import numpy as np
import pytest
import trimesh
from conftest import built, rel_close, require_tool
from OCP.BRep import BRep_Tool
from OCP.TopLoc import TopLoc_Location
from pkgdist import require_npm

from pkgcad import __version__
from pkgcad.claims import claims_of_spec
from pkgcad.export import step as export_step
from pkgcad.export import writer as export_writer
from pkgcad.export.options import QUALITIES
from pkgcad.export.threemf import hex_color, read_3mf
from pkgcad.export.writer import FORMATS, write_package
from pkgcad.geometry import build_package
from pkgcad.materials import material
from pkgcad.package import Package
from pkgcad.reader.folder import load_output, read_corners
from pkgcad.templates import load_layout
from pkgcad.tessellate import shape_mesh, tiled_mesh

WRITTEN = ("qfn", "flipchip-bga")


Written = tuple[Package, Path, dict[str, Any]]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Written]:
    """``written(template)`` -> (package, output folder, manifest returned by write_package); each template is
    written once per test process, on first use."""
    root = tmp_path_factory.mktemp("written")
    cache: dict[str, Written] = {}

    def get(template: str) -> Written:
        if template not in cache:
            pkg = built(template)
            cache[template] = (pkg, root / template, write_package(pkg, root / template))
        return cache[template]

    return get


@pytest.fixture(scope="module")
def expanded(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Written]:
    """``expanded(template)``: as ``written``, with ``--stl all`` (every instance in the part files and the
    whole-package STL)."""
    root = tmp_path_factory.mktemp("expanded")
    cache: dict[str, Written] = {}

    def get(template: str) -> Written:
        if template not in cache:
            pkg = built(template)
            cache[template] = (pkg, root / template, write_package(pkg, root / template, stl="all"))
        return cache[template]

    return get


def _manifest(out: Path) -> dict[str, Any]:
    return json.loads((out / "manifest.json").read_text())


# ------------------------------------------------------------------------------------------- manifest
@pytest.mark.parametrize("template", WRITTEN)
def test_files_match_manifest(template: str, written: Callable[[str], Written]) -> None:
    pkg, out, returned = written(template)
    data = _manifest(out)
    assert data == json.loads(json.dumps(returned))
    on_disk = {str(p.relative_to(out)): p.stat().st_size for p in out.rglob("*") if p.is_file()}
    assert on_disk.pop("manifest.json") > 0
    assert on_disk.pop(".pkgcad") > 0  # the output guard's stamp (pkgcad.export.outpath), not a model file
    listed = {f["path"]: f["bytes"] for f in data["files"]}
    assert listed == on_disk
    name = pkg.name
    groups = {p.group for p in pkg.parts}
    assert set(listed) == {f"{name}.step", f"{name}.glb", f"{name}.3mf"} | {f"parts/{g}.stl" for g in groups}
    assert all(n > 0 for n in listed.values())
    # nothing else beside the output folder
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("template", WRITTEN)
def test_manifest_content(template: str, written: Callable[[str], Written]) -> None:
    pkg, out, _ = written(template)
    data = _manifest(out)
    spec = pkg.spec
    assert data["units"]["length"] == "mm"
    assert data["name"] == template and data["claims"] == list(claims_of_spec(spec))
    assert data["parameters"]["carrier"]["size"] == list(spec.carrier.size)
    assert data["totals"]["instances"] == sum(p.count for p in pkg.parts)
    rows = {r["name"]: r for r in data["parts"]}
    assert list(rows) == [p.name for p in pkg.parts]
    for part in pkg.parts:
        r = rows[part.name]
        assert r["count"] == part.count and r["instances"] == [pl.name for pl in part.placements]
        assert r["volume_total_mm3"] == pytest.approx(r["volume_mm3"] * r["count"], abs=1e-9 * (r["count"] + 1))
        assert r["mass_g"] == pytest.approx(material(part.material).density_g_cm3 * r["volume_total_mm3"] / 1000,
                                            rel=1e-6, abs=2e-9)
    sx, sy = spec.carrier.size
    for name in ("heat_sink", "interface_layer", "encapsulant"):
        lo, hi = rows[name]["bbox_mm"]
        assert lo[:2] == pytest.approx([-sx / 2, -sy / 2], abs=1e-6) and hi[:2] == pytest.approx([sx / 2, sy / 2],
                                                                                                 abs=1e-6)
    assert data["totals"]["volume_mm3"] == pytest.approx(sum(r["volume_total_mm3"] for r in rows.values()), abs=1e-5)
    if spec.wirebond:
        assert [w["name"] for w in data["layout"]["wires"]] == [f"wire_{i:03d}" for i in range(spec.wires.count)]
    assert data["stack_mm"]["interface_top"] > data["stack_mm"]["second_surface"] > data["stack_mm"]["first_surface"]


# ------------------------------------------------------------------------------------------------ STL
def _group_volumes(data: dict[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for r in data["parts"]:
        out[r["group"]] = out.get(r["group"], 0.0) + r["volume_total_mm3"]
    return out


def _check_stls(out: Path, data: dict[str, Any], rel: float | None) -> None:
    """Every parts/*.stl is closed, consistently wound, of positive volume; its volume is the manifest's within
    ``rel`` (or, if None, within the quality's chordal deviation times the mesh area)."""
    want = _group_volumes(data)
    linear = data["mesh_quality"]["linear_mm"]
    stls = sorted((out / "parts").glob("*.stl"))
    assert {p.stem for p in stls} == set(want)
    for path in stls:
        assert path.read_bytes()[:80].decode().startswith("pkgcad ")
        assert "units=mm" in path.read_bytes()[:80].decode()
        mesh = trimesh.load(path, file_type="stl", force="mesh")
        assert mesh.is_watertight, path.name
        assert mesh.is_winding_consistent, path.name
        assert mesh.volume > 0, path.name
        v, w = float(mesh.volume), want[path.stem]
        bound = rel * w if rel is not None else linear * float(mesh.area)
        assert abs(v - w) <= bound, f"{path.name}: mesh {v:.6g} mm^3, exact {w:.6g} mm^3 (allowed {bound:.3g})"


@pytest.mark.parametrize("template", WRITTEN)
def test_part_stls_closed_and_within_chordal_deviation(template: str, expanded: Callable[[str], Written]) -> None:
    _pkg, out, _ = expanded(template)
    _check_stls(out, _manifest(out), None)


def test_part_stls_fine_quality_within_one_percent(tmp_path: Path) -> None:
    pkg = built("qfn")
    data = write_package(pkg, tmp_path / "fine", QUALITIES["fine"], formats=("stl",), stl="all")
    assert {f["path"] for f in data["files"]} == {"qfn.stl"} | {f"parts/{g}.stl" for g in {p.group for p in pkg.parts}}
    _check_stls(tmp_path / "fine", data, 0.01)


@pytest.mark.slow
def test_part_stls_fine_quality_within_one_percent_flipchip(tmp_path: Path) -> None:
    data = write_package(built("flipchip-bga"), tmp_path / "fine", QUALITIES["fine"], formats=("stl",), stl="all")
    _check_stls(tmp_path / "fine", data, 0.01)


@pytest.mark.parametrize("template", WRITTEN)
def test_whole_stl_holds_every_part(template: str, expanded: Callable[[str], Written]) -> None:
    _pkg, out, _ = expanded(template)
    whole = trimesh.load(out / f"{template}.stl", file_type="stl", force="mesh", process=False)
    parts = [trimesh.load(p, file_type="stl", force="mesh", process=False) for p in (out / "parts").glob("*.stl")]
    assert len(whole.faces) == sum(len(p.faces) for p in parts)


def _same_triangles(a: np.ndarray, b: np.ndarray) -> float:
    """How far [mm] the (n, 3, 3) triangles ``a`` are from ``b`` in another order: each matched to the nearest
    triangle of ``b`` (its three corners in order: touching parts' coincident triangles run opposite ways), a
    one-to-one match or inf, the largest corner distance."""
    from scipy.spatial import cKDTree

    if a.shape != b.shape:
        return float("inf")
    _d, match = cKDTree(b.reshape(-1, 9)).query(a.reshape(-1, 9))
    if len(np.unique(match)) != len(match):
        return float("inf")
    return float(np.abs(a - b[match]).max())


@pytest.mark.parametrize("template", WRITTEN)
def test_instanced_part_files_are_the_every_instance_files(template: str, written: Callable[[str], Written],
                                                          expanded: Callable[[str], Written]) -> None:
    """The default part files (``--stl instanced``) hold each distinct mesh ONCE (one bump of 400, each distinct
    tile piece of the encapsulant once); placed as manifest.json says, they are the every-instance files
    (``--stl all``) triangle for triangle, within 1e-5 mm (those snap the tile seams onto the tile lines), and
    each group is one closed mesh."""
    _pkg, out, data = written(template)
    full = expanded(template)[1]
    model = load_output(out)
    groups = {r["group"] for r in data["parts"]}
    assert set(model.meshes) == groups
    assert data["parts_layout"] == "instanced" and data["stl"] == "instanced"
    for group in groups:
        rows = [r for r in data["parts"] if r["group"] == group]
        head = (out / "parts" / f"{group}.stl").read_bytes()[:80].decode()
        assert "each mesh once" in head and head.rstrip().endswith("units=mm")
        once, every = read_corners(out / "parts" / f"{group}.stl"), read_corners(full / "parts" / f"{group}.stl")
        assert len(once) == sum(sum(r["tiles"]["piece_triangles"]) if "tiles" in r else r["triangles"] for r in rows)
        assert len(every) == sum(r["triangles"] * r["count"] for r in rows)
        mesh = model.meshes[group]
        placed = np.asarray(mesh.vertices)[np.asarray(mesh.faces)]
        assert placed.shape == every.shape, group
        assert _same_triangles(placed, every.astype(np.float64)) <= 1e-5, group
        assert mesh.is_watertight and mesh.is_winding_consistent, group
    once_bytes = sum(f["bytes"] for f in data["files"] if f["path"].startswith("parts/"))
    every_bytes = sum(f["bytes"] for f in expanded(template)[2]["files"] if f["path"].startswith("parts/"))
    assert once_bytes < every_bytes / (3 if template == "flipchip-bga" else 1.5)


def test_stl_whole_writes_the_whole_package_beside_instanced_parts(tmp_path: Path,
                                                                  expanded: Callable[[str], Written]) -> None:
    """``--stl whole``: instanced part files (what check reads) and ``<name>.stl`` with every instance, the same
    triangles as ``--stl all``'s whole-package file; ``--stl parts``: every instance in parts/, no whole file."""
    pkg, full, _ = expanded("flipchip-bga")
    data = write_package(pkg, tmp_path / "whole", formats=("stl",), stl="whole")
    assert data["parts_layout"] == "instanced"
    whole = read_corners(tmp_path / "whole" / "flipchip-bga.stl")
    want = read_corners(full / "flipchip-bga.stl")
    assert whole.shape == want.shape
    assert _same_triangles(whole.astype(float), want.astype(float)) <= 1e-5
    data = write_package(pkg, tmp_path / "parts", formats=("stl",), stl="parts")
    assert data["parts_layout"] == "every instance"
    assert not (tmp_path / "parts" / "flipchip-bga.stl").exists()
    assert (tmp_path / "parts" / "parts" / "bumps.stl").read_bytes() == (full / "parts" / "bumps.stl").read_bytes()


# ------------------------------------------------------------------------------------------------ 3MF
Objects3MF = dict[int, tuple[str, np.ndarray, np.ndarray, bool]]


def _lib3mf(path: Path) -> tuple[int, Objects3MF, list[tuple[int, np.ndarray]]]:
    """A 3MF read by lib3mf (the 3MF Consortium's library): its warnings, its mesh objects by resource id (name,
    vertices, triangles, manifold and oriented) and every component (the mesh it places, a 4 x 4 column-vector
    matrix, mm)."""
    import lib3mf

    model = lib3mf.get_wrapper().CreateModel()
    reader = model.QueryReader("3mf")
    reader.ReadFromFile(str(path))
    meshes = {}
    it = model.GetMeshObjects()
    while it.MoveNext():
        o = it.GetCurrentMeshObject()
        v = np.array([list(p.Coordinates) for p in o.GetVertices()])
        f = np.array([list(t.Indices) for t in o.GetTriangleIndices()])
        meshes[o.GetUniqueResourceID()] = (o.GetName(), v, f, o.IsManifoldAndOriented())
    placed = []
    objs = model.GetComponentsObjects()
    while objs.MoveNext():
        c = objs.GetCurrentComponentsObject()
        for i in range(c.GetComponentCount()):
            comp = c.GetComponent(i)
            rows = np.array([list(r) for r in comp.GetTransform().Fields])  # 3MF: row vectors, translation last
            m = np.eye(4)
            m[:3, :3], m[:3, 3] = rows[:3].T, rows[3]
            placed.append((comp.GetObjectResourceID(), m))
    return reader.GetWarningCount(), meshes, placed


@pytest.mark.parametrize("template", WRITTEN)
def test_3mf_holds_each_mesh_once_placed_by_components(template: str, written: Callable[[str], Written]) -> None:
    """``<name>.3mf``, read by lib3mf: no warning; one manifold, outward mesh object per distinct mesh (a tiled
    encapsulant: its distinct tiles, closed) in its material's colour, placed by components at every instance
    and tile; placed, the meshes hold the package's volume (the manifest's, within the chordal deviation) and
    span the carrier."""
    pkg, out, data = written(template)
    warnings, meshes, placed = _lib3mf(out / f"{template}.3mf")
    assert warnings == 0
    assert len(meshes) == sum(len(p.tiling.shapes) if p.tiling else 1 for p in pkg.parts)
    assert all(ok for _n, _v, _f, ok in meshes.values())
    assert {o.color for o in read_3mf(out / f"{template}.3mf")} == {hex_color(material(p.material).color)
                                                                     for p in pkg.parts}
    assert len(placed) == sum(p.count * (len(p.tiling.uses) if p.tiling else 1) for p in pkg.parts)
    volumes = {k: float(np.einsum("ij,ij->", v[f[:, 0]], np.cross(v[f[:, 1]], v[f[:, 2]]))) / 6
               for k, (_n, v, f, _ok) in meshes.items()}
    assert sum(volumes[k] for k, _m in placed) == pytest.approx(data["totals"]["volume_mm3"], rel=5e-3)
    corners = np.concatenate([meshes[k][1] @ m[:3, :3].T + m[:3, 3] for k, m in placed])
    sx, sy = pkg.spec.carrier.size
    lo, hi = corners.min(axis=0), corners.max(axis=0)
    assert [lo[0], lo[1], hi[0], hi[1]] == pytest.approx([-sx / 2, -sy / 2, sx / 2, sy / 2], abs=1e-5)
    bump = next((p for p in pkg.parts if p.count > 1), None)
    if bump is not None:  # one mesh object, placed where each instance is
        name = bump.name
        (key,) = [k for k, (n, _v, _f, _ok) in meshes.items() if n == name]
        at = np.array([m[:3, 3] for k, m in placed if k == key])
        assert np.allclose(at, [[pl.x, pl.y, pl.z] for pl in bump.placements], atol=1e-6)


def test_prusaslicer_reads_the_3mf(written: Callable[[str], Written]) -> None:
    """PrusaSlicer (Debian's prusa-slicer, .ci/run installs it) opens the 3MF: every component an object, each
    manifold, their volumes the package's."""
    exe = shutil.which("prusa-slicer")
    require_tool(exe, "prusa-slicer is not installed (apt-get install prusa-slicer; .ci/run does it)")
    assert exe
    pkg, out, data = written("flipchip-bga")
    res = subprocess.run([exe, "--info", str(out / "flipchip-bga.3mf")], capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    info = [ln.split("=") for ln in res.stdout.splitlines() if "=" in ln]
    manifold = [v.strip() for k, v in info if k.strip() == "manifold"]
    volumes = [float(v) for k, v in info if k.strip() == "volume"]
    assert len(manifold) == sum(p.count * (len(p.tiling.uses) if p.tiling else 1) for p in pkg.parts)
    assert set(manifold) == {"yes"}
    assert sum(volumes) == pytest.approx(data["totals"]["volume_mm3"], rel=5e-3)


# ------------------------------------------------------------------------------------------------ glTF
def test_gltf_validator_accepts_the_glb(tmp_path: Path, written: Callable[[str], Written]) -> None:
    """The Khronos glTF validator (npm gltf-validator, pinned in tests/gltf/package-lock.json) finds no error
    and no warning in the GLB of a plain and of a tiled model."""
    npm = require_npm()
    node = shutil.which("node")
    assert node, "npm without node"
    work = tmp_path / "gltf"
    shutil.copytree(Path(__file__).parent / "gltf", work)
    res = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error", "--prefer-offline"], cwd=work,
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    paths = [str(written(t)[1] / f"{t}.glb") for t in WRITTEN]
    res = subprocess.run([node, "validate.mjs", *paths], cwd=work, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    reports = [json.loads(line) for line in res.stdout.splitlines()]
    assert [r["path"] for r in reports] == paths
    for r in reports:
        assert (r["errors"], r["warnings"]) == (0, 0), r["messages"]
        assert r["info"]["totalTriangleCount"] > 0


# ----------------------------------------------------------------------------------------------- STEP
@pytest.mark.parametrize("template", WRITTEN)
def test_step_reimports(template: str, written: Callable[[str], Written]) -> None:
    pkg, out, _ = written(template)
    data = _manifest(out)
    shape = cq.importers.importStep(str(out / f"{template}.step")).val()
    solids = shape.Solids()
    assert data["totals"]["instances"] == sum(p.count for p in pkg.parts)
    # one solid per instance; a tiled encapsulant is one solid per tile
    assert len(solids) == sum(p.count * len(p.tiling.uses if p.tiling else [0]) for p in pkg.parts)
    assert sum(s.Volume() for s in solids) == pytest.approx(data["totals"]["volume_mm3"], rel=1e-6)
    for s in solids[:: max(1, len(solids) // 40)]:
        assert s.isValid()
    bb = shape.BoundingBox()
    sx, sy = pkg.spec.carrier.size
    assert [bb.xmin, bb.ymin, bb.xmax, bb.ymax] == pytest.approx([-sx / 2, -sy / 2, sx / 2, sy / 2], abs=1e-3)
    assert bb.zmax == pytest.approx(data["stack_mm"]["interface_top"], abs=1e-3)


@pytest.mark.parametrize("template", WRITTEN)
def test_step_text_names_colours_units_instancing(template: str, written: Callable[[str], Written]) -> None:
    pkg, out, _ = written(template)
    text = (out / f"{template}.step").read_text(encoding="latin-1")
    for name in ("heat_sink", "interface_layer", "encapsulant", "chip", "adhesive", template):
        assert f"PRODUCT('{name}'" in text, name
    assert "SI_UNIT(.MILLI.,.METRE.)" in text
    assert "units: millimetre" in text
    # every instance is a named assembly occurrence
    nauo = re.findall(r"NEXT_ASSEMBLY_USAGE_OCCURRENCE\('[^']*','([^']*)'", text)
    tiles = [f"{p.name}_tile_{i:04d}" for p in pkg.parts if p.tiling for i in range(len(p.tiling.uses))]
    assert sorted(nauo) == sorted([pl.name for p in pkg.parts for pl in p.placements] + tiles)
    # a repeated part is ONE product (named after its first instance), referenced count times; a tiled part
    # is an assembly product holding one product per distinct tile
    products = re.findall(r"PRODUCT\('([^']*)'", text)
    distinct = sum(len(p.tiling.shapes) for p in pkg.parts if p.tiling)
    assert len(products) == len(pkg.parts) + 1 + distinct  # + the root assembly
    for part in pkg.parts:
        assert products.count(part.placements[0].name) == 1
    # one colour per material, as in the materials table
    colours = {tuple(round(float(c), 3) for c in m) for m in
               re.findall(r"COLOUR_RGB\('[^']*',([-\d.E+]+),([-\d.E+]+),([-\d.E+]+)\)", text)}
    assert colours == {tuple(round(c, 3) for c in material(p.material).color) for p in pkg.parts}


def test_step_instancing_of_bumps_and_wires(written: Callable[[str], Written]) -> None:
    text = (written("flipchip-bga")[1] / "flipchip-bga.step").read_text(encoding="latin-1")
    assert len(re.findall(r"PRODUCT\('bump_", text)) == 1
    assert "PRODUCT('bump_0000'" in text
    assert re.search(r"NEXT_ASSEMBLY_USAGE_OCCURRENCE\('[^']*','bump_0399'", text)
    assert len(re.findall(r"NEXT_ASSEMBLY_USAGE_OCCURRENCE\('[^']*','bump_\d{4}'", text)) == 400
    qfn = (written("qfn")[1] / "qfn.step").read_text(encoding="latin-1")
    assert re.search(r"NEXT_ASSEMBLY_USAGE_OCCURRENCE\('[^']*','wire_017'", qfn)
    assert len(re.findall(r"PRODUCT\('wire_", qfn)) == len([p for p in written("qfn")[0].parts if p.role == "wire"])
    assert len(re.findall(r"PRODUCT\('lead_", qfn)) == 1


def test_step_tiled_encapsulant_is_instanced(written: Callable[[str], Written]) -> None:
    """flipchip-bga's 400 bump cavities are cut in congruent tiles: each distinct tile is ONE product, placed at
    every tile it stands for, and the tiles together hold every cavity's spherical face."""
    pkg, out, _ = written("flipchip-bga")
    tiling = pkg.part("encapsulant").tiling
    assert tiling is not None and len(tiling.shapes) < len(tiling.uses)
    text = (out / "flipchip-bga.step").read_text(encoding="latin-1")
    uses = re.findall(r"NEXT_ASSEMBLY_USAGE_OCCURRENCE\('[^']*','encapsulant_tile_\d{4}'", text)
    assert len(uses) == len(tiling.uses)
    tile_products = re.findall(r"PRODUCT\('(encapsulant_tile_\d{4})'", text)
    assert len(tile_products) == len(tiling.shapes)
    holes = sum(len([f for f in tiling.shapes[k].Faces() if f.geomType() == "SPHERE"]) for k, _x, _y in tiling.uses)
    assert holes == 400


def test_step_solid_mode_writes_one_encapsulant(tmp_path: Path) -> None:
    """--step-mode solid: the tiles glued into ONE valid encapsulant solid, same volume as the tiles."""
    pkg = built("flipchip-bga")
    write_package(pkg, tmp_path / "solid", formats=("step",), step_mode="solid")
    shape = cq.importers.importStep(str(tmp_path / "solid" / "flipchip-bga.step")).val()
    assert len(shape.Solids()) == sum(p.count for p in pkg.parts)
    enc = max(shape.Solids(), key=lambda s: len(s.Faces()))  # the one with 400 cavities
    assert enc.isValid()
    assert enc.Volume() == pytest.approx(pkg.part("encapsulant").volume(), rel=1e-9)
    assert len([f for f in enc.Faces() if f.geomType() == "SPHERE"]) == 400


def test_tiled_mesh_is_the_glued_solid_mesh(written: Callable[[str], Written]) -> None:
    """The encapsulant mesh made from its distinct tiles is closed, one body, and encloses the volume of the
    glued solid's own mesh and of the B-rep."""
    pkg, _out, _ = written("flipchip-bga")
    part = pkg.part("encapsulant")
    assert part.tiling is not None
    made = tiled_mesh(part.tiling, QUALITIES["normal"])
    assert made is not None
    tiled = made.mesh
    assert tiled.is_watertight and tiled.is_winding_consistent and tiled.body_count == 1
    whole = shape_mesh(part.solid(), QUALITIES["normal"])
    assert tiled.volume == pytest.approx(whole.volume, rel=1e-9)
    assert tiled.volume == pytest.approx(part.volume(), rel=2e-3)
    assert np.allclose(tiled.bounds, whole.bounds, atol=1e-9)


def test_step_file_smaller_thanks_to_instancing(written: Callable[[str], Written]) -> None:
    """400 bumps as one definition: the file grows by far less than 400 bump breps."""
    text = (written("flipchip-bga")[1] / "flipchip-bga.step").read_text(encoding="latin-1")
    assert text.count("SPHERICAL_SURFACE") <= 2 + 2 * 400  # one bump + one ball + the encapsulant's holes


@pytest.fixture(scope="module")
def in_lines(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """flipchip-bga's STEP with its 400 bumps (20 x 20) and 64 balls written in lines, as a part placed more than
    5,000 times is (the threshold lowered to 50 here: a 5,000-bump model takes long to read back)."""
    path = tmp_path_factory.mktemp("lines") / "flipchip-bga.step"
    old = export_step.LINES_OVER
    export_step.LINES_OVER = 50
    try:
        export_step.write_step(built("flipchip-bga"), path)
    finally:
        export_step.LINES_OVER = old
    return path


def test_step_in_lines_places_every_bump(in_lines: Path) -> None:
    """Two-level instancing: a line assembly per distinct column of the array (``bump_line``, the bump placed
    at each offset as ``bump[j]``), an occurrence per column named by its first and last instance; read back by
    OCCT, a solid at every placement of every bump and ball, the volume the package's."""
    pkg = built("flipchip-bga")
    text = in_lines.read_text(encoding="latin-1")
    nauo = re.findall(r"NEXT_ASSEMBLY_USAGE_OCCURRENCE\('[^']*','([^']*)'", text)
    assert "bump_0000..bump_0019" in nauo and "bump_0380..bump_0399" in nauo
    assert sum(n.startswith("bump_") and ".." in n for n in nauo) == 20
    assert sorted(n for n in nauo if n.startswith("bump[")) == sorted(f"bump[{j}]" for j in range(20))
    assert "PRODUCT('bump_line'" in text and "PRODUCT('ball_line'" in text
    assert len(re.findall(r"NEXT_ASSEMBLY_USAGE_OCCURRENCE", text)) < 200  # not 400 + 64 + ...
    shape = cq.importers.importStep(str(in_lines)).val()
    solids = shape.Solids()
    assert len(solids) == sum(p.count * (len(p.tiling.uses) if p.tiling else 1) for p in pkg.parts)
    volume = pkg.part("bump").volume()
    centres = np.array([s.Center().toTuple() for s in solids if abs(s.Volume() - volume) < 1e-9 * (1 + volume)])
    want = np.array([[pl.x, pl.y] for pl in pkg.part("bump").placements])
    assert len(centres) == len(want)
    got = np.round(centres[:, :2], 6)
    got, want = got[np.lexsort((got[:, 1], got[:, 0]))], np.round(want, 6)
    assert np.allclose(got, want[np.lexsort((want[:, 1], want[:, 0]))], atol=1e-6)
    assert sum(s.Volume() for s in solids) == pytest.approx(sum(p.volume() * p.count for p in pkg.parts), rel=1e-6)


@pytest.mark.slow
def test_freecad_reads_the_step_in_lines(in_lines: Path, tmp_path: Path) -> None:
    """FreeCAD (``freecadcmd``, Debian's freecad 0.20) reads the two-level STEP: a solid per instance and tile,
    the package's volume."""
    exe = shutil.which("freecadcmd")
    require_tool(exe, "freecadcmd (Debian: apt-get install --no-install-recommends freecad)")
    assert exe
    pkg = built("flipchip-bga")
    script = tmp_path / "probe.py"
    out = tmp_path / "out.json"
    script.write_text(f"import json, Part\nshape = Part.read({str(in_lines)!r})\n"
                      f"json.dump({{'solids': len(shape.Solids), 'volume': shape.Volume}}, open({str(out)!r}, 'w'))\n")
    res = subprocess.run([exe, str(script)], capture_output=True, text=True, timeout=600)
    assert out.is_file(), res.stdout[-2000:] + res.stderr[-2000:]
    got = json.loads(out.read_text())
    assert got["solids"] == sum(p.count * (len(p.tiling.uses) if p.tiling else 1) for p in pkg.parts)
    assert got["volume"] == pytest.approx(sum(p.volume() * p.count for p in pkg.parts), rel=1e-6)


# ------------------------------------------------------------------------------------------------ GLB
@pytest.mark.parametrize("template", WRITTEN)
def test_glb_nodes_and_scale(template: str, written: Callable[[str], Written]) -> None:
    pkg, out, _ = written(template)
    scene = trimesh.load(out / f"{template}.glb")
    assert isinstance(scene, trimesh.Scene)
    nodes = set(scene.graph.nodes)
    for part in pkg.parts:
        for pl in part.placements:
            assert pl.name in nodes, pl.name
    # one node with geometry per instance; a tiled part's instance holds one node per tile instead
    instanced = [n for n in scene.graph.nodes_geometry]
    assert len(instanced) == sum(p.count * len(p.tiling.uses if p.tiling else [0]) for p in pkg.parts)
    plain = [p for p in pkg.parts if p.tiling is None]
    assert set(scene.geometry) >= {p.name for p in plain}
    # millimetres under a root scaled to metres
    sx, sy = pkg.spec.carrier.size
    lo, hi = scene.bounds
    assert [lo[0], lo[1], hi[0], hi[1]] == pytest.approx([-sx / 2e3, -sy / 2e3, sx / 2e3, sy / 2e3], rel=1e-3)
    # one node per instance, placed where the part's placement says
    for part in pkg.parts:
        pl = part.placements[-1]
        matrix, geom = scene.graph[pl.name]
        assert geom == (part.name if part.tiling is None else None)
        assert np.allclose(matrix[:3, 3], np.array([pl.x, pl.y, pl.z]) * 1e-3, atol=1e-9)


def test_glb_tiled_encapsulant_is_instanced_and_closed(written: Callable[[str], Written],
                                                     expanded: Callable[[str], Written]) -> None:
    """flipchip-bga's encapsulant in the GLB: fewer meshes than tiles, and the tiles' triangles together are the
    welded STL mesh's (the faces between tiles dropped): same triangle count, same volume, closed once welded."""
    pkg, out, _ = written("flipchip-bga")
    tiling = pkg.part("encapsulant").tiling
    assert tiling is not None
    scene = trimesh.load(out / "flipchip-bga.glb")
    assert isinstance(scene, trimesh.Scene)
    tile_nodes = [n for n in scene.graph.nodes_geometry if n.startswith("encapsulant_tile_")]
    assert len(tile_nodes) == len(tiling.uses)
    used = {scene.graph[n][1] for n in tile_nodes}
    assert len(used) < len(tile_nodes)
    parts = []
    for n in tile_nodes:
        matrix, geom = scene.graph[n]
        parts.append(scene.geometry[geom].copy().apply_transform(np.diag([1e3, 1e3, 1e3, 1.0]) @ matrix))
    whole = trimesh.util.concatenate(parts)
    whole.merge_vertices(digits_vertex=6)
    stl = trimesh.load(expanded("flipchip-bga")[1] / "parts" / "encapsulant.stl")
    assert len(whole.faces) == len(stl.faces)
    assert whole.is_watertight
    assert whole.volume == pytest.approx(stl.volume, rel=1e-6)


# ------------------------------------------------------------------------------------------- atomicity
def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(export_writer, "write_step", boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_package(built("qfn"), tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_the_old_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    write_package(built("qfn"), out, formats=("step",))
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("late failure")

    monkeypatch.setattr(export_writer, "write_stl", boom)  # fails after the STEP is already written
    with pytest.raises(RuntimeError):
        write_package(built("qfn"), out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert _leftovers(tmp_path) == []


def test_rebuild_replaces_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_package(built("qfn"), out, formats=("step", "stl"))  # an earlier build, with parts/
    data = write_package(built("qfn"), out, formats=("step",))
    assert not (out / "parts").exists()
    assert sorted(p.name for p in out.iterdir()) == [".pkgcad", "manifest.json", "qfn.step"]
    assert [f["path"] for f in data["files"]] == ["qfn.step"]
    assert _leftovers(tmp_path) == []
    # and once more over the fresh one
    write_package(built("qfn"), out, formats=("step",))
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("text, encoded", [
    ("plain", "plain"),
    ("it's", "it's"),  # OCCT doubles the quote when it writes the string
    ("a\\b", "a\\X2\\005C\\X0\\b"),  # a backslash would open a control directive: encoded too
    ("c:\\X2\\temp", "c:\\X2\\005C\\X0\\X2\\X2\\005C\\X0\\temp"),
    ("\u2014", "\\X2\\2014\\X0\\"),
    ("caf\u00e9 \u00b5m", "caf\\X2\\00E9\\X0\\ \\X2\\00B5\\X0\\m"),
    ("\u6563\u71b1", "\\X2\\656371B1\\X0\\"),
    ("x\U0001F600\u00e9", "x\\X4\\0001F600\\X0\\\\X2\\00E9\\X0\\"),
])
def test_step_header_string_encoding(text: str, encoded: str) -> None:
    """ISO 10303-21 §6.4.3: strings are printable ASCII, the rest in \\X2\\ / \\X4\\ runs. What OCCT's header
    model is given: it doubles quotes itself, and keeps the control directives."""
    assert export_step.header_string(text) == encoded
    assert encoded.isascii()


def test_non_latin1_title_exports(tmp_path: Path) -> None:
    """A title outside Latin-1 goes into the STEP header ISO 10303-21-encoded, and OCCT reads it back."""
    from OCP.APIHeaderSection import APIHeaderSection_MakeHeader
    from OCP.IFSelect import IFSelect_ReturnStatus
    from OCP.STEPControl import STEPControl_Reader

    title = "QFN-32 \u2014 it's caf\u00e9 \\ c:\\X2\\temp \u6563\u71b1 \U0001F600"
    pkg = built("qfn", f'meta.title="{title.replace(chr(92), chr(92) * 2)}"')
    assert pkg.spec.meta.title == title
    write_package(pkg, tmp_path / "out", formats=("step",))
    path = tmp_path / "out" / "qfn.step"
    head = path.read_bytes().partition(b"ENDSEC;")[0]
    assert head.isascii() and b"\\X2\\2014\\X0\\" in head
    reader = STEPControl_Reader()
    assert reader.ReadFile(str(path)) == IFSelect_ReturnStatus.IFSelect_RetDone
    desc = APIHeaderSection_MakeHeader(reader.StepModel()).DescriptionValue(1).ToCString()
    assert desc == f"pkgcad {__version__}: qfn; {title}; units: millimetre"
    model = cq.importers.importStep(str(path))
    assert model.solids().size() == sum(p.count for p in pkg.parts)


@pytest.mark.parametrize("formats, step_mode", [(("step",), "assembly"), (FORMATS, "fused")])
def test_writing_leaves_the_package_untouched(tmp_path: Path, formats: tuple[str, ...], step_mode: str) -> None:
    """write_package used to mesh every part (the manifest's fallback box was cq's non-optimal BoundBox, which
    meshes the shape and leaves the triangulation on it), after which OCCT boxes followed the mesh (qfn wire
    zmin -0.22509 instead of -0.225 mm)."""
    pkg = build_package(load_layout("qfn"))  # a private package: the shared cached one is already written
    wire = pkg.part("wire_a").shape
    before = wire.BoundingBox()
    data = write_package(pkg, tmp_path / "out", formats=formats, step_mode=step_mode)
    after = wire.BoundingBox()
    assert (after.zmin, after.zmax) == (before.zmin, before.zmax)
    for part in pkg.parts:
        assert all(BRep_Tool.Triangulation_s(f.wrapped, TopLoc_Location()) is None for f in part.shape.Faces()), \
            part.name
    if "stl" in formats:
        return
    # with no mesh written, the manifest's box comes from the exact geometry: the wire's box, give or take the
    # quick box's slack around the swept faces (never inside it)
    lo, hi = next(r for r in data["parts"] if r["name"] == "wire_a")["bbox_mm"]
    placed = [wire.moved(pl.location()).BoundingBox() for pl in pkg.part("wire_a").placements]
    assert lo[2] == pytest.approx(min(b.zmin for b in placed), abs=0.01)
    assert hi[2] == pytest.approx(max(b.zmax for b in placed), abs=0.01)
    assert lo[2] <= min(b.zmin for b in placed) + 1e-6 and hi[2] >= max(b.zmax for b in placed) - 1e-6


def test_formats_subset(tmp_path: Path) -> None:
    data = write_package(built("qfn"), tmp_path / "glb", formats=("glb",))
    assert [f["path"] for f in data["files"]] == ["qfn.glb"]
    assert rel_close(sum(r["volume_total_mm3"] for r in data["parts"]), data["totals"]["volume_mm3"], 1e-6)


# ------------------------------------------------------------------------------------ OCCT writer settings
def _statics(keys: list[str]) -> dict[str, str]:
    from OCP.Interface import Interface_Static

    return {k: Interface_Static.CVal_s(k) for k in keys}


def test_every_step_write_restores_the_occt_settings(tmp_path: Path) -> None:
    """OCCT's writer settings are process-wide: every STEP pkgcad writes (each build mode, a strip's stage, the
    non-manifold one) leaves them as it found them, so one write never changes the next (CadQuery's exporter
    left p-curves off and its precision mode behind, the strip's writer its units)."""
    from OCP.STEPCAFControl import STEPCAFControl_Writer

    from pkgcad.export.assembly import Assembly

    STEPCAFControl_Writer()  # registers the STEP settings
    keys = sorted({*export_step.SETTINGS, *export_step.NONMANIFOLD})
    before = _statics(keys)
    assert before["write.surfacecurve.mode"] != "0" or before["write.precision.mode"] != "2"  # we do change them
    pkg = built("qfn")
    for mode in ("assembly", "solid", "fused"):
        export_step.write_step(pkg, tmp_path / f"{mode}.step", mode)
        assert _statics(keys) == before, mode
    unit = Assembly("strip", [], pkg.parts[:2], [pkg.parts[0].placements[0]])
    export_step.write_assembly(unit, tmp_path / "strip.step", "a strip", names="part")
    assert _statics(keys) == before


def test_occt_settings_come_back_after_an_error() -> None:
    from OCP.Interface import Interface_Static
    from OCP.STEPCAFControl import STEPCAFControl_Writer

    from pkgcad.errors import GeometryError

    STEPCAFControl_Writer()
    before = _statics(["write.surfacecurve.mode", "write.step.unit"])
    with pytest.raises(RuntimeError, match="boom"), export_step.occt_settings({"write.surfacecurve.mode": 0,
                                                                               "write.step.unit": "M"}):
        assert Interface_Static.CVal_s("write.step.unit") == "M"
        raise RuntimeError("boom")
    assert _statics(["write.surfacecurve.mode", "write.step.unit"]) == before
    with pytest.raises(GeometryError, match=r"no\.such\.setting"), \
            export_step.occt_settings({"write.surfacecurve.mode": 0, "no.such.setting": 1}):
        pass
    assert _statics(["write.surfacecurve.mode", "write.step.unit"]) == before


# ------------------------------------------------------------------------------------------- the size guard
def test_size_guard_follows_the_stl_mode() -> None:
    """19,000 bumps of 0.03 mm at --quality fine: every instance written out (``--stl all``) is ~50 M triangles
    twice at 50 bytes, over the 2 GB built unasked (refused, naming --quality normal); the instanced default
    writes one bump, nine distinct tiles and a node, component and placement per bump: tens of MB, built."""
    from pkgcad.errors import InputError
    from pkgcad.export.estimate import MAX_UNASKED_BYTES, check_size, estimate

    lay = load_layout("flipchip-bga", ("bumps.count=19000", "bumps.pitch=0.05", "bumps.diameter=0.03",
                                       "bumps.height=0.02", "chip.size=[8.0,8.0]"))
    with pytest.raises(InputError, match=r"--quality normal \(") as err:
        check_size(lay, QUALITIES["fine"], False, QUALITIES, stl="all")
    assert "GB written" in str(err.value)
    every = estimate(lay, QUALITIES["fine"], stl="all")
    once = check_size(lay, QUALITIES["fine"], False, QUALITIES)
    assert every.triangles == once.triangles > 40_000_000  # the model is the same
    assert once.bytes < 100_000_000 < MAX_UNASKED_BYTES < every.bytes
    assert dict(every.files)["stl"] == 2 * 50 * every.triangles
    assert dict(once.files)["stl"] < dict(every.files)["stl"] / 100  # one bump, nine tiles of ~25 cavities
