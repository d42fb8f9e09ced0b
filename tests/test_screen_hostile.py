"""`pkgcad screen` on hostile and odd STEP files: each kind refused in ONE line, exit 2, nothing written, and
(except what only OpenCASCADE can see: shells that bound no solid) before OpenCASCADE reads a byte; a name from
the file is escaped wherever it is shown; units converted to mm; a .stpZ read like the plain file."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import tomllib
from pathlib import Path

import cadquery as cq
import pytest
from typer.testing import CliRunner

from pkgcad.cli import app
from pkgcad.screen import guard
from pkgcad.screen import step as step_mod
from pkgcad.screen.step import read_step

runner = CliRunner()


@pytest.fixture(scope="module")
def plate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small valid assembly: a plate on a base, two named solids."""
    path = tmp_path_factory.mktemp("hostile") / "plate.step"
    assy = cq.Assembly(name="plate")
    assy.add(cq.Solid.makeBox(10, 10, 0.4), name="base")
    assy.add(cq.Solid.makeBox(10, 10, 0.3, pnt=cq.Vector(0, 0, 0.4)), name="top")
    assy.export(str(path), "STEP")
    return path


@pytest.fixture
def no_occt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if OpenCASCADE is asked to read the file: the refusal must come first."""
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("OpenCASCADE was handed a file the guard should have refused")

    monkeypatch.setattr(step_mod, "occt_document", refuse)


def _refused(path: Path, tmp_path: Path, *words: str) -> str:
    out = tmp_path / "out"
    res = runner.invoke(app, ["screen", str(path), "-o", str(out)])
    assert res.exit_code == 2, (res.exit_code, res.output)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    for w in words:
        assert w in lines[0], lines[0]
    assert not out.exists()
    return lines[0]


def test_truncated_file(plate: Path, tmp_path: Path, no_occt: None) -> None:
    bad = tmp_path / "cut.step"
    data = plate.read_bytes()
    bad.write_bytes(data[: len(data) // 2])
    _refused(bad, tmp_path, "truncated", "END-ISO-10303-21")


def test_a_million_entities(tmp_path: Path, no_occt: None) -> None:
    bad = tmp_path / "huge.step"
    with bad.open("wb") as fh:
        fh.write(b"ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION((''),'2;1');\nENDSEC;\nDATA;\n")
        line = b"=CARTESIAN_POINT('',(0.,0.,0.));\n"
        fh.write(b"".join(b"#%d%s" % (i, line) for i in range(1, 1_000_001)))
        fh.write(b"ENDSEC;\nEND-ISO-10303-21;\n")
    _refused(bad, tmp_path, f"more than {guard.MAX_ENTITIES:,} entities")


def test_recursive_assembly(plate: Path, tmp_path: Path, no_occt: None) -> None:
    """An extra occurrence places the root assembly inside one of its own parts."""
    text = plate.read_text(encoding="latin-1")
    m = re.search(r"NEXT_ASSEMBLY_USAGE_OCCURRENCE\('[^']*','[^']*','[^']*',#(\d+),#(\d+)", text)
    assert m
    root, part = m.group(1), m.group(2)
    extra = f"#999999 = NEXT_ASSEMBLY_USAGE_OCCURRENCE('x','loop','',#{part},#{root},$);\n"
    bad = tmp_path / "loop.step"
    bad.write_text(text.replace("ENDSEC;\nEND-ISO", extra + "ENDSEC;\nEND-ISO"), encoding="latin-1")
    _refused(bad, tmp_path, "contains itself")


def test_nan_coordinate(plate: Path, tmp_path: Path, no_occt: None) -> None:
    text = plate.read_text(encoding="latin-1")
    bad = tmp_path / "nan.step"
    bad.write_text(re.sub(r"CARTESIAN_POINT\('',\(([^,]+),", r"CARTESIAN_POINT('',(NAN,", text, count=3),
                   encoding="latin-1")
    _refused(bad, tmp_path, "NaN")
    huge = tmp_path / "inf.step"
    huge.write_text(re.sub(r"CARTESIAN_POINT\('',\(([^,]+),", r"CARTESIAN_POINT('',(1.E400,", text, count=1),
                    encoding="latin-1")
    _refused(huge, tmp_path, "beyond double range")


def test_non_solid_shells(tmp_path: Path) -> None:
    """Faces sewn into a closed shell but never made a solid: only OpenCASCADE sees that, and it is refused."""
    path = tmp_path / "shell.step"
    shell = cq.Shell.makeShell(cq.Solid.makeBox(5, 5, 1).Faces())
    cq.Assembly(name="s").add(shell, name="skin").export(str(path), "STEP")
    _refused(path, tmp_path, "bound no solid", "skin")


def test_truncated_gzip_and_not_step(plate: Path, tmp_path: Path, no_occt: None) -> None:
    z = tmp_path / "cut.stpZ"
    z.write_bytes(gzip.compress(plate.read_bytes())[:-40])
    _refused(z, tmp_path, "truncated gzip")
    other = tmp_path / "notes.step"
    other.write_text("hello\n")
    _refused(other, tmp_path, "not ISO 10303-21")
    _refused(tmp_path, tmp_path, "not a regular file")
    _refused(tmp_path / "missing.step", tmp_path, "cannot read it")


def test_gzip_bomb_is_cut_at_the_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_occt: None) -> None:
    monkeypatch.setattr(guard, "MAX_FILE_BYTES", 1 << 20)
    bomb = tmp_path / "bomb.stpZ"
    bomb.write_bytes(gzip.compress(b"ISO-10303-21;\n" + b" " * (8 << 20)))
    _refused(bomb, tmp_path, "inflates to more than 1 MB")


def test_units_and_stpz(tmp_path: Path) -> None:
    """A file in metres reads in mm; its .stpZ reads the same."""
    path = tmp_path / "m.step"
    assy = cq.Assembly(name="m")
    assy.add(cq.Solid.makeBox(10, 8, 1), name="plate")
    assy.export(str(path), "STEP", unit="MM", outputUnit="M")
    assert "SI_UNIT($,.METRE.)" in path.read_text()
    z = tmp_path / "m.stpZ"
    z.write_bytes(gzip.compress(path.read_bytes()))
    for p in (path, z):
        m = read_step(p)
        v = m.solids[0].placed(m.definitions[0])
        assert (v.max(axis=0) - v.min(axis=0)).round(9).tolist() == [10.0, 8.0, 1.0]
        assert m.definitions[0].volume == pytest.approx(80.0, rel=1e-9)
    assert read_step(z).proven.compressed


HOSTILE = "<script>alert(1)</script>|=cmd|' /C calc'!A0 **x** [a](b) \\ \"q\" #1"


def test_hostile_names_are_escaped(tmp_path: Path) -> None:
    """Names are shown, never run: no raw tag in the HTML, no formula in the CSV, no broken Markdown row, a
    roles.toml that TOML reads back to the very name."""
    path = tmp_path / "names.step"
    assy = cq.Assembly(name="n")
    assy.add(cq.Solid.makeBox(10, 10, 0.4), name="base")
    assy.add(cq.Solid.makeBox(4, 4, 0.3, pnt=cq.Vector(3, 3, 0.4)), name=HOSTILE)
    assy.add(cq.Solid.makeBox(10, 10, 0.3, pnt=cq.Vector(0, 0, 0.7)), name="top")
    assy.export(str(path), "STEP")
    out = tmp_path / "out"
    res = runner.invoke(app, ["screen", str(path), "-o", str(out), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert HOSTILE in [r["name"] for r in data["roles"]]
    html = (out / "chart.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    rows = list(csv.reader(io.StringIO((out / "chart.csv").read_text())))
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    md = (out / "chart.md").read_text()
    row = next(line for line in md.splitlines() if line.startswith("| ") and "alert\\(1\\)" in line)
    assert row.count("|") - row.count("\\|") == 7 and "<script>" not in row  # 6 cells, pipes escaped
    roles = tomllib.loads((out / "roles.toml").read_text())["roles"]
    named = {k: v for k, v in roles.items() if "alert" in k}
    assert len(named) == 1
    pattern = next(iter(named))
    import fnmatch

    assert fnmatch.fnmatchcase(HOSTILE.lower(), pattern.lower())


@pytest.mark.parametrize("schema", ["AP203", "AP214IS", "AP242DIS"])
def test_schemas(tmp_path: Path, schema: str) -> None:
    """AP203, AP214 and AP242 files read alike (OpenCASCADE's writer, the schema set for this file only)."""
    from OCP.Interface import Interface_Static
    from OCP.STEPControl import STEPControl_AsIs, STEPControl_Writer

    path = tmp_path / f"{schema}.step"
    writer = STEPControl_Writer()
    was = Interface_Static.CVal_s("write.step.schema")
    Interface_Static.SetCVal_s("write.step.schema", schema)
    try:
        writer.Transfer(cq.Solid.makeBox(3, 2, 1).wrapped, STEPControl_AsIs)
        writer.Write(str(path))
    finally:
        Interface_Static.SetCVal_s("write.step.schema", was)
    head = path.read_text()[:2000]
    assert {"AP203": "CONFIG_CONTROL_DESIGN", "AP214IS": "AUTOMOTIVE_DESIGN", "AP242DIS": "AP242"}[schema] in head
    m = read_step(path)
    assert len(m.solids) == 1 and m.definitions[0].volume == pytest.approx(6.0, rel=1e-9)
