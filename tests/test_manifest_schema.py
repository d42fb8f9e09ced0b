"""manifest.json is constructed as its schema (pkgcad.reader.schema.Manifest) and the schema is closed: every
template's manifest reads back to the very text written (same keys, same order, same numbers), and a key the
schema does not name, anywhere (the top, a part row, the conformal section), is refused in one line, exit 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import built
from typer.testing import CliRunner

from pkgcad.cli import app
from pkgcad.errors import InputError
from pkgcad.export.options import QUALITIES
from pkgcad.export.writer import write_package
from pkgcad.reader.schema import Manifest, validate_manifest
from pkgcad.templates import template_paths

runner = CliRunner()


@pytest.fixture(scope="module")
def qfn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("manifest") / "qfn"
    write_package(built("qfn"), out, QUALITIES["draft"], formats=("stl",))
    return out


@pytest.mark.parametrize("template", [p.stem for p in template_paths()])
def test_every_template_manifest_round_trips(template: str, tmp_path: Path) -> None:
    write_package(built(template), tmp_path / template, QUALITIES["draft"], formats=("stl",))
    text = (tmp_path / template / "manifest.json").read_text()
    data = json.loads(text)
    model = Manifest.model_validate(data)  # closed: passing means the schema names every key written
    assert model.json_text() == text  # byte for byte: key order, whole numbers stay whole
    # the sections the schema used to carry along unread are now typed and read back
    assert model.totals.instances == sum(r["count"] for r in data["parts"])
    assert model.realized.wires == data["realized"]["wires"]
    assert model.layout.footprint_mm == data["layout"]["footprint_mm"]


def _add(path: list[str | int], key: str) -> object:
    def edit(data: dict) -> None:
        node = data
        for p in path:
            node = node[p]
        node[key] = "red"
    return edit


@pytest.mark.parametrize(("where", "path"), [("colour", []), ("parts.0.colour", ["parts", 0]),
                                             ("totals.colour", ["totals"]), ("layout.texture.colour",
                                                                              ["layout", "texture"])])
def test_unknown_key_is_refused_in_one_line(qfn: Path, tmp_path: Path, where: str, path: list[str | int]) -> None:
    folder = tmp_path / "model"
    shutil.copytree(qfn, folder)
    data = json.loads((folder / "manifest.json").read_text())
    _add(path, "colour")(data)
    (folder / "manifest.json").write_text(json.dumps(data, indent=2))
    result = runner.invoke(app, ["check", str(folder)])
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    lines = result.stderr.strip("\n").splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert f"manifest.json: {where}" in lines[0] and "Extra inputs are not permitted" in lines[0], lines[0]
    assert result.stdout == ""


def _conformal() -> dict:
    """A conformal section of two solids (its numbers need no model: the schema judges its form)."""
    return {"solids": [{"index": i, "name": n, "part": n, "role": r, "material": "copper", "volume_mm3": 1.5,
                        "centroid_mm": [0.0, 0.0, z]} for i, n, r, z in ((1, "chip", "chip", 0.1),
                                                                         (2, "encapsulant", "encapsulant", 0.5))],
            "groups": {"chip": [1], "encapsulant": [2]}, "shared_faces": 6, "tiles": 1, "volume_mm3": 3.0,
            "timings_s": {"fuse_s": 0.5}}


def test_conformal_section_is_validated(qfn: Path) -> None:
    data = json.loads((qfn / "manifest.json").read_text())
    data["conformal"] = _conformal()
    model = validate_manifest(data, "m.json")
    assert model.conformal is not None and [s.name for s in model.conformal.solids] == ["chip", "encapsulant"]
    assert json.loads(model.json_text())["conformal"] == _conformal()
    for edit, field in ((lambda c: c["solids"][0].update(colour="red"), "conformal.solids.0.colour"),
                        (lambda c: c.update(mesh="fine"), "conformal.mesh"),
                        (lambda c: c["solids"][1].update(volume_mm3="1.5"), "conformal.solids.1.volume_mm3"),
                        (lambda c: c["groups"].update(encapsulant=[3]), "conformal")):
        bad = json.loads(json.dumps(data))
        edit(bad["conformal"])
        with pytest.raises(InputError) as err:
            validate_manifest(bad, "m.json")
        assert str(err.value).startswith(f"m.json: {field}"), str(err.value)


@pytest.mark.slow
def test_conformal_manifest_round_trips(tmp_path: Path) -> None:
    from pkgcad.conformal.step import write_step

    write_package(built("qfn"), tmp_path / "c", formats=("step",), step_mode="conformal", step_writer=write_step)
    text = (tmp_path / "c" / "manifest.json").read_text()
    model = Manifest.model_validate(json.loads(text))
    assert model.conformal is not None and model.json_text() == text
    # every part's solids, named by their gmsh tags, hold the part's volume (the manifest's parts rows)
    for row in model.parts:
        tags = model.conformal.groups[row.name]
        got = sum(model.conformal.solids[t - 1].volume_mm3 for t in tags)
        assert got == pytest.approx(row.volume_total_mm3, rel=1e-6), row.name
