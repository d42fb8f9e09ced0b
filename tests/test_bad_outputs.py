"""Damaged or hostile output folders given to every reader of outputs (`check`, `section`, `render`, `report`):
each is refused with exit 2 and ONE line naming the file or field, never a traceback, never a run on the OOM
killer. The folders are damaged on disk the way a user (or a disk, or an attacker) could, then fed to the CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from pkgcad.cli import app
from pkgcad.export.writer import write_package
from pkgcad.geometry import build_package
from pkgcad.templates import load_layout

runner = CliRunner()
COMMANDS = ("check", "section", "render", "report")


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bad") / "qfn"
    write_package(build_package(load_layout("qfn", ())), out, formats=("stl", "glb"))
    return out


def _manifest(folder: Path, edit: Callable[[dict], None]) -> None:
    path = folder / "manifest.json"
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def sparse_20g(folder: Path) -> None:
    subprocess.run(["truncate", "-s", "20G", str(folder / "parts" / "chip.stl")], check=True)


def truncated(folder: Path) -> None:
    path = folder / "parts" / "chip.stl"
    path.write_bytes(path.read_bytes()[:-30])


def nan_vertex(folder: Path) -> None:
    path = folder / "parts" / "chip.stl"
    data = bytearray(path.read_bytes())
    data[84 + 12:84 + 16] = np.float32(np.nan).tobytes()  # first corner's x of the first triangle
    path.write_bytes(bytes(data))


def volume_as_string(folder: Path) -> None:
    def edit(data: dict) -> None:
        data["parts"][0]["volume_mm3"] = str(data["parts"][0]["volume_mm3"])
    _manifest(folder, edit)


def wrong_role(folder: Path) -> None:
    def edit(data: dict) -> None:
        data["parts"][0]["role"] = "heatsink"
    _manifest(folder, edit)


def group_with_slash(folder: Path) -> None:
    def edit(data: dict) -> None:
        for row in data["parts"]:
            if row["role"] == "chip":
                row["group"] = "../chip"
    _manifest(folder, edit)


CASES: dict[str, tuple[Callable[[Path], None], tuple[str, ...]]] = {
    "20 GB sparse chip.stl": (sparse_20g, ("chip.stl", "truncated, padded or not a binary STL")),
    "truncated STL": (truncated, ("chip.stl", "truncated, padded or not a binary STL")),
    "NaN vertex": (nan_vertex, ("chip.stl", "NaN or infinite")),
    "volume as a string": (volume_as_string, ("parts.0.volume_mm3", "'", "valid number")),
    "wrong role": (wrong_role, ("parts.0.role", "heatsink", "'heat_sink'")),
    "group with a slash": (group_with_slash, ("../chip", "plain file name")),
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", list(CASES))
def test_damaged_folder_is_refused_in_one_line(good: Path, tmp_path: Path, case: str, command: str) -> None:
    folder = tmp_path / "model"
    shutil.copytree(good, folder)
    damage, words = CASES[case]
    damage(folder)
    before = sorted(p.name for p in folder.rglob("*"))
    result = runner.invoke(app, [command, str(folder)])
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    lines = result.stderr.strip("\n").splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert len(lines[0]) < 400, lines[0]
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert result.stdout == ""
    assert sorted(p.name for p in folder.rglob("*")) == before  # no picture or report written
