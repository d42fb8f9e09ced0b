"""Helpers for the packaging tests: a PATH of a machine without Node.js, a copy of the source tree, npm, and
builds of sdists and wheels with the project's own backend (``python -m build``: an isolated environment
with hatchling, as pip makes for ``pip install .``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import require_tool

REPO = Path(__file__).resolve().parent.parent
BUNDLE = Path("pkgcad", "view", "assets", "viewer.js")
WEB_INPUTS = ("package.json", "package-lock.json", "viewer.js")
NODE_TOOLS = frozenset({"node", "nodejs", "npm", "npx", "corepack", "yarn", "pnpm"})


def node_free_env(tmp: Path, *first: Path) -> dict[str, str]:
    """The environment with a PATH that finds every program of today's PATH except Node.js and its package
    managers: a folder of links to them (the first of each name wins, as on PATH), after ``first``."""
    shadow = tmp / "bin-without-node"
    shadow.mkdir(parents=True, exist_ok=True)
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if not d or not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            src = os.path.join(d, name)
            dst = shadow / name
            if name in NODE_TOOLS or dst.exists() or dst.is_symlink() or not os.access(src, os.X_OK):
                continue
            if os.path.isfile(src):
                dst.symlink_to(os.path.realpath(src))
    path = os.pathsep.join([*(str(p) for p in first), str(shadow)])
    for tool in ("node", "npm", "npx"):
        assert shutil.which(tool, path=path) is None, f"{tool} still on the constructed PATH"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(PATH=path, PYTHONNOUSERSITE="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    return env


def source_copy(dst: Path, bundle: bool) -> Path:
    """What an sdist of the project holds to build a wheel (package, templates, web inputs, build files),
    with or without the committed viewer bundle, in a new folder ``dst``."""
    dst.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md", "hatch_build.py"):
        shutil.copy2(REPO / name, dst / name)
    for name in ("pkgcad", "templates"):
        shutil.copytree(REPO / name, dst / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (dst / "web").mkdir()
    for name in WEB_INPUTS:
        shutil.copy2(REPO / "web" / name, dst / "web" / name)
    if not bundle:
        (dst / BUNDLE).unlink()
    return dst


def require_npm() -> str:
    npm = shutil.which("npm")
    require_tool(npm, "npm is not installed (apt-get install nodejs npm; .ci/run does it)")
    assert npm
    return npm


def build(src: Path, out: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m build [args] --outdir out src`` (sdist then a wheel from it, unless told --wheel/--sdist)."""
    return subprocess.run([sys.executable, "-m", "build", *args, "--outdir", str(out), str(src)],
                          capture_output=True, text=True, env=env, timeout=600)
