"""Running the README's commands AS WRITTEN, once a session, shared by every xdist worker.

Each command runs through bash (pipes and quotes as a user types them; ``pkgcad`` on PATH is this Python's
``-m pkgcad``) in a folder of its own holding the repository's ``templates/`` and the files the command names.
A command whose input is another command's output (``outputs/qfn`` of ``build --all``) starts from a copy of
what that command wrote. The first worker to need a command runs it (under a file lock, see
:func:`conftest.shared`); the others wait and read the same folder, so a folder here is READ-ONLY for tests
(copy it before changing anything).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import session_root, shared

REPO = Path(__file__).resolve().parent.parent
#: commands the README shows that need something a test machine does not have
NEEDS_MORE = ("--scheduler tcp://",)  # your Dask cluster
TIMEOUT = 1800


def _uncomment(line: str) -> str:
    """``line`` without its shell comment (a ``#`` after white space, outside quotes)."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def readme_commands(text: str | None = None) -> list[str]:
    """Every concrete `pkgcad ...` command in README.md, in README order, white space made single: the lines of its
    code blocks (a line ending in ``\\`` continues on the next; comments dropped), and inline code that is a whole
    command (no placeholders such as TEMPLATE, [--opt], a|b, <x> or ...)."""
    text = (REPO / "README.md").read_text() if text is None else text
    cmds = []
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", text, re.M | re.S):
        for line in block.replace("\\\n", " ").splitlines():
            if line.startswith("pkgcad ") and not any(n in line for n in NEEDS_MORE):
                cmds.append(" ".join(_uncomment(line).split()))
    for span in re.findall(r"`(pkgcad [^`]+)`", text):
        words = span.split()
        if len(words) < 3 or any(w.isupper() or w[0] == "[" or "|" in w or "..." in w or "<" in w for w in words):
            continue
        cmds.append(" ".join(words))
    return list(dict.fromkeys(cmds))


@dataclass(frozen=True)
class Ran:
    """What one README command did: its folder (the working directory), exit status, output, seconds."""

    command: str
    folder: Path
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def ok(self) -> Ran:
        assert self.returncode == 0, (self.command, self.returncode, self.stderr[-3000:])
        return self


@dataclass(frozen=True)
class Setup:
    """How a command's folder is prepared: a copy of ``paths`` from the folder of the command ``after`` (which runs
    first if it has not), then ``inputs`` (files the command names that a user would have)."""

    after: str | None = None
    paths: tuple[str, ...] = ()
    inputs: Callable[[Path, Callable[[str], Ran]], None] | None = None
    #: the command is the SAME run as this one, spelt out (an option at its default): it is not run twice; the
    #: test proves the equivalence from ``pkgcad <command> --help`` (tests/test_readme.py)
    same_as: str | None = None


def _folder_name(command: str) -> str:
    return "cmd-" + hashlib.sha256(command.encode()).hexdigest()[:12]


def _bin(root: Path) -> Path:
    """A folder holding ``pkgcad``: this Python's ``-m pkgcad`` (the code under test, PYTHONPATH included)."""
    with shared(root, "bin") as (folder, first):
        if first:
            folder.mkdir(parents=True)
            (folder / "pkgcad").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m pkgcad "$@"\n')
            (folder / "pkgcad").chmod(0o755)
    return folder


class Runner:
    """Runs README commands once a session: ``runner(command)`` -> :class:`Ran`."""

    def __init__(self, factory: pytest.TempPathFactory, setups: dict[str, Setup]) -> None:
        self.root = session_root(factory) / "readme"
        self.setups = setups

    def __call__(self, command: str) -> Ran:
        setup = self.setups.get(command, Setup())
        if setup.same_as is not None:
            return dataclasses.replace(self(setup.same_as), command=command)
        record = self.root / f"{_folder_name(command)}.json"
        with shared(self.root, _folder_name(command)) as (folder, first):
            if first:
                self._run(command, setup, folder, record)
        data = json.loads(record.read_text())
        return Ran(command, folder, data["returncode"], data["stdout"], data["stderr"], data["seconds"])

    def _run(self, command: str, setup: Setup, folder: Path, record: Path) -> None:
        folder.mkdir(parents=True)
        if setup.after is not None:  # an earlier command's output is this one's input (its lock is taken after ours)
            before = self(setup.after).ok()
            for rel in setup.paths:
                src, dst = before.folder / rel, folder / rel
                dst.parent.mkdir(parents=True, exist_ok=True)
                if src.is_dir():
                    shutil.copytree(src, dst, symlinks=True)
                else:
                    shutil.copy2(src, dst)
        (folder / "templates").symlink_to(REPO / "templates")
        if setup.inputs is not None:
            setup.inputs(folder, self)
        env = {**os.environ, "PATH": f"{_bin(self.root)}{os.pathsep}{os.environ.get('PATH', '')}"}
        t0 = time.perf_counter()
        res = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=folder, env=env, capture_output=True,
                             text=True, timeout=TIMEOUT)
        record.write_text(json.dumps({"returncode": res.returncode, "stdout": res.stdout, "stderr": res.stderr,
                                      "seconds": time.perf_counter() - t0}))


# ---------------------------------------------------------------------------------------- the commands' inputs
BUILD_QFN_SET = ("pkgcad build templates/qfn.toml -o outputs/qfn --set heat_sink.thickness=0.25 --set "
                 "chip.size=[2.0,2.0]")
BUILD_ALL = "pkgcad build --all -o outputs/"
REPORT_QFN = "pkgcad report outputs/qfn"
BUILD_QFN_O = "pkgcad build qfn -o outputs/qfn"
SCREEN_QFN = "pkgcad screen outputs/qfn/qfn.step"
SCREEN_ROLES = ("pkgcad screen outputs/qfn/qfn.step --roles outputs/qfn-screen/roles.toml --materials "
                "interface_layer=nickel --materials heat_sink=copper")
WARP_FCBGA = "pkgcad warp flipchip-bga"
BUILD_QFN_REPORT = "pkgcad build qfn --report"
KICAD_QFN = "pkgcad kicad qfn -o outputs/kicad"
KICAD_ALL = "pkgcad kicad --all"

QFN_FROM_ALL = Setup(after=BUILD_ALL, paths=("outputs/qfn",))
SETUPS: dict[str, Setup] = {
    # `build --all` replaces outputs/qfn, which the README's build before it wrote
    BUILD_ALL: Setup(after=BUILD_QFN_SET, paths=("outputs/qfn",)),
    "pkgcad section outputs/qfn --plane xz --at 0 -o qfn_section.svg --labels": QFN_FROM_ALL,
    "pkgcad render outputs/qfn -o qfn.png": QFN_FROM_ALL,
    REPORT_QFN: QFN_FROM_ALL,
    # `build qfn --report` rebuilds the folder `pkgcad report` drew its report into
    BUILD_QFN_REPORT: Setup(after=REPORT_QFN, paths=("outputs/qfn",)),
    # the README's screening block: its own build, then the screens of what it wrote (the roles file the first
    # screen wrote is the second's input)
    SCREEN_QFN: Setup(after=BUILD_QFN_O, paths=("outputs/qfn",)),
    SCREEN_ROLES: Setup(after=SCREEN_QFN, paths=("outputs/qfn", "outputs/qfn-screen")),
    "pkgcad screen outputs/qfn/qfn.step --json": Setup(after=SCREEN_ROLES, paths=("outputs/qfn", "outputs/qfn-screen")),
    "pkgcad warp outputs/qfn --stress-free 165": QFN_FROM_ALL,
    # the README's table spells out the default mesh of the first warp command of its warpage section
    "pkgcad thermal outputs/qfn --json": QFN_FROM_ALL,
    # `--all` into the library `kicad qfn` wrote: a user growing a library (tests/test_kicad.py uses it)
    KICAD_ALL: Setup(after=KICAD_QFN, paths=("outputs/kicad",)),
}
