"""Hatchling build hook: every sdist and wheel ships the HTML report's three.js viewer bundle.

The bundle (pkgcad/view/assets/viewer.js) is committed, so a build from a git checkout or from an sdist
needs no Node.js and this hook does nothing. When the bundle is absent (deleted in a checkout) it is made
from the pinned web/package-lock.json with the same two commands as `make viewer` (npm ci, then esbuild via
`npm run build`); without npm, or when npm fails, the build stops with one line saying why and what to do,
so no wheel without a viewer (a report that cannot open) is ever made.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUNDLE = Path("pkgcad") / "view" / "assets" / "viewer.js"
COMMANDS = (["ci", "--no-audit", "--no-fund", "--loglevel=error"], ["run", "--silent", "build"])


def _fail(reason: str) -> SystemExit:
    return SystemExit(f"pkgcad build: {BUNDLE} (the report's 3D viewer) is missing and {reason}; build from a git "
                      "checkout or an sdist (both hold it), or install Node.js/npm and run `make viewer`")


def ensure_bundle(root: Path) -> bool:
    """Bundle the viewer from web/ when it is absent; True when it was built here."""
    if (root / BUNDLE).is_file():
        return False
    npm = shutil.which("npm")
    if npm is None:
        raise _fail("npm is not on PATH to bundle it from web/package-lock.json")
    for args in COMMANDS:
        res = subprocess.run([npm, *args], cwd=root / "web", capture_output=True, text=True)
        if res.returncode != 0:
            last = (res.stderr.strip() or res.stdout.strip() or "no output").splitlines()[-1]
            raise _fail(f"`npm {' '.join(args[:2])}` in web/ failed (exit {res.returncode}: {last[:200]})")
    if not (root / BUNDLE).is_file():
        raise _fail("`npm run build` in web/ did not write it")
    return True


class ViewerBundleHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if ensure_bundle(Path(self.root)):
            self.app.display_info(f"bundled {BUNDLE} from web/package-lock.json (npm ci + esbuild)")
