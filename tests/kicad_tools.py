"""Driving KiCad 6 from the tests: its ``pcbnew`` Python (a subprocess of ``/usr/bin/python3``) and kicad2step.

Without KiCad the tests that need it are skipped on a developer's machine and FAIL in CI (CI=true).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

KICAD_PYTHON = "/usr/bin/python3"
PROBE = Path(__file__).with_name("kicad_probe.py")


def _missing(what: str) -> None:
    msg = f"{what} is not installed (apt-get install --no-install-recommends kicad xvfb xauth; .ci/run does it)"
    if os.environ.get("CI"):
        pytest.fail(msg)
    pytest.skip(msg)


def require_pcbnew() -> None:
    ok = Path(KICAD_PYTHON).exists() and subprocess.run([KICAD_PYTHON, "-c", "import pcbnew"],
                                                         capture_output=True).returncode == 0
    if not ok:
        _missing("KiCad's pcbnew Python module")


def require_kicad2step() -> None:
    if not (shutil.which("kicad2step") and shutil.which("xvfb-run")):
        _missing("kicad2step or xvfb-run")


def probe(*args: str, env: dict[str, str] | None = None) -> Any:
    """Run the probe under KiCad's Python (with ``env`` added to the environment); its JSON answer."""
    res = subprocess.run([KICAD_PYTHON, str(PROBE), *args], capture_output=True, text=True, timeout=300,
                         env={**{k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}, **(env or {})})
    assert res.returncode == 0, res.stderr[-2000:]
    return json.loads(res.stdout)


def run_until_step(cmd: list[str], out: Path, env: dict[str, str], cwd: Path, timeout: float = 300.0) -> float:
    """Run ``cmd`` (a kicad2step command line) under a virtual X display in ``cwd`` with exactly ``env``, until it
    has written the complete STEP ``out``; returns the seconds it took.

    kicad2step 6.0 is a wx application: it converts, writes the STEP, then shows its message window and waits
    for a click on OK (its ``OnRun`` enters the event loop after the conversion). So we wait for the STEP's
    ISO 10303-21 trailer, then end the process group we started. Raises if no complete STEP within ``timeout``."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(["xvfb-run", "-a", *cmd], start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env, cwd=cwd)
    done = False
    try:
        while time.perf_counter() - t0 < timeout and proc.poll() is None:
            if out.exists() and out.stat().st_size > 64:
                with out.open("rb") as fh:
                    fh.seek(-64, os.SEEK_END)
                    if b"END-ISO-10303-21;" in fh.read():
                        done = True
                        break
            time.sleep(0.1)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    seconds = time.perf_counter() - t0
    if not done:
        err = proc.stderr.read().decode(errors="replace")[-1000:] if proc.stderr else ""
        raise AssertionError(f"kicad2step gave no complete STEP in {seconds:.0f} s (exit {proc.returncode}): {err}")
    print(f"kicad2step: {seconds:.1f} s", file=sys.stderr)
    return seconds
