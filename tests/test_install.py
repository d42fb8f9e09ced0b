"""Install anywhere: a plain pip install of pkgcad gives a working `pkgcad report` with no Node.js on the machine.

With a PATH that has no node/npm, the project's build backend makes an sdist and a wheel FROM that sdist, and
a wheel straight from the source tree (the two wheels must hold the same files, byte for byte); the
sdist-made wheel goes into a fresh venv (dependencies from pip's cache/index as any user gets them), and from
a folder outside the repository `pkgcad list`, `pkgcad build qfn` and `pkgcad report` run; the report opens
in headless Chromium, its 3D canvas draws and the page logs no error.

Without chromium the test is skipped on a developer's machine and FAILS in CI (CI=true).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from cdp import Browser, chromium_path
from conftest import require_tool
from PIL import Image
from pkgdist import BUNDLE, REPO, build, node_free_env


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 900) -> str:
    res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, f"{' '.join(cmd)} -> exit {res.returncode}\n{res.stderr[-3000:]}"
    return res.stdout


def _wheel_files(wheel: Path) -> dict[str, str]:
    """Path -> sha256 of every file of a wheel (its RECORD)."""
    with zipfile.ZipFile(wheel) as z:
        record = z.read(next(n for n in z.namelist() if n.endswith(".dist-info/RECORD"))).decode()
    return {row.split(",")[0]: row.split(",")[1] for row in record.splitlines() if row}


@pytest.fixture
def venv(tmp_path: Path) -> Iterator[Path]:
    """A folder for a fresh venv, removed afterwards: it holds ~1.9 GB (cadquery, OCP, VTK, casadi)."""
    yield tmp_path / "venv"
    shutil.rmtree(tmp_path / "venv", ignore_errors=True)


@pytest.mark.slow
def test_wheel_from_sdist_installs_and_reports_without_node(tmp_path: Path, venv: Path) -> None:
    require_tool(chromium_path(), "chromium is not installed (apt-get install chromium; .ci/run does it)")
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    env = node_free_env(tmp_path, venv / "bin")
    templates = sorted(p.stem for p in (REPO / "templates").glob("*.toml"))

    # sdist, then a wheel built from it (no npm: the bundle must come with the sdist); a wheel from the tree
    res = build(REPO, tmp_path / "dist", env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    (sdist,) = (tmp_path / "dist").glob("pkgcad-*.tar.gz")
    (wheel,) = (tmp_path / "dist").glob("pkgcad-*.whl")
    res = build(REPO, tmp_path / "direct", "--wheel", env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    (direct,) = (tmp_path / "direct").glob("pkgcad-*.whl")
    seconds["build sdist + 2 wheels"] = time.perf_counter() - t0

    with tarfile.open(sdist) as tf:
        root = tf.getnames()[0].split("/")[0]
        in_sdist = {n.removeprefix(root + "/") for n in tf.getnames()}
        assert tf.extractfile(f"{root}/{BUNDLE.as_posix()}").read() == (REPO / BUNDLE).read_bytes()  # type: ignore[union-attr]
    need = {"hatch_build.py", "web/package-lock.json", "web/viewer.js", "web/package.json",
            *(f"templates/{t}.toml" for t in templates)}
    assert need <= in_sdist, need - in_sdist
    files = _wheel_files(wheel)
    assert files == _wheel_files(direct), "the wheel built from the sdist differs from the one built from the tree"
    assert BUNDLE.as_posix() in files
    assert {f"pkgcad/templates/{t}.toml" for t in templates} <= set(files)
    with zipfile.ZipFile(wheel) as z:
        assert z.read(BUNDLE.as_posix()) == (REPO / BUNDLE).read_bytes()
    print(f"wheel {wheel.stat().st_size / 1e3:.0f} kB, sdist {sdist.stat().st_size / 1e3:.0f} kB")

    # a fresh venv; the dev venv's pip installs into it (--python), dependencies resolved as for any user
    t = time.perf_counter()
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path, env)
    _run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet",
          "--no-compile", str(wheel)], tmp_path, env)
    seconds["fresh venv + pip install"] = time.perf_counter() - t

    # run it from a folder outside the repository, as a user would
    work = tmp_path / "elsewhere"
    work.mkdir()
    t = time.perf_counter()
    where = _run([str(venv / "bin" / "python"), "-c",
                  "import pkgcad, pkgcad.templates as t; print(pkgcad.__file__); print(t.templates_dir())"], work, env)
    site = venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    assert where.split() == [str(site / "pkgcad" / "__init__.py"), str(site / "pkgcad" / "templates")]
    listed = _run([str(venv / "bin" / "pkgcad"), "list"], work, env)
    assert sorted(line.split()[0] for line in listed.splitlines() if line.strip()) == templates
    _run([str(venv / "bin" / "pkgcad"), "build", "qfn", "-o", str(work / "qfn")], work, env)
    _run([str(venv / "bin" / "pkgcad"), "report", str(work / "qfn")], work, env)
    seconds["pkgcad list + build + report"] = time.perf_counter() - t
    page = work / "qfn" / "report.html"
    assert (REPO / BUNDLE).read_text(encoding="utf-8")[:2000] in page.read_text(encoding="utf-8")

    t = time.perf_counter()
    with Browser(1024, 768) as b:
        b.goto(page.as_uri())
        b.wait_for("window.pkgcadViewer && 'ready' in window.pkgcadViewer", 90)
        assert b.eval("window.pkgcadViewer.ready") is True, b.eval("window.pkgcadViewer.error")
        b.eval("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        png = b.screenshot(None, "#viewer canvas")
        pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(np.int16)
        drawn = (np.abs(pixels - np.array([0xF4, 0xF5, 0xF7])).sum(axis=-1) > 30).mean()  # page's clear colour
        assert drawn > 0.05, f"canvas nearly blank ({drawn:.1%} drawn)"
        assert not b.console_errors(), b.console_errors()
        assert [u for u in b.requests() if not u.startswith("data:")] == [page.as_uri()]
    seconds["chromium"] = time.perf_counter() - t
    seconds["total"] = time.perf_counter() - t0
    print(", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()))
