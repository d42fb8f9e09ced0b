"""The command line through Typer's CliRunner: list, show, build, and exit code 2 with one clear line for every
bad input (and no output folder)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TEMPLATES
from typer.testing import CliRunner

from pkgcad.claims import claims_of_spec
from pkgcad.cli import app
from pkgcad.params import describe
from pkgcad.templates import load_layout

runner = CliRunner()


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def assert_refused(result, *words: str) -> str:  # type: ignore[no-untyped-def]
    """Exit 2, nothing on stdout, ONE line on stderr starting with ``error:`` and holding ``words``."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr, result.exception)
    lines = result.stderr.strip("\n").splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert result.stdout == ""
    return lines[0]


# ----------------------------------------------------------------------------------------- list / show
def test_list_shows_every_template_with_claims() -> None:
    result = run("list")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == len(TEMPLATES) == 8
    for t, line in zip(sorted(TEMPLATES), lines, strict=True):
        spec = load_layout(t).spec
        assert line.split()[0] == t
        assert "claims " + ",".join(map(str, claims_of_spec(spec))) in line  # derived, not declared
        assert spec.meta.title in line


def test_list_refuses_a_title_of_two_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "two-lines.toml"
    path.write_text('[meta]\ntitle = "first\\nsecond"\n[carrier]\nkind = "qfn"\nsize = [5.0, 5.0]\n')
    monkeypatch.setattr("pkgcad.cli.template_paths", lambda: [path])
    assert_refused(run("list"), "meta.title", "'first\\nsecond'", "one line", "U+000A")


def test_show_lists_keys_units_ranges() -> None:
    result = run("show", "qfn")
    assert result.exit_code == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line and "." in line.split()[0]}
    for key in ("carrier.kind", "chip.size", "heat_sink.thickness", "interface_layer.material", "leads.count",
                "wires.loop_height", "heat_sink.connecting_portion.height", "rules.min_gap"):
        assert key in rows, key
    assert " mm " in rows["heat_sink.thickness"] and "(0.05, 5.0]" in rows["heat_sink.thickness"]
    assert "0.25" in rows["heat_sink.thickness"]  # the template's value
    assert "[4, 400]" in rows["leads.count"]
    assert "gold | chromium | nickel | nickel-gold | ptfe" in rows["interface_layer.material"]
    assert "substrate | qfn" in rows["carrier.kind"]
    assert "lengths in mm" in result.stdout
    assert "hard limits" in result.stdout


def test_show_gives_every_length_a_range() -> None:
    result = run("show", "qfn")
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    lengths = [row.key for row in describe(load_layout("qfn").spec) if row.unit == "mm"]
    assert len(lengths) > 40 and "chip.size" in lengths and "adhesive.size" in lengths
    for key in lengths:
        after_unit = lines[key].split(" mm ", 1)[1]
        assert re.match(r"\s*(each )?[\(\[][-\d.]+, [\d.]+[\)\]]", after_unit), f"no allowed range: {lines[key]}"


def test_show_json_parses_and_applies_sets() -> None:
    result = run("show", "qfn", "--json", "--set", "heat_sink.thickness=0.3")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["carrier"]["kind"] == "qfn"
    assert data["heat_sink"]["thickness"] == 0.3
    assert data == json.loads(json.dumps(load_layout("qfn", ["heat_sink.thickness=0.3"]).spec.model_dump(mode="json")))


def test_show_names_the_qualities_without_building() -> None:
    r = run("show", "qfn")
    assert r.exit_code == 0
    assert "draft 0.02 mm / 0.5 rad, normal 0.005 mm / 0.5 rad, fine 0.001 mm / 0.2 rad" in r.stdout
    assert "--sizes" in r.stdout


def test_show_sizes_measures_each_quality(tmp_path: Path) -> None:
    """`show --sizes` measures what each --quality writes with every instance in STL files; at normal it is
    exactly what `build --stl all` writes."""
    r = run("show", "qfn", "--sizes", "--json")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["parameters"]["meta"]["name"] == "qfn"
    rows = {q["quality"]: q for q in data["mesh_qualities"]}
    assert list(rows) == ["draft", "normal", "fine"]
    # draft and normal mesh small round parts alike (both 0.5 rad); the qfn has no larger curved face, so
    # draft is no coarser here
    assert rows["draft"]["triangles"] <= rows["normal"]["triangles"] < rows["fine"]["triangles"]
    assert rows["draft"]["stl_bytes"] <= rows["normal"]["stl_bytes"] < rows["fine"]["stl_bytes"]
    assert all(q["seconds"] > 0 for q in rows.values())
    assert run("build", "qfn", "-o", str(tmp_path / "q"), "--stl", "all").exit_code == 0
    files = {f["path"]: f["bytes"] for f in json.loads((tmp_path / "q" / "manifest.json").read_text())["files"]}
    assert rows["normal"]["stl_bytes"] == sum(n for p, n in files.items() if p.endswith(".stl"))
    assert rows["normal"]["triangles"] == (files["qfn.stl"] - 84) // 50
    table = run("show", "qfn", "--sizes").stdout
    assert f"{rows['fine']['triangles']:,}" in table and "STL MB" in table


def test_show_refuses_bad_set() -> None:
    assert_refused(run("show", "qfn", "--set", "chip.colour=red"), "chip.colour", "unknown key")


# ----------------------------------------------------------------------------------------------- build
def test_build_with_overrides(tmp_path: Path) -> None:
    out = tmp_path / "q"
    result = run("build", "qfn", "-o", str(out), "--set", "heat_sink.thickness=0.25", "--set", "chip.size=[2.0,2.0]",
                 "--quality", "draft")
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert "qfn:" in result.stdout and str(out) in result.stdout
    data = json.loads((out / "manifest.json").read_text())
    assert data["parameters"]["heat_sink"]["thickness"] == 0.25
    assert data["parameters"]["chip"]["size"] == [2.0, 2.0]
    assert data["mesh_quality"]["name"] == "draft"
    chip = next(r for r in data["parts"] if r["name"] == "chip")
    assert chip["bbox_mm"][0][:2] == pytest.approx([-1.0, -1.0]) and chip["bbox_mm"][1][:2] == pytest.approx([1.0, 1.0])
    hs = next(r for r in data["parts"] if r["name"] == "heat_sink")
    assert hs["bbox_mm"][1][2] - hs["bbox_mm"][0][2] == pytest.approx(0.25, abs=1e-6)
    assert (out / "qfn.step").is_file() and (out / "qfn.glb").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["q"]


def test_build_notes_nearest_array(tmp_path: Path) -> None:
    result = run("build", "textured-first-surface", "-o", str(tmp_path / "t"), "--quality", "draft",
                 "--set", "bumps.count=144")
    assert result.exit_code == 0, (result.stderr, result.exception)
    note = [line for line in result.stderr.splitlines() if line.startswith("note:")]
    assert len(note) == 1 and "bumps.count = 144" in note[0] and ": 120 (" in note[0] and "peripheral" in note[0]


@pytest.mark.parametrize("args, words", [
    (("--set", "chip.colour=red"), ("chip.colour", "'red'", "unknown key", "size, thickness, connection")),
    (("--set", "heat_sink.thickness=9"), ("heat_sink.thickness", "9", "(0.05, 5.0]")),
    (("--set", "heat_sink.thickness=-1"), ("heat_sink.thickness", "-1", "greater than 0.05")),
    (("--set", "heat_sink.thickness=abc"), ("heat_sink.thickness", "'abc'", "number")),
    (("--set", "heat_sink.thickness=true"), ("heat_sink.thickness = true", "number", "(0.05, 5.0]")),
    (("--set", "wires.count=false"), ("wires.count = false", "integer", "[4, 2000]")),
    (("--set", 'meta.title="two\\nlines"'), ("meta.title", "one line", "U+000A")),
    (("--set", "chip.size=[2.0,"), ("chip.size", "needs two numbers [x, y]")),
    (("--set", "heat_sink.thickness"), ("--set", "dotted.key=value")),
    (("--set", "leads.count=30"), ("leads.count", "30", "multiple of 4")),
    (("--set", "chip.connection=flipchip"), ("chip.connection", "'flipchip'", "wire bonding")),
    (("--set", "interface_layer.material=copper"), ("interface_layer.material", "gold", "ptfe")),
    (("--quality", "ultra"), ("--quality", "'ultra'", "draft | normal | fine")),
])
def test_build_refuses_bad_input(tmp_path: Path, args: tuple[str, ...], words: tuple[str, ...]) -> None:
    out = tmp_path / "out"
    assert_refused(run("build", "qfn", "-o", str(out), *args), *words)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_build_refuses_unknown_template(tmp_path: Path) -> None:
    line = assert_refused(run("build", "no-such-package", "-o", str(tmp_path / "out")), "template",
                          "'no-such-package'")
    for t in TEMPLATES:
        assert t in line
    assert list(tmp_path.iterdir()) == []


def test_build_refuses_malformed_toml(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[chip]\nsize = [2.0, 2.0\nthickness = "thin"\n')
    assert_refused(run("build", str(bad), "-o", str(tmp_path / "out")), "template", "malformed TOML", "bad.toml")
    assert not (tmp_path / "out").exists()


def test_build_refuses_non_utf8_toml(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'[meta]\ntitle = "caf\xe9"\n')
    assert_refused(run("build", str(path), "-o", str(tmp_path / "out")), "template", "latin1.toml", "not UTF-8",
                   "byte 0xe9 at offset 19")
    assert not (tmp_path / "out").exists()


def test_build_refuses_overlapping_corner_fingers(tmp_path: Path) -> None:
    assert_refused(run("build", "wirebond-bga", "-o", str(tmp_path / "out"), "--set", "wires.count=16", "--set",
                       "wires.pitch=1.9", "--set", "wires.finger_width=1.0", "--set", "wires.span=0.3"),
                   "wires.finger_width = 1: ", "corner fingers", "wires.finger_width <= 0.47 mm",
                   "wires.span >= 0.565 mm")
    assert list(tmp_path.iterdir()) == []


def test_build_refuses_qfn_die_over_the_wire_drop(tmp_path: Path) -> None:
    sets = ("leads.length=0.1", "wires.diameter=0.1", "wires.bend_radius=0.1", "wires.loop_height=0.12",
            "die_pad.size=[4.6, 4.6]", "chip.size=[4.8, 4.8]", "wires.pad_inset=0.5", "adhesive.thickness=0.3")
    args = [a for s in sets for a in ("--set", s)]
    assert_refused(run("build", "qfn", "-o", str(tmp_path / "out"), *args), "chip.size = [4.8, 4.8]: ",
                   "wires' drop onto the leads", "(<= 4.726 mm)")
    assert list(tmp_path.iterdir()) == []


def test_build_refuses_toml_with_bad_value(tmp_path: Path) -> None:
    path = tmp_path / "thick.toml"
    path.write_text('[carrier]\nkind = "qfn"\nsize = [5.0, 5.0]\n[heat_sink]\nthickness = 50\n')
    assert_refused(run("build", str(path), "-o", str(tmp_path / "out")), "heat_sink.thickness", "50")
    assert not (tmp_path / "out").exists()


def test_build_refuses_template_and_all(tmp_path: Path) -> None:
    assert_refused(run("build", "qfn", "--all", "-o", str(tmp_path / "out")), "--all")
    assert list(tmp_path.iterdir()) == []


def test_build_refuses_neither_template_nor_all(tmp_path: Path) -> None:
    assert_refused(run("build", "-o", str(tmp_path / "out")), "template", "--all")
    assert list(tmp_path.iterdir()) == []


def test_build_all_refuses_bad_set_before_writing(tmp_path: Path) -> None:
    assert_refused(run("build", "--all", "-o", str(tmp_path), "--set", "heat_sink.thickness=0"),
                   "heat_sink.thickness")
    assert list(tmp_path.iterdir()) == []


def test_version() -> None:
    result = run("version")
    assert result.exit_code == 0 and result.stdout.startswith("pkgcad ")


WARM_THEN_ALL = """
import sys
from typer.testing import CliRunner
from pkgcad.geometry import build_package
from pkgcad.cli import app
from pkgcad.params import describe
from pkgcad.templates import load_layout
build_package(load_layout("qfn"))  # any model built earlier in this process
result = CliRunner().invoke(app, ["build", "--all", "-o", sys.argv[1], "--quality", "draft"])
print(result.stdout, end="")
sys.exit(result.exit_code)
"""


#: A hang never returns; a loaded machine (other builds, a CI neighbour) takes 5x longer than an idle one.
HANG = 600


@pytest.mark.slow
@pytest.mark.timeout(HANG + 60)
def test_build_all_after_a_build_in_the_same_process(tmp_path: Path) -> None:
    """Regression (fixed in 69d9e02): `build --all` forked its workers after OCCT's thread pool had started, so
    in a process that had built any model before (a notebook, CliRunner) it never returned. `build --all` in
    process (CliRunner) writes every template, named, with its files, and a summary line each.
    (`python -m pkgcad build --all` as users run it: tests/test_readme.py, the README's command.)"""
    # its own process group, so a hung run and the workers it forked are ended together
    proc = subprocess.Popen([sys.executable, "-c", WARM_THEN_ALL, str(tmp_path / "all")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=HANG)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"build --all hung for {HANG} s (a cold `build --all` takes about 20-40 s on 2 cores)")
    assert proc.returncode == 0, err
    folder = tmp_path / "all"
    assert sorted(p.name for p in folder.iterdir()) == sorted(TEMPLATES)
    for t in TEMPLATES:
        data = json.loads((folder / t / "manifest.json").read_text())
        assert data["name"] == t and data["mesh_quality"]["name"] == "draft"
        assert {f["path"] for f in data["files"]} >= {f"{t}.step", f"{t}.glb", f"{t}.3mf"}
        assert (folder / t / f"{t}.step").stat().st_size > 0
    summaries = [line for line in out.splitlines() if " -> " in line]
    assert len(summaries) == len(TEMPLATES)
