"""The HTML report: one self-contained file (no network reference), with the parameter, part and check tables
and the sections; and in a real headless Chromium (Debian's package): it loads with no console error and no
network request, the 3D canvas draws, toggling a part changes the picture, the check table shows every row.

Without chromium the browser test is skipped on a developer's machine and FAILS in CI (CI=true).
A screenshot is kept in tests/artifacts/ (gitignored).
"""

from __future__ import annotations

import io
import json
import re
from html import escape
from pathlib import Path

import numpy as np
import pytest
from cdp import Browser, chromium_path
from conftest import built, require_tool
from PIL import Image
from typer.testing import CliRunner

from pkgcad.check.run import check_folder
from pkgcad.cli import app
from pkgcad.export.writer import write_package
from pkgcad.view import html as report_mod

ARTIFACTS = Path(__file__).parent / "artifacts"
runner = CliRunner()


@pytest.fixture(scope="module")
def qfn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "qfn"
    write_package(built("qfn"), out, formats=("stl", "glb"))
    res = runner.invoke(app, ["report", str(out)])
    assert res.exit_code == 0, res.output
    return out


def test_report_is_self_contained(qfn: Path) -> None:
    html = (qfn / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    # nothing to fetch: no external script, style, image or font; a CSP that forbids it anyway
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.I)
    assert not re.search(r"<link\b", html, re.I)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html, re.I)
    assert not re.search(r"@import", html)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    for tag in ("<canvas", "<iframe", "<object", "<embed"):
        assert tag not in html.split('<script>')[0]  # the page draws its canvas itself


def test_report_holds_the_tables_and_sections(qfn: Path) -> None:
    html = (qfn / "report.html").read_text()
    manifest = json.loads((qfn / "manifest.json").read_text())
    rows = check_folder(qfn)
    assert html.count('class="check-row') == len(rows)
    for r in rows:
        assert escape(r.element) in html
    assert html.count('class="part-row') == len(manifest["parts"]) + 1  # + totals
    for p in manifest["parts"]:
        assert f"<code>{p['name']}</code>" in html
    assert 'id="params"' in html and "<code>heat_sink.thickness</code>" in html
    # front, zoomed front and side cut every kind of part of the QFN (leads and wires too); the top view 3
    assert html.count('class="region"') == 3 * 9 + 3
    assert html.count("<svg ") == 4
    assert "data:image/png;base64," in html
    assert 'id="pkgcad-glb"' in html


def test_missing_viewer_bundle_is_one_line_exit_2(qfn: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_mod, "VIEWER_JS", tmp_path / "viewer.js")
    res = runner.invoke(app, ["report", str(qfn), "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "make viewer" in lines[0], res.stderr
    assert not (tmp_path / "r.html").exists()
    res = runner.invoke(app, ["build", "qfn", "-o", str(tmp_path / "q"), "--report"])
    assert res.exit_code == 2 and "make viewer" in res.stderr
    assert not (tmp_path / "q").exists()  # refused before building


def test_report_refuses_bad_folders(tmp_path: Path) -> None:
    res = runner.invoke(app, ["report", str(tmp_path)])
    assert res.exit_code == 2 and "manifest.json" in res.stderr
    res = runner.invoke(app, ["report", str(tmp_path), "--tol", "0"])
    assert res.exit_code == 2 and "--tol" in res.stderr


# ------------------------------------------------------------------------------------------ the browser
def _require_chromium() -> None:
    require_tool(chromium_path(), "chromium is not installed (apt-get install chromium; .ci/run does it)")


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(np.int16)


@pytest.mark.slow
def test_report_in_headless_chromium(qfn: Path) -> None:
    _require_chromium()
    page = (qfn / "report.html").resolve()
    expected_rows = len(json.loads(runner.invoke(app, ["check", str(qfn), "--json"]).stdout))
    ARTIFACTS.mkdir(exist_ok=True)
    with Browser(1280, 900) as b:
        b.goto(page.as_uri())
        b.wait_for("window.pkgcadViewer && 'ready' in window.pkgcadViewer", 90)
        assert b.eval("window.pkgcadViewer.ready") is True, b.eval("window.pkgcadViewer.error")
        b.eval("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")

        # the 3D canvas draws the model: many pixels differ from the clear colour
        before = _pixels(b.screenshot(ARTIFACTS / "report_viewer.png", "#viewer canvas"))
        clear = np.array([0xF4, 0xF5, 0xF7])
        drawn = (np.abs(before - clear).sum(axis=-1) > 30).mean()
        assert drawn > 0.05, f"canvas nearly blank ({drawn:.1%} drawn)"

        # toggling parts changes the picture: take the lid off (interface layer + heat sink), then the mold
        groups = b.eval("window.pkgcadViewer.groups")
        assert {"heat_sink", "interface_layer", "encapsulant", "chip"} <= set(groups)
        for g in ("interface_layer", "heat_sink", "encapsulant"):
            b.eval(f"document.querySelector('input[data-group=\"{g}\"]').click()")
        assert b.eval("document.querySelector('input[data-group=\"heat_sink\"]').checked") is False
        after = _pixels(b.screenshot(ARTIFACTS / "report_viewer_open.png", "#viewer canvas"))
        changed = (np.abs(after - before).sum(axis=-1) > 30).mean()
        assert changed > 0.02, f"hiding parts changed only {changed:.1%} of the canvas"
        # and back: the same picture again
        for g in ("interface_layer", "heat_sink", "encapsulant"):
            b.eval(f"document.querySelector('input[data-group=\"{g}\"]').click()")
        again = _pixels(b.screenshot(None, "#viewer canvas"))
        assert (np.abs(again - before).sum(axis=-1) > 30).mean() < 0.002

        # the cut toggle clips the model
        b.eval("document.getElementById('cut-toggle').click()")
        cutaway = _pixels(b.screenshot(None, "#viewer canvas"))
        assert (np.abs(cutaway - before).sum(axis=-1) > 30).mean() > 0.01
        b.eval("document.getElementById('cut-toggle').click()")

        # every check row is shown
        shown = b.eval("[...document.querySelectorAll('#checks tbody tr')]"
                       ".filter(r => r.getBoundingClientRect().height > 0).length")
        assert shown == expected_rows
        b.screenshot(ARTIFACTS / "report_page.png")
        print(f"screenshots: {ARTIFACTS}/report_page.png, report_viewer.png, report_viewer_open.png")

        errors = b.console_errors()
        assert not errors, errors
        urls = b.requests()
        assert urls and urls[0] == page.as_uri()
        others = [u for u in urls[1:] if not u.startswith("data:")]
        assert not others, f"the page asked the network for {others}"
