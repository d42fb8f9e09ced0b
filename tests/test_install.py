"""Install anywhere: a plain pip install of pkgcad gives a working `pkgcad report` with no Node.js on the machine.

With a PATH that has no node/npm, the project's build backend makes an sdist and a wheel FROM that sdist, and
a wheel straight from the source tree (the two wheels must hold the same files, byte for byte); the
sdist-made wheel goes into a fresh venv (dependencies from pip's cache/index as any user gets them), and from
a folder outside the repository `pkgcad list`, `pkgcad build qfn` and `pkgcad report` run; the report opens
in headless Chromium, its 3D canvas draws and the page logs no error.

Without chromium the test is skipped on a developer's machine and FAILS in CI (CI=true).
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cdp import Browser, chromium_path
from conftest import require_tool, session_root, shared
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


def _install_and_use(tmp_path: Path) -> dict[str, Any]:
    """Everything the install takes, in order, with what each step showed; the venv (~1.9 GB: cadquery, OCP, VTK,
    casadi) is removed at the end."""
    venv = tmp_path / "venv"
    facts: dict[str, Any] = {"seconds": {}}
    seconds = facts["seconds"]
    t0 = time.perf_counter()
    env = node_free_env(tmp_path, venv / "bin")
    try:
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
            facts["sdist_files"] = sorted(n.removeprefix(root + "/") for n in tf.getnames())
            member = tf.extractfile(f"{root}/{BUNDLE.as_posix()}")
            facts["sdist_bundle_sha256"] = hashlib.sha256(member.read()).hexdigest() if member else None
        facts["wheel_files"] = _wheel_files(wheel)
        facts["direct_wheel_files"] = _wheel_files(direct)
        with zipfile.ZipFile(wheel) as z:
            facts["wheel_bundle_sha256"] = hashlib.sha256(z.read(BUNDLE.as_posix())).hexdigest()
        facts["sizes_kB"] = {"wheel": wheel.stat().st_size / 1e3, "sdist": sdist.stat().st_size / 1e3}

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
        where = "import pkgcad, pkgcad.templates as t; print(pkgcad.__file__); print(t.templates_dir())"
        facts["where"] = _run([str(venv / "bin" / "python"), "-c", where], work, env).split()
        facts["site"] = str(venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages")
        facts["listed"] = _run([str(venv / "bin" / "pkgcad"), "list"], work, env)
        _run([str(venv / "bin" / "pkgcad"), "build", "qfn", "-o", str(work / "qfn")], work, env)
        _run([str(venv / "bin" / "pkgcad"), "report", str(work / "qfn")], work, env)
        seconds["pkgcad list + build + report"] = time.perf_counter() - t
        page = work / "qfn" / "report.html"
        facts["page_holds_the_bundle"] = (REPO / BUNDLE).read_text(encoding="utf-8")[:2000] in page.read_text(
            encoding="utf-8")

        t = time.perf_counter()
        with Browser(1024, 768) as b:
            b.goto(page.as_uri())
            b.wait_for("window.pkgcadViewer && 'ready' in window.pkgcadViewer", 90)
            facts["ready"] = b.eval("window.pkgcadViewer.ready")
            facts["viewer_error"] = b.eval("window.pkgcadViewer.error")
            b.eval("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            png = b.screenshot(None, "#viewer canvas")
            pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(np.int16)
            facts["drawn"] = float((np.abs(pixels - np.array([0xF4, 0xF5, 0xF7])).sum(axis=-1) > 30).mean())
            facts["console_errors"] = b.console_errors()
            facts["requests"] = [u for u in b.requests() if not u.startswith("data:")]
            facts["page"] = page.as_uri()
        seconds["chromium"] = time.perf_counter() - t
        seconds["total"] = time.perf_counter() - t0
    except Exception as exc:  # recorded: every test of the install reports it, none runs the install again
        facts["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        shutil.rmtree(venv, ignore_errors=True)
    return facts


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """ONE install for the session (every xdist worker reads what it recorded): the sdist and the wheels, a fresh
    venv, pkgcad run from elsewhere, the report in headless Chromium. Needs chromium (skipped on a developer's
    machine without it, FAILS in CI)."""
    require_tool(chromium_path(), "chromium is not installed (apt-get install chromium; .ci/run does it)")
    root = session_root(tmp_path_factory)
    with shared(root, "install") as (folder, first):
        if first:
            folder.mkdir(parents=True)
            facts = _install_and_use(folder)
            (root / "install.json").write_text(json.dumps(facts))
            print(", ".join(f"{k} {v:.1f} s" for k, v in facts["seconds"].items()))
    facts = json.loads((root / "install.json").read_text())
    assert "error" not in facts, facts["error"]
    return facts


@pytest.mark.slow
@pytest.mark.first  # the install (minutes) starts with the other long runs
@pytest.mark.timeout(3600)
def test_sdist_holds_the_viewer_bundle_and_what_builds_it(installed: dict[str, Any]) -> None:
    templates = sorted(p.stem for p in (REPO / "templates").glob("*.toml"))
    need = {"hatch_build.py", "web/package-lock.json", "web/viewer.js", "web/package.json", BUNDLE.as_posix(),
            *(f"templates/{t}.toml" for t in templates)}
    assert need <= set(installed["sdist_files"]), need - set(installed["sdist_files"])
    assert installed["sdist_bundle_sha256"] == hashlib.sha256((REPO / BUNDLE).read_bytes()).hexdigest()


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_wheel_from_the_sdist_is_the_wheel_from_the_tree(installed: dict[str, Any]) -> None:
    templates = sorted(p.stem for p in (REPO / "templates").glob("*.toml"))
    files = installed["wheel_files"]
    assert files == installed["direct_wheel_files"], "the wheel built from the sdist differs from the tree's"
    assert BUNDLE.as_posix() in files
    assert {f"pkgcad/templates/{t}.toml" for t in templates} <= set(files)
    assert installed["wheel_bundle_sha256"] == hashlib.sha256((REPO / BUNDLE).read_bytes()).hexdigest()
    print(f"wheel {installed['sizes_kB']['wheel']:.0f} kB, sdist {installed['sizes_kB']['sdist']:.0f} kB")


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_installed_pkgcad_lists_builds_and_reports_from_anywhere(installed: dict[str, Any]) -> None:
    """From a folder outside the repository, the installed package and its templates are used (not the tree's)."""
    site = Path(installed["site"])
    assert installed["where"] == [str(site / "pkgcad" / "__init__.py"), str(site / "pkgcad" / "templates")]
    templates = sorted(p.stem for p in (REPO / "templates").glob("*.toml"))
    listed = installed["listed"]
    assert sorted(line.split()[0] for line in listed.splitlines() if line.strip()) == templates
    assert installed["page_holds_the_bundle"]


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_installed_report_draws_in_chromium_without_the_network(installed: dict[str, Any]) -> None:
    assert installed["ready"] is True, installed["viewer_error"]
    assert installed["drawn"] > 0.05, f"canvas nearly blank ({installed['drawn']:.1%} drawn)"
    assert not installed["console_errors"], installed["console_errors"]
    assert installed["requests"] == [installed["page"]]
    print(", ".join(f"{k} {v:.1f} s" for k, v in installed["seconds"].items()))
