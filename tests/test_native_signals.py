"""Issue 19 section 1: SIGINT and SIGTERM at any moment of every command, native code included.

``gmsh.initialize()`` reset SIGTERM to the default at the C level, so ``pkgcad thermal`` ended silently (exit -15)
and left its staged folder; a signal during a long native call that released the GIL waited for the call. Each
command here runs as a real process on the smallest template (draft quality, coarse mesh) and is signalled at
three moments: early (the handlers just installed, imports under way), inside native code (gmsh meshing, or OCCT
building) and inside the write (a staged temporary exists); the strip also late, once its sawn unit is written
inside its staged folder (the line named that unit after the folder was gone). Afterwards: exit 130/143, ONE line
on stderr naming only paths that exist, no traceback, the previous output byte for byte (or, when the line says
so, a finished new one), no temporary anywhere. 29 runs, about 2 minutes on 2 cores.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from test_hostile import _caught, _maps, snapshot

from pkgcad.export.outpath import STAMP

pytestmark = pytest.mark.slow

QFN = ("qfn",)


def _temporaries(root: Path) -> list[str]:
    return [str(p.relative_to(root)) for p in root.rglob("*") if ".pkgcad-" in p.name]


def _previous(folder: Path, command: str) -> None:
    """A previous output of ``command`` (its stamp lists one file): it must come through untouched."""
    folder.mkdir(parents=True)
    (folder / STAMP).write_text(json.dumps({"tool": "pkgcad", "command": command, "files": {"m.txt": 3}}))
    (folder / "m.txt").write_text("old")


# the command line of each command (run in tmp_path), and where it writes
COMMANDS: dict[str, tuple[list[str], str | None]] = {
    "build": (["build", *QFN, "--quality", "draft", "-o", "out"], "build"),
    "mesh-check": (["build", *QFN, "--quality", "draft", "--step-mode", "conformal", "--mesh-check",
                    "--mesh-size", "1", "-o", "out"], "build"),
    "thermal": (["thermal", *QFN, "--mesh", "coarse", "-o", "out"], "thermal"),
    "compare": (["thermal", "--compare", *QFN, "--mesh", "coarse", "-o", "out"], "thermal"),
    "kicad": (["kicad", *QFN, "--no-wrl", "-o", "out"], "kicad"),
    "strip": (["strip", *QFN, "--units", "1x1", "--quality", "draft", "-o", "out"], "strip"),
    "mockup": (["mockup", *QFN, "-o", "out"], "mockup"),
    "sweep": (["sweep", *QFN, "--grid", "heat_sink.thickness=0.2,0.3", "--quality", "draft", "--workers", "1",
               "--no-dashboard", "-o", "out"], None),
    "report": (["report", "model", "-o", "model/report.html"], None),
}
GMSH = {"mesh-check", "thermal", "compare"}


def _moment(name: str, command: str) -> Callable[[int, Path], bool]:
    """When to signal: ``early`` (handlers installed), ``native`` (inside gmsh, or OCCT building, or the numpy and
    Dask work of commands without either in their own process), ``write`` (a staged temporary exists)."""
    if name == "early":
        return lambda pid, _d: _caught(pid, signal.SIGTERM)
    if name == "write":
        return lambda _pid, d: bool(_temporaries(d))
    if name == "late":  # the strip's sawn unit is written (a staged folder inside its staged folder), the rest not
        return lambda _pid, d: any(d.glob(".out.pkgcad-*/unit/manifest.json"))
    lib, delay = ("libgmsh", 0.8) if command in GMSH else ("OCP", 2.0)  # into the meshing; past OCP's import
    if command in ("sweep", "report"):  # Dask workers build; report draws with numpy: seconds after the start
        lib, delay = "", 5.0 if command == "sweep" else 3.0
    seen: list[float] = []

    def native(pid: int, _d: Path) -> bool:
        if not seen and (_maps(pid, lib) if lib else _caught(pid, signal.SIGTERM)):
            seen.append(time.monotonic())
        return bool(seen) and time.monotonic() - seen[0] > delay

    return native


CASES = [(c, m, s) for c in COMMANDS for m, s in (("early", signal.SIGINT), ("native", signal.SIGTERM),
                                                  ("write", signal.SIGTERM if c != "strip" else signal.SIGINT))
         if not (c == "report" and m == "write")]  # report writes one file in milliseconds: no moment to hit
CASES.append(("strip", "late", signal.SIGINT))  # the line must not name the unit inside the vanished temporary


@pytest.fixture(scope="module")
def built_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("built")
    res = subprocess.run([sys.executable, "-m", "pkgcad", "build", "qfn", "--quality", "draft", "-o", "model"],
                         cwd=root, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    return root / "model"


@pytest.mark.parametrize("command, moment, sig", CASES, ids=[f"{c}-{m}-{signal.Signals(s).name}" for c, m, s in CASES])
def test_a_signal_at_any_moment_of_every_command(tmp_path: Path, built_model: Path, command: str, moment: str,
                                                 sig: int) -> None:
    args, stamp_command = COMMANDS[command]
    if command == "report":
        model = tmp_path / "model"
        subprocess.run(["cp", "-a", str(built_model), str(model)], check=True)
        (model / "report.html").write_text('<meta name="generator" content="pkgcad 0">previous report\n')
    elif stamp_command is not None:
        _previous(tmp_path / "out", stamp_command)
    before = snapshot(tmp_path)
    when = _moment(moment, command)
    proc = subprocess.Popen([sys.executable, "-m", "pkgcad", *args], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    while not when(proc.pid, tmp_path):
        if proc.poll() is not None or time.monotonic() > deadline:
            _out, err = proc.communicate()
            pytest.fail(f"never reached {moment}: exit {proc.returncode}: {err[-800:]}")
        time.sleep(0.002)
    proc.send_signal(sig)
    sent = time.monotonic()
    _out, err = proc.communicate(timeout=120)
    took = time.monotonic() - sent
    lines = err.strip().splitlines()
    said = [line for line in lines if re.match(r"(interrupted|terminated)\b", line)]
    assert proc.returncode == (130 if sig == signal.SIGINT else 143), err
    assert said == lines[-1:], err  # ONE line says so, the last (progress lines of a sweep may come before)
    assert "Traceback" not in err and not any(line.startswith(("error", "internal")) for line in lines), err
    assert took < 30, f"the signal was handled {took:.1f} s after it came"
    written = [Path(p) for p in re.findall(r"(/[^\s,;]+)", lines[-1])]
    for path in written:  # a path the line names exists, complete (never a temporary that vanished)
        assert path.exists() and ".pkgcad-" not in str(path), (path, lines[-1])
    assert not _temporaries(tmp_path), _temporaries(tmp_path)
    after = snapshot(tmp_path)
    if command == "sweep":  # filled in place: what it finished may stay; nothing half-written does
        assert all(k in after for k in before)
        return
    kept = {k: v for k, v in before.items() if not any((tmp_path / k).is_relative_to(w) for w in written)}
    assert {k: v for k, v in after.items() if k in kept} == kept, "the previous output changed"
    for w in written:  # finished before the signal (e.g. the build before its mesh check): whole and stamped
        assert w.is_file() or json.loads((w / STAMP).read_text())["files"], w


WATCH = """
import sys, time
from pathlib import Path
from pkgcad import interrupts
interrupts.install()
tmp = Path(sys.argv[1]); tmp.mkdir(); (tmp / "half.vtu").write_bytes(b"x" * 1000)
interrupts.register(tmp)
from pkgcad.conformal.mesh import session
with session(threads=1) as gmsh:
    gmsh.model.occ.addBox(0, 0, 0, 1, 1, 1); gmsh.model.occ.synchronize()
    gmsh.option.setNumber("Mesh.MeshSizeMax", 0.025)
    print("meshing", flush=True)
    t = time.monotonic(); gmsh.model.mesh.generate(3)
    print(f"meshed in {time.monotonic() - t:.1f} s", flush=True)
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_inside_a_long_gmsh_call_is_handled_at_once(tmp_path: Path, sig: int) -> None:
    """Inside gmsh's meshing (a native call that released the GIL, seconds long) a signal is handled within a
    second: the staged folder is removed and the one line printed. Before: SIGTERM killed the process (the C-level
    handler was gmsh's default), the folder stayed."""
    proc = subprocess.Popen([sys.executable, "-c", WATCH, str(tmp_path / "staged")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "meshing"
    time.sleep(0.5)
    proc.send_signal(sig)
    sent = time.monotonic()
    out, err = proc.communicate(timeout=300)
    took = time.monotonic() - sent
    assert proc.returncode == (130 if sig == signal.SIGINT else 143), (proc.returncode, out, err)
    assert "meshed in" not in out, "the meshing finished before the signal: make the mesh finer"
    assert took < 2.0, f"handled {took:.1f} s after the signal"
    assert err.strip() in ("interrupted; nothing written", "terminated (SIGTERM); nothing written"), err
    assert not (tmp_path / "staged").exists()
