"""Issue 19 sections 5 and 6: unexpected errors labelled as such, and what a person sees in a terminal.

- ``InputError`` is no ``ValueError``: an ``except ValueError`` around meshing turned a bug into exit 2 ("refused
  before any work"). A bug is exit 1 with ONE line ``internal error in <command>: <type>: <message>`` and how to
  see more; ``--debug`` / ``PKGCAD_DEBUG=1`` print the traceback. A geometry-kernel failure is "could not build",
  a mesher failure a RunError, neither a refusal.
- ``--help``: no ``<bool>`` after flags, text wrapped by sentence, nothing cut; ``pkgcad check`` fits 100 columns;
  ``kicad`` prints absolute paths. (``thermal --compare`` prints a line per finished model off a terminal: checked
  on the README's `pkgcad thermal --compare`, whose stderr is a pipe, in tests/test_readme.py, not run twice.)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from test_cli import run

from pkgcad.cli import app
from pkgcad.errors import GeometryError, InputError, PkgcadError, RunError


def _one_line(res, *words: str) -> str:  # type: ignore[no-untyped-def]
    lines = res.stderr.strip().splitlines()
    assert res.exit_code == 1, (res.exit_code, res.stderr, res.exception)
    assert len(lines) == 1, res.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


# ------------------------------------------------------------------------------------------ error classes
def test_pkgcad_errors_are_not_builtin_errors() -> None:
    for cls in (InputError, GeometryError, RunError):
        assert issubclass(cls, PkgcadError)
        assert not issubclass(cls, (ValueError, RuntimeError, TypeError, OSError)), cls
    try:
        try:
            raise InputError("k", 1, "rule")
        except ValueError:
            pytest.fail("an `except ValueError` caught a refusal")
    except InputError:
        pass


def test_a_bug_is_an_internal_error_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def bug(*_a: object, **_k: object) -> None:
        raise KeyError("no such thing")

    monkeypatch.setattr("pkgcad.cli.plan_builds", bug)
    line = _one_line(run("build", "qfn", "-o", str(tmp_path / "o")), "internal error in build: KeyError:",
                     "no such thing", "--debug", "PKGCAD_DEBUG=1")
    assert line.startswith("internal error")
    res = run("--debug", "build", "qfn", "-o", str(tmp_path / "o"))
    assert res.exit_code == 1 and "Traceback" in res.stderr and "internal error in build" in res.stderr
    monkeypatch.setenv("PKGCAD_DEBUG", "1")
    res = run("build", "qfn", "-o", str(tmp_path / "o"))
    assert res.exit_code == 1 and "Traceback" in res.stderr


def test_a_bug_inside_meshing_is_not_a_refusal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ValueError raised by our own code while meshing was reported as bad input (exit 2)."""
    def bug(*_a: object, **_k: object) -> None:
        raise ValueError("a part without elements")

    # the gmsh call inside the one solver-mesh routine every solver uses
    monkeypatch.setattr("pkgcad.conformal.meshing.generate", bug)
    _one_line(run("thermal", "qfn", "--mesh", "coarse", "-o", str(tmp_path / "t")),
              "internal error in thermal: ValueError: a part without elements")
    assert not (tmp_path / "t").exists()

    def gmsh_failed(*_a: object, **_k: object) -> None:
        raise Exception("Invalid boundary mesh (overlapping facets) on surface 12")  # what gmsh raises

    monkeypatch.setattr("pkgcad.conformal.meshing.generate", gmsh_failed)
    line = _one_line(run("thermal", "qfn", "--mesh", "coarse", "-o", str(tmp_path / "t")), "qfn thermal mesh",
                     "overlapping facets")
    assert "internal" not in line and "could not build" not in line


class Standard_Failure(Exception):
    pass


Standard_Failure.__module__ = "OCP.Standard"


def test_a_kernel_failure_and_a_bug_in_a_build_are_told_apart(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def kernel(*_a: object, **_k: object) -> None:
        raise Standard_Failure("BRep_API: command not done")

    monkeypatch.setattr("pkgcad.geometry.build_package", kernel)
    _one_line(run("build", "qfn", "-o", str(tmp_path / "a")), "could not build the model: Standard_Failure",
              "command not done")

    def bug(*_a: object, **_k: object) -> None:
        raise AttributeError("'Layout' object has no attribute 'chips'")

    monkeypatch.setattr("pkgcad.geometry.build_package", bug)
    line = _one_line(run("build", "qfn", "-o", str(tmp_path / "b")), "internal error in build: AttributeError")
    assert "could not build the model" not in line
    assert not list(tmp_path.iterdir())


# ------------------------------------------------------------------------------------------ help
def _group() -> Any:
    import typer.main

    return typer.main.get_command(app)


def _commands() -> list[str]:
    return sorted(_group().commands)


@pytest.mark.parametrize("command", ["", *_commands()])
def test_help_is_whole_and_fits_80_columns(command: str) -> None:
    res = run(*([command] if command else []), "--help")
    assert res.exit_code == 0, res.stderr
    text = res.stdout
    assert "<bool>" not in text
    assert all(len(line) <= 80 for line in text.splitlines()), max(text.splitlines(), key=len)
    flat = " ".join(re.sub(r"(?<=\w-)\n\s+", "", text).split())  # a line may end after a word's hyphen
    group = _group()
    cmd = group.commands[command] if command else group
    for p in cmd.params:  # every option's help, whole
        if p.param_type_name == "option" and p.help:
            assert " ".join(p.help.split()) in flat, (p.name, p.help)
    if not command:  # the list: each command's first sentence whole
        for name, sub in group.commands.items():
            first = " ".join(sub.help.split()).split(". ")[0].rstrip(".")
            assert f"{name} {first}" in flat, (name, first)


def test_a_usage_error_is_still_a_usage_error() -> None:
    res = run("build", "--no-such-option")
    assert res.exit_code == 2 and "No such option" in res.stderr and "internal" not in res.stderr


def test_sweep_help_shows_its_default_folder_whole() -> None:
    flat = " ".join(run("sweep", "--help").stdout.split())
    assert "outputs/<template>-sweep" in flat
    assert "[default: build,check]" in flat


# ------------------------------------------------------------------------------------------ check, kicad
@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model") / "qfn"
    res = run("build", "qfn", "--quality", "draft", "-o", str(out))
    assert res.exit_code == 0, res.stderr
    return out


def test_check_table_fits_100_columns(model: Path) -> None:
    res = run("check", str(model))
    assert res.exit_code == 0, res.stderr
    widest = max(res.stdout.splitlines(), key=len)
    assert len(widest) <= 100, (len(widest), widest)
    assert "elements pass" in res.stdout
    assert "--json" in res.stdout  # where the details are


def test_kicad_prints_absolute_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    res = run("kicad", "qfn", "--no-wrl", "-o", "lib")
    assert res.exit_code == 0, res.stderr
    last = res.stdout.strip().splitlines()[-1]
    assert f"-> {tmp_path / 'lib'} " in last and str(tmp_path / "lib" / "README.md") in last, last
