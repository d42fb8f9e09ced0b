"""The report's three.js bundle (pkgcad/view/assets/viewer.js) is committed so that pip installs need no
Node.js. These tests prove that its bytes are exactly what the pinned web/package-lock.json and web/viewer.js
build (npm ci, then esbuild via `npm run build`, in a fresh folder), so a change to either without
`make viewer` fails here; and that the build hook (hatch_build.py) makes the same bytes when the bundle is
absent, or stops with one line when it cannot.

They need npm: skipped on a developer's machine without it, FAILED in CI (CI=true), where .ci/run installs it.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from pkgdist import BUNDLE, REPO, WEB_INPUTS, build, node_free_env, require_npm, source_copy

STALE = "`make viewer` and commit pkgcad/view/assets/viewer.js"


def _npm(npm: str, web: Path, *args: str) -> None:
    res = subprocess.run([npm, *args], cwd=web, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, f"npm {' '.join(args)}: {res.stderr[-2000:]}"


def test_committed_bundle_is_what_the_lock_file_builds(tmp_path: Path) -> None:
    npm = require_npm()
    web = tmp_path / "web"  # the build script writes ../pkgcad/view/assets/viewer.js: a fresh tree, not the repo
    web.mkdir()
    for name in WEB_INPUTS:
        shutil.copy2(REPO / "web" / name, web / name)
    (tmp_path / BUNDLE).parent.mkdir(parents=True)
    _npm(npm, web, "ci", "--no-audit", "--no-fund", "--loglevel=error", "--prefer-offline")
    _npm(npm, web, "run", "--silent", "build")
    committed = (REPO / BUNDLE).read_bytes()
    built = (tmp_path / BUNDLE).read_bytes()
    assert built == committed, (f"the committed bundle ({len(committed)} B) differs from what web/ builds "
                                f"({len(built)} B): run {STALE}")
    # the comparison is not blind: one more statement in web/viewer.js and the bytes differ
    with (web / "viewer.js").open("a") as fh:
        fh.write("\nconsole.info('a change in web/viewer.js');\n")
    _npm(npm, web, "run", "--silent", "build")
    assert (tmp_path / BUNDLE).read_bytes() != committed
    # and the three.js licence notice (MIT) travels with every copy
    assert b"Three.js Authors" in committed and b"SPDX-License-Identifier: MIT" in committed


@pytest.mark.slow
def test_build_hook_bundles_when_the_bundle_is_absent(tmp_path: Path) -> None:
    require_npm()
    src = source_copy(tmp_path / "src", bundle=False)
    res = build(src, tmp_path / "dist", "--wheel")
    assert res.returncode == 0, res.stderr[-3000:] + res.stdout[-3000:]
    (wheel,) = (tmp_path / "dist").glob("pkgcad-*.whl")
    with zipfile.ZipFile(wheel) as z:
        assert z.read(BUNDLE.as_posix()) == (REPO / BUNDLE).read_bytes()
    assert "bundled pkgcad/view/assets/viewer.js from web/package-lock.json" in res.stdout + res.stderr


@pytest.mark.slow
def test_build_hook_without_npm_stops_with_one_line(tmp_path: Path) -> None:
    src = source_copy(tmp_path / "src", bundle=False)
    res = build(src, tmp_path / "dist", "--wheel", env=node_free_env(tmp_path))
    assert res.returncode != 0
    lines = [ln for ln in (res.stdout + res.stderr).splitlines() if ln.startswith("pkgcad build: ")]
    assert len(lines) == 1, res.stderr[-3000:]
    assert "viewer.js (the report's 3D viewer) is missing and npm is not on PATH" in lines[0]
    assert "make viewer" in lines[0]
    assert not list((tmp_path / "dist").glob("*.whl"))
