"""Every `pkgcad ...` command the README shows, run AS WRITTEN (tests/readme_runs.py: bash, in a folder holding
the repository's templates/), each a test of its own so xdist spreads them over its workers, and what each one
WRITES asserted (files and their key contents, printed lines), not just its exit status.

The expected values are the README's own words and arithmetic done here: the claims each template embodies (the
README's template table), sizes in mm from the templates' TOML, the counts the commands ask for.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import TEMPLATE_Z, TEMPLATES
from readme_runs import (
    BUILD_ALL,
    BUILD_QFN_O,
    BUILD_QFN_REPORT,
    BUILD_QFN_SET,
    KICAD_ALL,
    KICAD_QFN,
    SCREEN_QFN,
    SCREEN_ROLES,
    SETUPS,
    WARP_FCBGA,
    Ran,
    readme_commands,
)

from pkgcad.export.outpath import STAMP

pytestmark = pytest.mark.slow

#: The claims each bundled template embodies: the README's template table, written out
README_CLAIMS = {
    "wirebond-bga": [1, 2, 3, 4, 5, 11], "flipchip-bga": [1, 2, 3, 4, 6, 11], "qfn": [1, 2, 3, 7, 8, 11],
    "connecting-portion": [1, 2, 3, 4, 5, 10, 11], "textured-first-surface": [1, 2, 3, 4, 6, 9, 10, 11],
    "buffer-pad": [12, 13, 14, 15, 16, 20], "qfn-buffer-pad": [12, 13, 14, 17, 18, 20],
    "buffer-pad-uneven": [12, 13, 14, 15, 19, 20],
}


def manifest(folder: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((folder / "manifest.json").read_text())


def stamped(folder: Path) -> dict:  # type: ignore[type-arg]
    """The output guard's stamp: which pkgcad command wrote the folder and which files."""
    return json.loads((folder / STAMP).read_text())


def model_files(folder: Path, name: str) -> None:
    """A build's folder: STEP, GLB, 3MF, each distinct part's mesh once in parts/ (the default --stl instanced: no
    whole-package STL), the manifest listing every file with its size."""
    m = manifest(folder)
    files = {f["path"]: f["bytes"] for f in m["files"]}
    assert {f"{name}.step", f"{name}.glb", f"{name}.3mf"} <= set(files) and m["stl"] == "instanced"
    assert f"{name}.stl" not in files and not (folder / f"{name}.stl").exists()
    assert {p.name for p in (folder / "parts").iterdir()} == {Path(f).name for f in files if f.startswith("parts/")}
    for rel, size in files.items():
        assert (folder / rel).stat().st_size == size, rel
    assert (folder / f"{name}.step").read_text(encoding="latin-1").startswith("ISO-10303-21;")
    assert (folder / f"{name}.glb").read_bytes()[:4] == b"glTF"


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", data[16:24])


def screen_verdicts(folder: Path) -> dict[str, list[int]]:
    data = json.loads((folder / "screen.json").read_text())
    out: dict[str, list[int]] = {"met": [], "not_met": [], "cannot_tell": []}
    for c in data["claims"]:
        out[c["verdict"]].append(c["claim"])
    assert {f for f in ("chart.html", "chart.md", "chart.csv", "roles.toml", "screen.json")} <= {
        p.name for p in folder.iterdir()}
    return out


# ------------------------------------------------------------------------------------------------ checks
def list_(r: Ran) -> None:
    lines = r.stdout.strip().splitlines()
    assert [ln.split()[0] for ln in lines] == sorted(TEMPLATES)
    for ln in lines:
        name = ln.split()[0]
        assert "claims " + ",".join(map(str, README_CLAIMS[name])) in ln, ln


def show_wirebond(r: Ran) -> None:
    rows = {ln.split()[0]: ln for ln in r.stdout.splitlines() if ln.strip()}
    assert "0.08" in rows["wires.loop_height"] and " mm " in rows["wires.loop_height"]  # the template's value
    assert "0.36" in rows["carrier.thickness"] and "12.0" in rows["carrier.size"]
    assert "lengths in mm" in r.stdout and "hard limits" in r.stdout


def show_qfn_json(r: Ran) -> None:
    data = json.loads(r.stdout)
    assert data["carrier"]["kind"] == "qfn" and data["carrier"]["size"] == [5.0, 5.0]
    assert data["heat_sink"]["thickness"] == 0.25 and data["leads"]["count"] == 32
    assert data["chip"]["size"] == [2.5, 2.5]


def build_qfn_set(r: Ran) -> None:
    out = r.folder / "outputs" / "qfn"
    model_files(out, "qfn")
    m = manifest(out)
    assert m["parameters"]["heat_sink"]["thickness"] == 0.25 and m["parameters"]["chip"]["size"] == [2.0, 2.0]
    chip = next(p for p in m["parts"] if p["name"] == "chip")
    assert chip["bbox_mm"][0][:2] == pytest.approx([-1.0, -1.0]) and chip["bbox_mm"][1][:2] == pytest.approx([1.0, 1.0])
    assert m["mesh_quality"]["name"] == "normal"
    assert f"-> {out}" in r.stdout


def build_2500_bumps(r: Ran) -> None:
    out = r.folder / "outputs" / "flipchip-bga"  # no -o: outputs/<name>
    model_files(out, "flipchip-bga")
    m = manifest(out)
    assert m["realized"]["bumps"] == 2500  # 50 x 50 at 0.1 mm pitch
    assert sum(p["count"] for p in m["parts"] if p["role"] == "bump") == 2500
    assert m["parameters"]["bumps"]["diameter"] == 0.06 and m["parameters"]["bumps"]["height"] == 0.05


def build_all(r: Ran) -> None:
    """Also what tests/test_cli.py asked of `python -m pkgcad build --all` (as users run it) and of the files: every
    template in its folder, named, with STEP, GLB and STL, a summary line each."""
    out = r.folder / "outputs"
    assert sorted(p.name for p in out.iterdir()) == sorted(TEMPLATES)
    for t in TEMPLATES:
        model_files(out / t, t)
        m = manifest(out / t)
        assert m["name"] == t and m["claims"] == README_CLAIMS[t]
        assert m["stack_mm"]["interface_top"] == pytest.approx(TEMPLATE_Z[t].interface_top, abs=1e-9)
        assert stamped(out / t)["command"] == "build"
    summaries = [ln for ln in r.stdout.splitlines() if " -> " in ln]
    assert len(summaries) == len(TEMPLATES)
    # outputs/qfn was the earlier build's (chip 2 x 2 mm): replaced by the template's (2.5 x 2.5 mm)
    assert manifest(out / "qfn")["parameters"]["chip"]["size"] == [2.5, 2.5]


def section(r: Ran) -> None:
    svg = (r.folder / "qfn_section.svg").read_text()
    assert svg.startswith("<svg") and "<title>qfn: section xz at y = 0 mm" in svg
    labelled = set(re.findall(r'<text class="label" data-part="([a-z_]+)"', svg))  # --labels
    assert {"die_pad", "chip", "adhesive", "heat_sink", "interface_layer", "encapsulant"} <= labelled
    assert "1 mm" in svg  # the scale bar


def render(r: Ran) -> None:
    assert png_size(r.folder / "qfn.png") == (1024, 768)  # the default --size


def report(r: Ran) -> None:
    page = r.folder / "outputs" / "qfn" / "report.html"
    html = page.read_text(encoding="utf-8")
    assert "<title>qfn — pkgcad report" in html and "pkgcadViewer" in html
    assert "33 claim elements pass" in html  # every check row of the qfn
    assert stamped(r.folder / "outputs" / "qfn")["views"] == ["report.html"]


def build_qfn_report(r: Ran) -> None:
    out = r.folder / "outputs" / "qfn"
    model_files(out, "qfn")
    assert "33 claim elements (all pass)" in r.stdout
    # the report inlines the viewer and the GLB (over 0.5 MB even at draft; tests/test_report.py builds no second
    # qfn with --report for this) and the summary names it
    assert (out / "report.html").stat().st_size > 500_000 and "report.html" in r.stdout
    # the folder held the report `pkgcad report` drew: replaced with the new one, and said so
    assert "report.html" in r.stderr


def build_qfn_o(r: Ran) -> None:
    out = r.folder / "outputs" / "qfn"
    model_files(out, "qfn")
    m = manifest(out)
    assert m["name"] == "qfn" and m["claims"] == README_CLAIMS["qfn"] and m["mesh_quality"]["name"] == "normal"
    assert m["stack_mm"]["interface_top"] == pytest.approx(TEMPLATE_Z["qfn"].interface_top, abs=1e-9)
    assert f"-> {out}" in r.stdout


#: qfn's solids: the die pad and its 32 leads (carrier), 32 wires, die attach, chip, adhesive, heat sink, interface
#: layer, encapsulant (the template: leads.count = 32, wires.count = 32)
QFN_SOLIDS = "qfn: 71 solids (33 carrier, 32 wire, 1 die_attach, 1 chip, 1 adhesive, 1 heat_sink, 1 interface_layer, " \
             "1 encapsulant)"
NOT_QFN = [c for c in range(1, 21) if c not in README_CLAIMS["qfn"]]


def screen_qfn(r: Ran) -> None:
    """pkgcad's own qfn STEP, no materials stated: the qfn's claims (README table) cannot be told (a STEP holds no
    materials), every other claim is not met; roles.toml lists every solid to correct."""
    folder = r.folder / "outputs" / "qfn-screen"
    v = screen_verdicts(folder)
    assert v == {"met": [], "not_met": NOT_QFN, "cannot_tell": README_CLAIMS["qfn"]}
    assert QFN_SOLIDS in r.stdout and "claims cannot tell: 1, 2, 3, 7, 8, 11" in r.stdout
    data = json.loads((folder / "screen.json").read_text())
    assert data["solids"] == 71 and len(data["roles"]) == 71 and data["materials"] == {}
    roles = (folder / "roles.toml").read_text()
    assert '"die_pad" = "carrier"' in roles and '"chip" = "chip"' in roles and "[materials]" in roles
    assert sum(1 for ln in roles.splitlines() if re.match(r'^"[^"]+" = "[a-z_]+"', ln)) == 71


def screen_qfn_roles(r: Ran) -> None:
    """With the interface layer's and the heat sink's materials stated, claims 1, 2, 3, 7 and 8 are met; claim 11
    (the adhesive's material) still cannot be told; the roles file written back records the materials."""
    folder = r.folder / "outputs" / "qfn-screen"
    v = screen_verdicts(folder)
    assert v == {"met": [1, 2, 3, 7, 8], "not_met": NOT_QFN, "cannot_tell": [11]}
    data = json.loads((folder / "screen.json").read_text())
    assert data["materials"]["interface_layer"] == "nickel" and data["materials"]["heat_sink"] == "copper"
    roles = (folder / "roles.toml").read_text()
    assert 'interface_layer = "nickel"' in roles and 'heat_sink = "copper"' in roles
    assert "cannot decide adhesive_material" in r.stdout


def screen_qfn_json(r: Ran) -> None:
    """--json prints screen.json (no roles file, no materials: as the first screen); the chart is written too."""
    folder = r.folder / "outputs" / "qfn-screen"
    printed = json.loads(r.stdout)
    assert printed["claims"] == json.loads((folder / "screen.json").read_text())["claims"]
    assert screen_verdicts(folder) == {"met": [], "not_met": NOT_QFN, "cannot_tell": README_CLAIMS["qfn"]}


def mockup_wb(r: Ran) -> None:
    kit = r.folder / "outputs" / "mockup-wb"
    data = json.loads((kit / "kit.json").read_text())
    assert data["scale"] == 20.0 and data["cut"] == "none" and not data["exploded"]
    # wirebond-bga: 12 x 12 mm carrier -> 240 mm; 0.4 mm balls below -> 8 mm; top: the 1.085 mm plate and the
    # 0.005 mm layer raised to 0.4 / 20 = 0.02 mm (the least printable feature) -> 1.105 x 20 = 22.1 mm
    lo, hi = data["assembled_bbox_mm"]
    assert [*lo, *hi] == pytest.approx([-120, -120, -8.0, 120, 120, 22.1], abs=1e-6)
    pieces = sorted(p.name for p in (kit / "pieces").iterdir())
    assert pieces == sorted(Path(p["file"]).name for p in data["pieces"]) and len(pieces) == 10
    assert all(p["checks"]["watertight"] and p["checks"]["shells"] == 1 for p in data["pieces"])
    assert (kit / "kit.3mf").read_bytes()[:2] == b"PK" and "# " in (kit / "kit.md").read_text()


def mockup_qfn_cutaway(r: Ran) -> None:
    kit = r.folder / "outputs" / "qfn-mockup"  # no -o: outputs/<name>-mockup
    data = json.loads((kit / "kit.json").read_text())
    assert data["scale"] == 30.0 and data["cut"] == "quarter"
    assert data["bed_mm"]["width"] == 250.0 and data["bed_mm"]["depth"] == 210.0
    assert [p["file"] for p in data["pieces"]] == ["pieces/01-cutaway.stl"]  # one piece
    # qfn: 5 x 5 mm -> 150 mm; top: the 0.798 mm plate and the 0.003 mm layer raised to 0.4 / 30 mm: x 30 = 24.34
    lo, hi = data["assembled_bbox_mm"]
    assert [*lo, *hi] == pytest.approx([-75, -75, 0, 75, 75, 30 * (0.798 + 0.4 / 30)], abs=1e-6)
    assert all(p["size_mm"][0] <= 250 and p["size_mm"][1] <= 210 for p in data["pieces"])


def sweep_grid(r: Ran) -> None:
    """3 thicknesses x 2 chip sizes, each built and checked: the heat sink is a plate over the 5 x 5 mm body."""
    import pyarrow.parquet as pq

    out = r.folder / "outputs" / "hs"
    assert "qfn: 6 variants: 6 valid, 0 refused by the rules" in r.stdout and "ran 6 (0 failed" in r.stdout
    rows = pq.read_table(out / "results.parquet").to_pylist()
    assert len(rows) == 6 and all(x["status"] == "ok" and x["check_pass"] for x in rows)
    assert {(x["heat_sink.thickness"], x["chip.size"]) for x in rows} == {
        (t, c) for t in (0.2, 0.25, 0.3) for c in ("[2, 2]", "[2.5, 2.5]")}
    for x in rows:
        assert x["volume_heat_sink_mm3"] == pytest.approx(25.0 * x["heat_sink.thickness"], rel=1e-9)
        params = json.loads((out / x["id"] / "manifest.json").read_text())["parameters"]
        assert x["id"] == hashlib.sha256(json.dumps(params, sort_keys=True, separators=(",", ":")).encode()
                                         ).hexdigest()[:12]  # the README's definition of the id
    table = list(csv.DictReader(io.StringIO((out / "results.csv").read_text())))
    assert sorted(x["id"] for x in table) == sorted(x["id"] for x in rows)
    index = (out / "index.html").read_text()
    assert all(f"href='{x['id']}/'" in index for x in rows)
    assert {p.name for p in (out / "plots").glob("*.png")} == {"heat_sink.thickness.png", "chip.size.png"}


def sweep_dry_run(r: Ran) -> None:
    """The rule the README's own ranges meet: the wire loops' top (0.08 mm loop + half the 0.025 mm wire) plus the
    0.02 mm gap needs adhesive.thickness >= 0.1125 mm; draws below it (0.1 to 0.1125 of 0.1 to 0.3) are refused."""
    first = r.stdout.splitlines()[0]
    m = re.fullmatch(r"qfn: 200 variants: (\d+) valid, (\d+) refused by the rules", first)
    assert m and int(m[1]) + int(m[2]) == 200 and 0 < int(m[2]) < 50, first
    assert f"{m[2]} refused by adhesive.thickness" in r.stdout
    assert "raise adhesive.thickness to >= 0.1125 mm" in r.stdout
    assert not (r.folder / "outputs").exists()  # writes nothing


def thermal_files(folder: Path, package: str, power: float, preset: str) -> dict:  # type: ignore[type-arg]
    """What `pkgcad thermal` writes: thermal.json, the compact model, thermal.vtu, a section picture per scenario;
    Tj(max) is the theta-JC(top) scenario's, the plate at 25 degC; the top and board shares add up to 1."""
    data = json.loads((folder / "thermal.json").read_text())
    s = data["summary"]
    assert s["package"] == package and s["power_W"] == power and s["mesh"]["preset"] == preset
    assert s["Tj_max_C"] == pytest.approx(25.0 + s["theta_jc_top_K_W"] * power, rel=1e-9)
    assert s["theta_jc_top_K_W"] > 0 and s["theta_jb_K_W"] > 0
    assert sum(s["heat_split_dual_plate"].values()) == pytest.approx(1.0, abs=1e-6)
    compact = json.loads((folder / "compact_model.json").read_text())
    assert [x["value"] for x in compact["resistors"]] == [s["theta_jc_top_K_W"], s["theta_jb_K_W"]]
    vtu = (folder / "thermal.vtu").read_text(encoding="latin-1")
    assert "<VTKFile" in vtu and f'NumberOfCells="{s["mesh"]["tetrahedra"]}"' in vtu
    for scenario in data["scenarios"]:
        assert png_size(folder / f"section_{scenario}.png")[0] > 100
    return data


def thermal_flipchip(r: Ran) -> None:
    s = thermal_files(r.folder / "outputs" / "flipchip-bga-thermal", "flipchip-bga", 1.0, "normal")["summary"]
    assert s["theta_jc_top_K_W"] < s["theta_jb_K_W"]  # a BGA: the exposed heat sink is the better path
    assert "theta-JC(top)" in r.stdout and "flipchip-bga-thermal" in r.stdout


def thermal_qfn_fine(r: Ran) -> None:
    data = thermal_files(r.folder / "outputs" / "qfn-thermal", "qfn", 0.5, "fine")
    assert data["parameters"]["interface_layer"]["material"] == "ptfe"


def thermal_folder_json(r: Ran) -> None:
    """A built folder: the parameters of its manifest (outputs/qfn from `build --all`); --json prints the summary."""
    printed = json.loads(r.stdout)
    data = thermal_files(r.folder / "outputs" / "qfn-thermal", "qfn", 1.0, "normal")
    assert printed == data["summary"]
    assert data["parameters"] == manifest(r.folder / "outputs" / "qfn")["parameters"]


def thermal_compare(r: Ran) -> None:
    """Every bundled template with and without its heat sink: with it, theta-JC(top) is lower and more of the heat
    goes to the top; compare.json, .csv and .md hold the same rows."""
    out = r.folder / "outputs" / "thermal-compare"
    data = json.loads((out / "compare.json").read_text())
    rows = {x["package"]: x for x in data["rows"]}
    assert sorted(rows) == sorted(TEMPLATES) and data["power_W"] == 1.0
    for name, x in rows.items():
        assert 0 < x["theta_jc_top_K_W"] < x["theta_jc_top_no_hs_K_W"], name
        assert x["top_share"] > x["top_share_no_hs"], name
    table = {x["package"]: x for x in csv.DictReader(io.StringIO((out / "compare.csv").read_text()))}
    assert sorted(table) == sorted(rows)
    for name, x in table.items():
        assert float(x["theta_jc_top_K_W"]) == pytest.approx(rows[name]["theta_jc_top_K_W"], rel=1e-9)
        assert float(x["theta_jb_no_hs_K_W"]) == pytest.approx(rows[name]["theta_jb_no_hs_K_W"], rel=1e-9)
    md = (out / "compare.md").read_text()
    assert all(f"| {name} |" in md for name in rows) and png_size(out / "compare.png")[0] > 100
    assert all(f"| {name} |" in r.stdout for name in rows)
    # off a terminal (this run's stderr is a pipe, as in `make run`): no spinner, a line per finished model instead
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("thermal --compare:")]
    n = len(TEMPLATES)
    assert len(lines) == n, r.stderr[-3000:]
    for k, line in enumerate(lines, 1):
        m = re.match(rf"thermal --compare: (\S+) done \({k}/{n}\): theta-JC\(top\) ([\d.]+) K/W", line)
        assert m and m[1] in rows, line
        assert float(m[2]) == pytest.approx(rows[m[1]]["theta_jc_top_K_W"], abs=5e-4), line
    assert sorted(ln.split()[2] for ln in lines) == sorted(TEMPLATES)


#: pkgcad warp's default temperatures (README): 25 degC and the JESD22-B112 reflow points; the stress-free state
#: the mold cure, 175 degC
WARP_TEMPS = [25.0, 150.0, 183.0, 217.0, 245.0, 260.0]
WARP_KEYS = {"temperature_c", "warpage_board_um", "warpage_top_um", "coplanarity_corner_um", "chip_stress_max_mpa",
             "chip_stress_at_mm", "heat_sink_von_mises_max_mpa", "bond_shear_max_mpa", "bonds"}


def warp_files(folder: Path, package: str, temps: list[float], stress_free: float, preset: str) -> dict:  # type: ignore[type-arg]
    """What `pkgcad warp` writes (README, "Warpage and stress"): warp.json with a row per temperature under the
    stable names, warp.vtu with the displacement (mm) and von Mises stress (MPa) per temperature and part ids,
    deformed.png."""
    data = json.loads((folder / "warp.json").read_text())
    assert data["package"] == package and data["stress_free_c"] == stress_free and data["mesh"]["preset"] == preset
    assert data["units"] == {"length": "mm", "warpage": "um", "stress": "MPa", "temperature": "degC"}
    assert [t["temperature_c"] for t in data["temperatures"]] == temps
    for t in data["temperatures"]:
        assert set(t) >= WARP_KEYS, WARP_KEYS - set(t)
        assert t["chip_stress_max_mpa"] > 0 and t["bond_shear_max_mpa"] > 0
        assert t["solver"]["relative_residual"] < 1e-6, t["solver"]
    vtu = (folder / "warp.vtu").read_text(encoding="latin-1")
    assert "<VTKFile" in vtu and 'Name="part_id"' in vtu
    for t in temps:
        assert f'Name="u_{t:g}C_mm"' in vtu and f'Name="von_mises_{t:g}C_MPa"' in vtu, t
    assert png_size(folder / "deformed.png")[0] > 100
    return data


def warp_fcbga(r: Ran) -> None:
    """flipchip-bga at --mesh normal, every default temperature: concave cold, convex hot, within the +-200 um
    allowance of its 1.0 mm ball pitch (the template's balls.pitch; README)."""
    data = warp_files(r.folder / "outputs" / "flipchip-bga-warp", "flipchip-bga", WARP_TEMPS, 175.0, "normal")
    assert data["allowance"]["ball_pitch_mm"] == 1.0
    assert (data["allowance"]["concave_limit_um"], data["allowance"]["convex_limit_um"]) == (-200.0, 200.0)
    w = {t["temperature_c"]: t["warpage_board_um"] for t in data["temperatures"]}
    assert w[25.0] < 0 < w[260.0], w
    assert all(t["within_allowance"] for t in data["temperatures"])
    assert f"-> {r.folder / 'outputs' / 'flipchip-bga-warp'} (warp.json, warp.vtu, deformed.png)" in r.stdout


def warp_buffer_pad_json(r: Ran) -> None:
    data = warp_files(r.folder / "outputs" / "buffer-pad-warp", "buffer-pad", [25.0, 260.0], 175.0, "coarse")
    assert json.loads(r.stdout)["temperatures"] == data["temperatures"]  # --json prints warp.json's summary


def warp_qfn_folder(r: Ran) -> None:
    """A built folder (outputs/qfn of `build --all`): its manifest's parameters; no balls, so no allowance."""
    data = warp_files(r.folder / "outputs" / "qfn-warp", "qfn", WARP_TEMPS, 165.0, "normal")
    assert data["allowance"] is None
    # 165 degC is inside the reflow range: the package is flat there only at 165, warped both sides of it
    assert f"-> {r.folder / 'outputs' / 'qfn-warp'} (warp.json, warp.vtu, deformed.png)" in r.stdout


def sweep_warp(r: Ran) -> None:
    """3 heat-sink thicknesses of buffer-pad, each built, warped (25 and 260 degC, --mesh normal) and reported: the
    warp columns in the table, warp/warp.json and the report's "Warpage and stress" section in each variant."""
    import pyarrow.parquet as pq

    out = r.folder / "outputs" / "buffer-pad-sweep"
    rows = pq.read_table(out / "results.parquet").to_pylist()
    assert sorted(x["heat_sink.thickness"] for x in rows) == [0.2, 0.3, 0.5]
    for x in rows:
        assert x["status"] == "ok", x
        warp = json.loads((out / x["id"] / "warp" / "warp.json").read_text())
        by_t = {t["temperature_c"]: t for t in warp["temperatures"]}
        assert sorted(by_t) == [25.0, 260.0] and warp["mesh"]["preset"] == "normal"
        assert x["warpage_board_25c_um"] == pytest.approx(by_t[25.0]["warpage_board_um"], rel=1e-9)
        assert x["warpage_board_260c_um"] == pytest.approx(by_t[260.0]["warpage_board_um"], rel=1e-9)
        assert x["chip_stress_25c_mpa"] == pytest.approx(by_t[25.0]["chip_stress_max_mpa"], rel=1e-9)
        assert x["chip_stress_260c_mpa"] == pytest.approx(by_t[260.0]["chip_stress_max_mpa"], rel=1e-9)
        assert "Warpage and stress" in (out / x["id"] / "report.html").read_text(encoding="utf-8")


#: --compare's variants of a buffer-pad package (README): the pad in each material on one mesh, and no pad
PAD_VARIANTS = ["buffer pad: silicon", "buffer pad: alloy42", "buffer pad: molybdenum", "buffer pad: copper",
                "no buffer pad (adhesive)"]


def warp_compare(r: Ran) -> None:
    """buffer-pad at 25 and 260 degC (README's table): a pad of any material lowers the chip's peak stress at 25
    degC against the heat sink bonded straight on; at 260 degC the copper pad loads the chip's interior more than
    the CTE-matched pads (silicon, Alloy 42)."""
    out = r.folder / "outputs" / "warp-compare"
    data = json.loads((out / "compare.json").read_text())
    assert data["mesh"] == "coarse" and data["temperatures_c"] == [25.0, 260.0]
    rows = {x["variant"]: x for x in data["rows"]}
    assert list(rows) == PAD_VARIANTS and {x["package"] for x in data["rows"]} == {"buffer-pad"}
    bare = rows["no buffer pad (adhesive)"]
    for v in PAD_VARIANTS[:4]:
        assert rows[v]["chip_stress_25c_mpa"] < bare["chip_stress_25c_mpa"], v
    copper = rows["buffer pad: copper"]["chip_interior_260c_mpa"]
    assert copper > rows["buffer pad: silicon"]["chip_interior_260c_mpa"]
    assert copper > rows["buffer pad: alloy42"]["chip_interior_260c_mpa"]
    table = list(csv.DictReader(io.StringIO((out / "compare.csv").read_text())))
    assert [x["variant"] for x in table] == PAD_VARIANTS
    assert all(f"| buffer-pad | {v} |" in (out / "compare.md").read_text() for v in PAD_VARIANTS)
    assert png_size(out / "compare.png")[0] > 100


def strip_qfn_stages(r: Ran) -> None:
    """The README's 585-unit QFN strip: 45 x 13 units at 5.3 mm pitch are 238.8 x 69.2 mm of array; in 240 x 70 the
    rails take (240 - 238.8) / 2 = 0.6 and (70 - 69.2) / 2 = 0.4 mm. Saw: 46 lines of 70 mm and 14 of 240 mm =
    6,580 mm; kerf loss (0.3 mm kerf): the 0.801 mm column inside the array, the 0.203 mm frame in the rails."""
    out = r.folder / "outputs" / "qfn-strip"
    s = json.loads((out / "strip.json").read_text())["strip"]
    assert s["units"] == {"columns": 45, "rows": 13, "count": 585}
    assert s["size_mm"] == pytest.approx([240.0, 70.0]) and s["rails_mm"] == pytest.approx([0.6, 0.4])
    assert s["saw"]["lines"] == [46, 14] and s["saw"]["path_mm"] == pytest.approx(6580.0)
    inside = 0.3 * (46 * 69.2 + 14 * 238.8) - 46 * 14 * 0.3**2
    rails = 0.3 * (46 * 2 * 0.4 + 14 * 2 * 0.6)
    assert inside * TEMPLATE_Z["qfn"].interface_top + rails * 0.203 == pytest.approx(1525.13, abs=0.005)
    assert "585 units (45 x 13) on 240 x 70 mm, saw path 6,580 mm, kerf loss 1,525.13 mm^3" in r.stdout
    assert "sawn unit check 33/33" in r.stdout  # every check element of the qfn passes on the sawn unit
    stages = ["1-bonded", "2-plate", "3-molded", "4-deflashed", "5-sawn"]  # --stages: all five
    want = sorted(f"{n}.{e}" for n in stages for e in ("step", "glb"))
    assert sorted(p.name for p in (out / "stages").iterdir()) == want
    for n in stages:
        assert (out / "stages" / f"{n}.step").read_text(encoding="latin-1").startswith("ISO-10303-21;")
    model_files(out / "unit", "qfn")


def strip_flipchip(r: Ran) -> None:
    """4 x 16 units of the 10 x 10 mm flip chip at 10.3 mm pitch: 4 x 10.3 + 0.3 = 41.5 mm and 16 x 10.3 + 0.3 =
    165.1 mm of array, 2 mm rails (the default) round it: 45.5 x 169.1 mm. The saw: 5 lines of 169.1 mm and 17 of
    45.5 mm = 1,619 mm; a 0.25 mm kerf in a 0.3 mm street leaves a 0.025 mm rim a side (sawn unit 10.05 mm)."""
    out = r.folder / "outputs" / "flipchip-bga-strip"
    d = json.loads((out / "strip.json").read_text())
    s = d["strip"]
    assert s["units"] == {"columns": 4, "rows": 16, "count": 64}
    assert s["size_mm"] == pytest.approx([45.5, 169.1]) and s["saw"]["path_mm"] == pytest.approx(1619.0)
    assert s["sawn_unit_mm"] == pytest.approx([10.05, 10.05]) and s["rim_mm"] == pytest.approx(0.025)
    # kerf loss: inside the array the whole 1.082 mm column, in the rails the 0.36 mm carrier alone
    inside = 0.25 * (5 * 165.1 + 17 * 41.5) - 5 * 17 * 0.25**2
    rails = 0.25 * (5 * 2 * 2.0 + 17 * 2 * 2.0)
    assert "kerf loss 416.31 mm^3" in r.stdout
    assert inside * TEMPLATE_Z["flipchip-bga"].interface_top + rails * 0.36 == pytest.approx(416.31, abs=0.005)
    assert "64 units (4 x 16) on 45.5 x 169.1 mm" in r.stdout and "sawn unit check 28/28" in r.stdout
    assert {p.name for p in (out / "stages").iterdir()} == {"4-deflashed.step", "4-deflashed.glb"}  # no --stages
    model_files(out / "unit", "flipchip-bga")


def conformal(r: Ran) -> None:
    out = r.folder / "outputs" / "qfn"
    m = manifest(out)
    assert m["step_mode"] == "conformal"
    assert {f["path"] for f in m["files"]} >= {"qfn.step", "qfn.geo", "qfn.FCMacro"}
    step = (out / "qfn.step").read_text(encoding="latin-1")
    assert step.count("SHELL_BASED_SURFACE_MODEL(") == 71  # the qfn's 71 solids (README)
    assert m["conformal"]["shared_faces"] == 376
    assert 'Merge "qfn.step"' in (out / "qfn.geo").read_text() or "qfn.step" in (out / "qfn.geo").read_text()
    assert "qfn.step" in (out / "qfn.FCMacro").read_text()


def conformal_mesh_check(r: Ran) -> None:
    conformal(r)
    rows = {ln.split()[0]: ln.split() for ln in r.stdout.splitlines() if ln.split()}
    parts = [p["name"] for p in manifest(r.folder / "outputs" / "qfn")["parts"]]
    for name in parts:
        assert int(rows[name][2].replace(",", "")) > 0, name  # tetrahedra in every part
    assert rows["total"][1] == "71"
    assert "376 shared surfaces (model: 376), 0 unshared contacts, 0 duplicate nodes" in r.stdout


def build_buffer_pad_inline(r: Ran) -> None:
    """The README: "is a claim 12/17/18 package and its manifest says so"."""
    m = manifest(r.folder / "outputs" / "qfn")
    assert {12, 17, 18} <= set(m["claims"]) and not {1, 7, 8} & set(m["claims"])
    assert m["parameters"]["buffer_pad"]["enabled"] and m["parameters"]["buffer_pad"]["size"] == [1.6, 1.6]
    assert "buffer_pad" in {p["name"] for p in m["parts"]}


#: the KiCad names: footprint from the land, model from the package; the model's height is the package's (by hand,
#: conftest.TEMPLATE_Z) on its 0.4 mm balls (BGA)
QFN_FOOTPRINT = "QFN-32-1EP_5x5mm_P0.5mm_EP3.2x3.2mm_HeatSink_Pad0.875x0.25mm"
QFN_MODEL = "QFN-32-1EP_5x5mm_P0.5mm_EP3.2x3.2mm_HeatSink_H0.801mm_Ni"


def kicad_library(lib: Path, templates: list[str]) -> dict:  # type: ignore[type-arg]
    marker = json.loads((lib / ".pkgcad-kicad.json").read_text())
    assert sorted(p["template"] for p in marker["packages"]) == sorted(templates)
    for p in marker["packages"]:
        lift = 0.0 if p["kind"] == "QFN" else 0.4
        height = TEMPLATE_Z[p["template"]].interface_top + lift
        assert p["height_mm"] == pytest.approx(height, abs=1e-9) and f"_H{height:g}mm_" in p["model"]
        assert (lib / "pkgcad.pretty" / f"{p['footprint']}.kicad_mod").is_file()
        for ext in ("step", "wrl"):
            assert (lib / "pkgcad.3dshapes" / f"{p['model']}.{ext}").stat().st_size > 10_000
    assert "# KiCad library `pkgcad`" in (lib / "README.md").read_text()
    return marker


def kicad_qfn(folder: str) -> Callable[[Ran], None]:
    def check(r: Ran) -> None:
        marker = kicad_library(r.folder / folder, ["qfn"])
        (p,) = marker["packages"]
        assert (p["footprint"], p["model"], p["pins"]) == (QFN_FOOTPRINT, QFN_MODEL, 32)
        assert f"{QFN_FOOTPRINT}.kicad_mod (33 pads)" in r.stdout  # 32 leads and the exposed pad
    return check


def kicad_all(r: Ran) -> None:
    """--all into the library `kicad qfn` wrote: 8 packages on 3 footprints (identical lands share one)."""
    marker = kicad_library(r.folder / "outputs" / "kicad", list(TEMPLATES))
    assert len({p["footprint"] for p in marker["packages"]}) == 3
    assert len(list((r.folder / "outputs" / "kicad" / "pkgcad.pretty").iterdir())) == 3
    assert next(p for p in marker["packages"] if p["template"] == "qfn")["model"] == QFN_MODEL  # renamed nothing


CHECKS: dict[str, Callable[[Ran], None]] = {
    "pkgcad list": list_,
    "pkgcad show wirebond-bga": show_wirebond,
    "pkgcad show qfn --json": show_qfn_json,
    BUILD_QFN_SET: build_qfn_set,
    "pkgcad build flipchip-bga --set bumps.count=2500 --set bumps.pitch=0.1 --set bumps.diameter=0.06 --set "
    "bumps.height=0.05": build_2500_bumps,
    BUILD_ALL: build_all,
    "pkgcad section outputs/qfn --plane xz --at 0 -o qfn_section.svg --labels": section,
    "pkgcad render outputs/qfn -o qfn.png": render,
    "pkgcad report outputs/qfn": report,
    BUILD_QFN_REPORT: build_qfn_report,
    BUILD_QFN_O: build_qfn_o,
    SCREEN_QFN: screen_qfn,
    SCREEN_ROLES: screen_qfn_roles,
    "pkgcad screen outputs/qfn/qfn.step --json": screen_qfn_json,
    "pkgcad mockup wirebond-bga --scale 20 -o outputs/mockup-wb": mockup_wb,
    "pkgcad mockup templates/qfn.toml --scale 30 --cutaway --bed 250x210": mockup_qfn_cutaway,
    "pkgcad sweep qfn --grid heat_sink.thickness=0.2,0.25,0.3 --grid chip.size=[2,2],[2.5,2.5] -o outputs/hs":
        sweep_grid,
    "pkgcad sweep qfn --random 200 --range heat_sink.thickness=0.1:0.5 --range adhesive.thickness=0.1:0.3 "
    "--dry-run": sweep_dry_run,
    "pkgcad thermal flipchip-bga": thermal_flipchip,
    "pkgcad thermal qfn --power 0.5 --mesh fine --set interface_layer.material=ptfe": thermal_qfn_fine,
    "pkgcad thermal outputs/qfn --json": thermal_folder_json,
    "pkgcad thermal --compare": thermal_compare,
    WARP_FCBGA: warp_fcbga,
    "pkgcad warp buffer-pad --at 25,260 --mesh coarse --json": warp_buffer_pad_json,
    "pkgcad warp outputs/qfn --stress-free 165": warp_qfn_folder,
    "pkgcad sweep buffer-pad --grid heat_sink.thickness=0.2,0.3,0.5 --do build,warp,report": sweep_warp,
    "pkgcad warp --compare buffer-pad --mesh coarse": warp_compare,
    "pkgcad strip qfn --units 45x13 --size 240x70 --rail 0.3 --stages": strip_qfn_stages,
    "pkgcad strip flipchip-bga --units 4x16 --street 0.3 --kerf 0.25": strip_flipchip,
    "pkgcad build qfn --step-mode conformal": conformal,
    "pkgcad build qfn --step-mode conformal --mesh-check": conformal_mesh_check,
    "pkgcad build qfn --set buffer_pad.enabled=true --set buffer_pad.size=[1.6,1.6] --set adhesive.thickness=0.03":
        build_buffer_pad_inline,
    KICAD_QFN: kicad_qfn("outputs/kicad"),
    "pkgcad kicad qfn -o lib": kicad_qfn("lib"),
    KICAD_ALL: kicad_all,
}


def assert_same_run(command: str, alias: str) -> None:
    """``command`` is ``alias`` with options spelt out at the defaults ``pkgcad <subcommand> --help`` states."""
    extra = command.removeprefix(alias).split()
    assert command.startswith(alias + " ") and len(extra) % 2 == 0, (command, alias)
    sub = alias.split()[1]
    res = subprocess.run([sys.executable, "-m", "pkgcad", sub, "--help"], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "COLUMNS": "200"})
    text = " ".join(res.stdout.split())
    for opt, value in zip(extra[::2], extra[1::2], strict=True):
        m = re.search(re.escape(opt) + r" <\w+> (?:(?!\s--\w).)*?\[default: ([^\]]+)\]", text)
        assert m and m[1] == value, (opt, value, text)


# ------------------------------------------------------------------------------------------------ the tests
def test_readme_commands_are_found() -> None:
    cmds = readme_commands()
    assert "pkgcad build --all -o outputs/" in cmds and "pkgcad list" in cmds
    assert any("buffer_pad.enabled=true" in c for c in cmds)  # the inline example
    assert not [c for c in cmds if "TEMPLATE" in c or "[-o" in c]
    # a continued line is one command, its comment dropped, its quotes kept
    text = "```\npkgcad a b \\\n    --c d  # note\npkgcad e 'f | g'  # x\n```\n"
    assert readme_commands(text) == ["pkgcad a b --c d", "pkgcad e 'f | g'"]


def test_every_readme_command_has_its_expectations() -> None:
    """Each README command is listed here with what it writes (and, where its input is another's output, how its
    folder is set up): a new command needs both."""
    cmds = readme_commands()
    assert set(LONGEST) <= set(cmds)
    assert [c for c in cmds if c not in CHECKS] == [], "add what the command writes to CHECKS"
    assert [c for c in CHECKS if c not in cmds] == [], "the README no longer shows these"
    assert [c for c in SETUPS if c not in cmds] == []


#: the README's longest commands (minutes each on 2 cores), started first; commands they wait for (their inputs) are
#: quick
LONGEST = ("pkgcad warp flipchip-bga", "pkgcad warp --compare buffer-pad --mesh coarse",
           "pkgcad sweep buffer-pad --grid heat_sink.thickness=0.2,0.3,0.5 --do build,warp,report",
           "pkgcad warp outputs/qfn --stress-free 165", "pkgcad thermal --compare")


def _ordered(cmds: list[str]) -> list[object]:
    return [pytest.param(c, marks=pytest.mark.first) if c in LONGEST else c for c in cmds]


@pytest.mark.timeout(3600)
@pytest.mark.parametrize("command", _ordered(readme_commands()))
def test_readme_command(readme: Callable[[str], Ran], command: str) -> None:
    r = readme(command).ok()
    alias = SETUPS[command].same_as if command in SETUPS else None
    if alias is not None:  # the same run as `alias`: proven by the options' defaults the help states
        assert_same_run(command, alias)
    if command not in CHECKS:
        pytest.fail(f"ran, but the test does not know what `{command}` writes: add it to CHECKS")
    CHECKS[command](r)
