"""`pkgcad mockup`: the print kit of every bundled template, judged on the WRITTEN files (STL, 3MF, kit.json).

Each kit is made once per module through the CLI (a few seconds each). Checked: piece count and names,
watertight / consistently wound / no degenerate triangles / one shell / on z = 0, bed fit and the exploded
layout, scaled sizes against the model x scale, thickened features at or above --min-feature (measured on
the meshes: wire cross-sections, layer thicknesses), the 3MF's objects and colours, cutaways, and the exit
code and one-line message of every bad option.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh
from conftest import TEMPLATES, built, spec_of
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from test_cli import assert_refused, run

from pkgcad.errors import InputError
from pkgcad.export.threemf import ReadObject, hex_color, read_3mf
from pkgcad.layout import resolve
from pkgcad.materials import material
from pkgcad.meshutil import load_mesh
from pkgcad.mockup.bed import pack
from pkgcad.mockup.options import Bed, largest_fitting_scale, make_options, parse_bed
from pkgcad.mockup.solids import to_manifold
from pkgcad.mockup.thicken import thicken
from pkgcad.templates import templates_dir

SCALE = 20.0
MIN_FEATURE = 0.4

EXPECTED_PIECES = {
    "wirebond-bga": ["balls", "substrate", "bond_fingers", "die_attach", "chip", "wire_fan", "adhesive",
                     "encapsulant", "heat_sink", "interface_layer"],
    "connecting-portion": ["balls", "substrate", "bond_fingers", "die_attach", "chip", "wire_fan", "adhesive",
                           "encapsulant", "heat_sink", "interface_layer"],
    "buffer-pad": ["balls", "substrate", "bond_fingers", "die_attach", "chip", "wire_fan", "buffer_pad_attach",
                   "buffer_pad", "adhesive", "encapsulant", "heat_sink", "interface_layer"],
    "flipchip-bga": ["balls", "substrate", "bumps", "chip", "adhesive", "encapsulant", "heat_sink",
                     "interface_layer"],
    "textured-first-surface": ["balls", "substrate", "bumps", "chip", "adhesive", "encapsulant", "heat_sink",
                               "interface_layer"],
    "qfn": ["die_pad", "lead_frame", "die_attach", "chip", "wire_fan", "adhesive", "encapsulant", "heat_sink",
            "interface_layer"],
    "qfn-buffer-pad": ["die_pad", "lead_frame", "die_attach", "chip", "wire_fan", "buffer_pad_attach",
                       "buffer_pad", "adhesive", "encapsulant", "heat_sink", "interface_layer"],
    "buffer-pad-uneven": ["balls", "substrate", "bumps", "chip", "buffer_pad_attach", "buffer_pad", "adhesive",
                          "encapsulant", "heat_sink", "interface_layer"],
}


class Kit:
    """A written kit folder with its kit.json and meshes read back from the files."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data: dict[str, Any] = json.loads((folder / "kit.json").read_text())
        self.pieces = {p["name"]: p for p in self.data["pieces"]}
        self._meshes: dict[str, trimesh.Trimesh] = {}
        self._objects: list[ReadObject] | None = None

    @property
    def objects(self) -> list[ReadObject]:
        """The 3MF's objects, read once."""
        if self._objects is None:
            self._objects = read_3mf(self.folder / "kit.3mf")
        return self._objects

    def mesh(self, name: str) -> trimesh.Trimesh:
        if name not in self._meshes:
            self._meshes[name] = load_mesh(self.folder / self.pieces[name]["file"])
        return self._meshes[name]


def make_kit(folder: Path, template: str, *args: str) -> Kit:
    result = run("mockup", template, "-o", str(folder), *args)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return Kit(folder)


_KITS: dict[str, Kit] = {}


def default_kit(template: str, tmp_path_factory: pytest.TempPathFactory) -> Kit:
    """The kit of ``template`` at SCALE with default options, made once per test process."""
    if template not in _KITS:
        _KITS[template] = make_kit(tmp_path_factory.mktemp("kit") / template, template, "--scale", f"{SCALE:g}")
    return _KITS[template]


@pytest.fixture(scope="module", params=TEMPLATES)
def kit(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Kit:
    return default_kit(request.param, tmp_path_factory)


# --------------------------------------------------------------------------------------- mesh helpers
def heights(mesh: trimesh.Trimesh) -> np.ndarray:
    tri = mesh.triangles
    e = np.roll(tri, -1, axis=1) - tri
    return 2 * mesh.area_faces / np.linalg.norm(e, axis=2).max(axis=1)


def section_widths(mesh: trimesh.Trimesh, axis: int, value: float) -> list[tuple[np.ndarray, float]]:
    """Every closed loop where the plane x[axis] = value cuts ``mesh``: (loop centre, least width across it)."""
    normal = np.zeros(3)
    normal[axis] = 1.0
    origin = np.zeros(3)
    origin[axis] = value
    segs = trimesh.intersections.mesh_plane(mesh, normal, origin)
    pts = segs.reshape(-1, 3)
    _u, ids = np.unique(pts.round(6), axis=0, return_inverse=True)
    ids = ids.ravel()
    n = int(ids.max()) + 1
    graph = coo_matrix((np.ones(len(segs)), (ids[0::2], ids[1::2])), shape=(n, n))
    _k, labels = connected_components(graph, directed=False)
    other = [i for i in range(3) if i != axis]
    dirs = np.array([[np.cos(t), np.sin(t)] for t in np.linspace(0, np.pi, 361)])
    loops = []
    for lab in np.unique(labels):
        p = pts[labels[ids] == lab][:, other]
        proj = p @ dirs.T
        loops.append((pts[labels[ids] == lab].mean(axis=0), float((proj.max(axis=0) - proj.min(axis=0)).min())))
    return loops


def model_bbox(template: str) -> np.ndarray:
    lo = np.full(3, np.inf)
    hi = np.full(3, -np.inf)
    for part in built(template).parts:
        a, b = part.bbox()
        lo, hi = np.minimum(lo, a), np.maximum(hi, b)
    return np.array([lo, hi])


# --------------------------------------------------------------------------------------------- pieces
def test_piece_count_and_names(kit: Kit) -> None:
    name = kit.data["name"]
    assert [p["name"] for p in kit.data["pieces"]] == EXPECTED_PIECES[name]
    files = sorted(p.name for p in (kit.folder / "pieces").iterdir())
    assert files == sorted(Path(p["file"]).name for p in kit.data["pieces"])
    assert {".pkgcad", "kit.json", "kit.md", "kit.3mf", "pieces"} == {p.name for p in kit.folder.iterdir()}


def test_every_piece_is_printable(kit: Kit) -> None:
    for name in kit.pieces:
        mesh = kit.mesh(name)
        assert mesh.is_watertight, name
        assert mesh.is_winding_consistent, name
        assert mesh.volume > 0, name
        assert mesh.body_count == 1, (name, mesh.body_count)
        assert heights(mesh).min() > 1e-7, (name, heights(mesh).min())
        assert abs(mesh.bounds[0, 2]) < 1e-4, (name, mesh.bounds[0, 2])
        assert to_manifold(mesh, name).status().name == "NoError", name
        checks = kit.pieces[name]["checks"]
        assert checks["watertight"] and checks["degenerate_faces"] == 0 and checks["shells"] == 1


def test_pieces_fit_the_bed(kit: Kit) -> None:
    bed = kit.data["bed_mm"]
    for name in kit.pieces:
        w, d, _h = kit.mesh(name).extents
        assert (w <= bed["width"] and d <= bed["depth"]) or (d <= bed["width"] and w <= bed["depth"]), name


def test_scaled_sizes_match_the_model(kit: Kit) -> None:
    """The assembled kit is the model x scale: x and y exactly (to the mesh's chordal deviation), z up to the
    layers thickened for printing."""
    name = kit.data["name"]
    want = model_bbox(name) * SCALE
    got = np.array(kit.data["assembled_bbox_mm"])
    assert np.allclose(got[:, :2], want[:, :2], atol=0.06), (got, want)
    grown = sum(c["printed_mm"][1] - c["printed_mm"][0] for c in kit.data["thickened"])
    height, want_h = got[1, 2] - got[0, 2], want[1, 2] - want[0, 2]
    assert want_h - 0.06 <= height <= want_h + grown + 0.06, (height, want_h, grown)
    spec = spec_of(name)
    chip = kit.mesh("chip").extents
    assert np.allclose(chip[:2], np.array(spec.chip.size) * SCALE, atol=1e-3)
    assert chip[2] == pytest.approx(spec.chip.thickness * SCALE, abs=1e-3)
    sink = kit.mesh("heat_sink").extents
    assert np.allclose(sink[:2], np.array(spec.carrier.size) * SCALE, atol=1e-3)


def test_thin_layers_print_at_least_min_feature(kit: Kit) -> None:
    """The plating (2-10 um on the package) is thickened to the least feature, and kit.json says so."""
    layer = kit.mesh("interface_layer").extents[2]
    assert layer >= MIN_FEATURE - 1e-6
    changed = {c["field"]: c for c in kit.data["thickened"]}
    row = changed["interface_layer.thickness"]
    assert row["printed_mm"][1] == pytest.approx(MIN_FEATURE)
    assert row["printed_mm"][0] == pytest.approx(spec_of(kit.data["name"]).interface_layer.thickness * SCALE)
    md = (kit.folder / "kit.md").read_text()
    assert "interface_layer.thickness" in md and "## Thickened for printing" in md
    for p in ("die_attach", "adhesive", "bond_fingers", "lead_frame", "buffer_pad_attach"):
        if p in kit.pieces:
            assert kit.mesh(p).extents[2] >= MIN_FEATURE - 1e-6, p


def wire_sections(kit: Kit, template: str, scale: float) -> list[float]:
    """Least widths of the wire fan's sections by a plane x = const through the straight tops of the +x-side
    wires (the fan is symmetric, so its centred STL keeps the model's x), near the top of the fan."""
    spec = spec_of(template)
    plus_x = [w for w in resolve(spec).wires if abs(w.angle_deg) < 45]
    x = (max(w.start[0] for w in plus_x) + min(w.end[0] for w in plus_x)) / 2 * scale
    mesh = kit.mesh("wire_fan")
    loops = section_widths(mesh, 0, x)
    assert min(w for _c, w in loops) >= MIN_FEATURE  # every section: wires and the ring's bars
    top = mesh.bounds[1, 2] - 1.5  # mm: the loops' straight tops
    rods = [w for c, w in loops if c[2] > top]
    assert len(rods) >= len(plus_x), (len(rods), len(plus_x))
    return rods


@pytest.mark.parametrize("name", [t for t in TEMPLATES if "wire_fan" in EXPECTED_PIECES[t]])
def test_wires_are_printable_rods(name: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every wire cut across its straight top is a rod at least --min-feature (and the model's diameter x
    scale) across."""
    kit = default_kit(name, tmp_path_factory)
    rods = wire_sections(kit, name, SCALE)
    assert min(rods) >= MIN_FEATURE
    assert min(rods) >= spec_of(name).wires.diameter * SCALE * 0.99


# ------------------------------------------------------------------------------------------------ 3MF
def test_3mf_has_one_object_per_material_colour(kit: Kit) -> None:
    objects = kit.objects
    materials = {p["material"] for p in kit.data["pieces"]}
    assert sorted(o.name for o in objects) == sorted(materials)
    for o in objects:
        assert o.color == hex_color(material(o.name).color), o.name
        assert o.mesh.is_watertight, o.name
    total = sum(len(o.mesh.faces) for o in objects)
    assert total == sum(p["checks"]["triangles"] for p in kit.data["pieces"])
    assert min(float(o.mesh.bounds[0, 2]) for o in objects) == pytest.approx(0.0, abs=1e-4)


def test_kit_md_lists_pieces_and_stack(kit: Kit) -> None:
    md = (kit.folder / "kit.md").read_text()
    for p in kit.data["pieces"]:
        assert p["file"] in md and p["material"] in md
    assert "## How the pieces stack" in md and "print orientation" in md
    assert kit.pieces["heat_sink"]["print_orientation"] in ("as assembled", "upside down")


@pytest.mark.parametrize("template", [t if t == "qfn" else pytest.param(t, marks=pytest.mark.slow)
                                      for t in TEMPLATES])
def test_assembled_pieces_do_not_overlap(template: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """As assembled the pieces only touch: the encapsulant is the mold minus every other piece, ties
    included. Checked with manifold3d intersections of the assembled meshes (3MF objects)."""
    kit = default_kit(template, tmp_path_factory)
    objects = {o.name: o.mesh for o in kit.objects}
    mold = to_manifold(objects.pop("mold-compound"), "mold")
    for name, mesh in objects.items():
        common = (mold ^ to_manifold(mesh, name)).volume()
        assert common < 1e-3 * mesh.volume + 1e-3, (name, common)


# -------------------------------------------------------------------------------------------- options
@pytest.fixture(scope="module")
def thick_kit(tmp_path_factory: pytest.TempPathFactory) -> Kit:
    """wirebond-bga at 16x: the 25 um wire (0.4 mm printed) is just under the least feature and is thickened."""
    return make_kit(tmp_path_factory.mktemp("thick") / "k", "wirebond-bga", "--scale", "16")


def test_thickened_wire_measures_at_least_min_feature(thick_kit: Kit) -> None:
    rows = {c["field"]: c for c in thick_kit.data["thickened"]}
    wire = rows["wires.diameter"]
    assert wire["model_mm"][0] == pytest.approx(0.025)
    assert wire["printed_mm"][0] == pytest.approx(0.4) and wire["printed_mm"][1] > MIN_FEATURE
    rods = wire_sections(thick_kit, "wirebond-bga", 16.0)
    assert min(rods) >= MIN_FEATURE, min(rods)
    assert "wires.diameter" in (thick_kit.folder / "kit.md").read_text()


@pytest.mark.parametrize("template,args", [
    ("templates/qfn.toml", ("--scale", "30", "--cutaway", "--bed", "250x210")),
    ("wirebond-bga", ("--cutaway", "--section", "--exploded")),
])
def test_cutaway_is_one_piece_with_the_stack_inside(template: str, args: tuple[str, ...], tmp_path: Path) -> None:
    path = str(templates_dir() / f"{Path(template).stem}.toml") if template.endswith(".toml") else template
    kit = make_kit(tmp_path / "k", path, *args)
    template = Path(template).stem
    assert list(kit.pieces) == ["cutaway"]
    mesh = kit.mesh("cutaway")
    assert mesh.is_watertight and mesh.is_winding_consistent and mesh.body_count == 1
    assert heights(mesh).min() > 1e-7
    assert abs(mesh.bounds[0, 2]) < 1e-4
    scale = kit.data["scale"]
    full = np.prod(spec_of(template).carrier.size) * scale**2
    fraction = 0.5 if "--section" in args else 0.75
    # the footprint of what is left: volume over height of a box-like package
    assert mesh.volume < fraction * full * mesh.extents[2] + 1e-6
    assert mesh.volume > 0.5 * fraction * full * mesh.extents[2]
    objects = read_3mf(kit.folder / "kit.3mf")
    assert len(objects) == len({p.material for p in built(template).parts})
    assert sum(o.mesh.volume for o in objects) == pytest.approx(mesh.volume, rel=1e-3)
    for o in objects:
        assert o.mesh.is_watertight and o.color == hex_color(material(o.name).color)
    # the chip reaches the cut faces; the mold stops 2 x --min-feature short of them (single-colour relief)
    sy = 1.0 if kit.pieces["cutaway"]["print_orientation"] == "upside down" else -1.0  # flipping turns y over
    setback = 2 * MIN_FEATURE
    by_name = {o.name: o.mesh.vertices for o in objects}
    centre = np.array([*kit.data["cut_planes"]["print_xy_mm"], 0.0])  # where the cut planes meet
    assert "wires" in kit.data["cut_planes"]["through"]
    if "--section" in args:
        def near(v: np.ndarray, d: float) -> np.ndarray:
            return sy * v[:, 1] > -d
    else:
        def near(v: np.ndarray, d: float) -> np.ndarray:
            return (v[:, 0] > -d) & (sy * v[:, 1] > -d)
    chip = by_name["silicon"] - centre
    mold = by_name["mold-compound"] - centre
    assert near(chip, 1e-4).any()
    assert near(by_name["gold"] - centre, 1e-4).any()  # the cut goes through wires, not between two of them
    assert not near(mold, setback - 1e-4).any()


def test_exploded_lays_pieces_apart_on_the_bed(tmp_path: Path) -> None:
    kit = make_kit(tmp_path / "k", "qfn", "--scale", "30", "--exploded", "--bed", "250x210")
    bed = kit.data["bed_mm"]
    by_plate: dict[int, list[np.ndarray]] = {}
    for name, p in kit.pieces.items():
        b = kit.mesh(name).bounds
        assert p["plate"] >= 1
        assert b[0, 0] >= -1e-6 and b[1, 0] <= bed["width"] + 1e-6, name  # each STL on its own plate
        assert b[0, 1] >= -1e-6 and b[1, 1] <= bed["depth"] + 1e-6, name
        assert abs(b[0, 2]) < 1e-4
        by_plate.setdefault(p["plate"], []).append(b)
    for boxes in by_plate.values():
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                apart = (a[1, 0] <= b[0, 0] + 1e-6 or b[1, 0] <= a[0, 0] + 1e-6 or a[1, 1] <= b[0, 1] + 1e-6
                         or b[1, 1] <= a[0, 1] + 1e-6)
                assert apart
    assert kit.data["plates"] == len(by_plate)
    assert kit.data["arrangement_3mf"] == "bed"


@pytest.mark.parametrize("args,words", [
    (("--scale", "0"), ("--scale = 0", "allowed 1 to 200")),
    (("--scale", "500"), ("--scale = 500", "allowed 1 to 200")),
    (("--scale", "nan"), ("--scale", "allowed 1 to 200")),
    (("--min-feature", "0.01"), ("--min-feature = 0.01", "allowed 0.1 to 5 mm")),
    (("--bed", "250"), ("--bed = '250'", "WIDTHxDEPTH")),
    (("--bed", "5x5"), ("--bed = '5x5'", "allowed 20 to 2000 mm")),
    (("--section",), ("--section", "needs --cutaway")),
    (("--bed", "100x100"), ("--scale = 20", "larger than the 100x100 mm bed", "largest scale that fits is 8.3")),
    (("--scale", "10"), ("--scale = 10", "adhesive.thickness", "use --scale 15.1 or more")),
    (("--set", "wires.count=3"), ("wires.count", "3")),
])
def test_bad_options_are_refused_in_one_line(args: tuple[str, ...], words: tuple[str, ...], tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert_refused(run("mockup", "wirebond-bga", "-o", str(out), *args), *words)
    assert list(tmp_path.iterdir()) == []


def test_largest_fitting_scale_does_fit(tmp_path: Path) -> None:
    """The scale the bed error suggests makes a kit that fits."""
    line = assert_refused(run("mockup", "qfn", "-o", str(tmp_path / "a"), "--bed", "100x100", "--scale", "30"))
    best = line.rsplit(" ", 1)[1]
    kit = make_kit(tmp_path / "b", "qfn", "--bed", "100x100", "--scale", best)
    assert max(max(kit.mesh(n).extents[:2]) for n in kit.pieces) <= 100.0 + 1e-6


# ------------------------------------------------------------------------------- pure parts (no OCCT)
def test_parse_bed() -> None:
    assert parse_bed("250x210") == Bed(250.0, 210.0)
    assert parse_bed(" 256 X 256 x 300 ") == Bed(256.0, 256.0, 300.0)
    for bad in ("250", "250x", "x210", "250x210x", "-5x5", "250x210x10x4"):
        with pytest.raises(InputError):
            parse_bed(bad)


def test_pack_keeps_pieces_apart_and_on_the_bed() -> None:
    bed = Bed(250.0, 210.0)
    sizes = [(150.0, 150.0), (150.0, 150.0), (80.0, 40.0), (40.0, 120.0), (200.0, 30.0), (75.0, 75.0)]
    spots = pack(sizes, bed, gap=5.0)
    boxes: dict[int, list[tuple[float, float, float, float]]] = {}
    for (w, d), s in zip(sizes, spots, strict=True):
        if s.turned:
            w, d = d, w
        x0, y0, x1, y1 = s.x - w / 2, s.y - d / 2, s.x + w / 2, s.y + d / 2
        assert x0 >= -1e-9 and y0 >= -1e-9 and x1 <= bed.width + 1e-9 and y1 <= bed.depth + 1e-9
        for a in boxes.get(s.plate, []):
            assert x1 + 5.0 <= a[0] + 1e-9 or a[2] + 5.0 <= x0 + 1e-9 or y1 + 5.0 <= a[1] + 1e-9 \
                or a[3] + 5.0 <= y0 + 1e-9
        boxes.setdefault(s.plate, []).append((x0, y0, x1, y1))
    assert len(boxes) == 2  # two 150 mm squares cannot share a 250 x 210 bed


def test_largest_fitting_scale() -> None:
    bed = Bed(250.0, 210.0)
    # a 12 x 12 mm package at 20x is 240 mm: the 210 mm depth allows 17.5x
    assert largest_fitting_scale([(240.0, 240.0, 6.0)], 20.0, bed) == 17.5
    # a long piece is turned: 300 x 100 at 10x fits a 250 x 210 bed at 8.3x (turned does not help)
    assert largest_fitting_scale([(300.0, 100.0, 1.0)], 10.0, bed) == 8.3
    # a 240 mm long piece fits turned (x 1.04); with a bed height the height can be what limits
    assert largest_fitting_scale([(100.0, 240.0, 1.0)], 10.0, Bed(250.0, 210.0, 5.0)) == 10.4
    assert largest_fitting_scale([(100.0, 100.0, 10.0)], 10.0, Bed(250.0, 210.0, 5.0)) == 5.0


def test_thickening_error_suggests_a_scale_that_works() -> None:
    spec = spec_of("wirebond-bga")
    with pytest.raises(InputError, match=r"use --scale 15\.1 or more"):
        thicken(spec, make_options(10.0, 0.4, "256x256", False, False, False))
    thick, changes = thicken(spec, make_options(15.1, 0.4, "256x256", False, False, False))
    assert {c.key for c in changes} >= {"wires.diameter", "rules.min_gap", "interface_layer.thickness"}
    assert thick.spec.wires.diameter * 15.1 >= 0.4
    with pytest.raises(InputError):
        thicken(spec, make_options(15.0, 0.4, "256x256", False, False, False))


@pytest.mark.parametrize("args,words", [
    (("--scale", "8"), ("--scale = 8", "bumps.height", "web", "use --scale 8.9 or more")),
    (("--scale", "3"), ("--scale = 3", "interface_layer.thickness", "use --scale 8.9 or more")),
])
def test_flip_chip_too_small_to_tie_its_bumps(args: tuple[str, ...], words: tuple[str, ...], tmp_path: Path) -> None:
    """The scale a refusal suggests accounts for every requirement, the bump array's web included."""
    assert_refused(run("mockup", "flipchip-bga", "-o", str(tmp_path / "out"), *args), *words)
    assert list(tmp_path.iterdir()) == []
    spec = spec_of("flipchip-bga")
    thick, _changes = thicken(spec, make_options(8.9, 0.4, "256x256", False, False, False))
    assert thick.spec.bumps.height * 8.9 >= 0.8
