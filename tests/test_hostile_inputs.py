"""Issue 19 section 4 (and issue 25 section 3, first bullet): inputs that ended in a traceback or a wrong result.

Malformed output stamps, ``--set`` inline tables, unbounded lengths, ``thermal --power`` near zero, a user's empty
folder inside an output, another machine's temporaries, hostile titles in HTML and Markdown, a template given as
a pipe, and a name that is both a bundled template and a folder here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_cli import assert_refused, run
from test_hostile import snapshot

from pkgcad.export.outpath import STAMP
from pkgcad.export.staging import BOOT_TAG, HOST_TAG, clean_stale, temp_name
from pkgcad.spec import PackageSpec
from pkgcad.templates import load_layout, templates_dir

REPO = Path(__file__).resolve().parent.parent


def no_geometry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if any geometry is built (a refusal must come before any work). The modules that bind
    ``build_package`` at import are imported first, so they never keep the stand-in after the test."""
    import pkgcad.mockup.kit
    import pkgcad.strip.model

    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("geometry was built: the refusal must come before any work")

    for where in (pkgcad.geometry, pkgcad.strip.model, pkgcad.mockup.kit):
        monkeypatch.setattr(where, "build_package", refuse)


# ------------------------------------------------------------------------------------------ stamps
@pytest.mark.parametrize("stamp, words", [
    ({"files": [1, 2]}, ("files",)),  # files holds numbers
    ({"files": {"m.txt": "3"}}, ("files.m.txt",)),  # a size as a string
    ({"files": {"m.txt": 3}, "views": 7}, ("views",)),  # views is a number
    ({"files": {"m.txt": 3}, "views": ["../../etc/passwd"]}, ("views.0", "..")),  # a view leading out
    ({"files": {"/etc/passwd": 3}}, ("files",)),  # a listed file outside the folder
    ({"files": {"m.txt": -1}}, ("files.m.txt",)),
])
def test_a_malformed_stamp_is_refused_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                stamp: dict[str, object], words: tuple[str, ...]) -> None:
    no_geometry(monkeypatch)
    out = tmp_path / "out"
    out.mkdir()
    (out / STAMP).write_text(json.dumps({"tool": "pkgcad", "command": "build", **stamp}))
    (out / "m.txt").write_text("old")
    before = snapshot(tmp_path)
    line = assert_refused(run("build", "qfn", "-o", str(out)), "-o", str(out / STAMP), "malformed", *words)
    assert "replaces only what it wrote" in line
    assert snapshot(tmp_path) == before


def test_a_stamp_that_is_not_json_is_refused_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_geometry(monkeypatch)
    out = tmp_path / "out"
    out.mkdir()
    (out / STAMP).write_text('{"tool": "pkgcad", "files": ')
    assert_refused(run("mockup", "qfn", "-o", str(out)), str(out / STAMP), "not JSON")


# ------------------------------------------------------------------------------------------ --set tables
def test_an_inline_table_is_merged_key_by_key() -> None:
    """``--set 'chip={size=[2,2]}'`` sets chip.size and keeps the template's other chip keys (before: the whole
    table was replaced, so chip.thickness fell back to the default and another model built, exit 0)."""
    template = tomllib.loads((templates_dir() / "qfn.toml").read_text())
    default = PackageSpec().chip.thickness
    assert template["chip"]["thickness"] != default  # else this test proves nothing
    spec = load_layout("qfn", ["chip={size=[2.0, 2.0]}"]).spec
    assert spec.chip.size == (2.0, 2.0)
    assert spec.chip.thickness == template["chip"]["thickness"]
    assert spec.chip.connection == template["chip"]["connection"]
    same = load_layout("qfn", ["chip.size=[2.0, 2.0]"]).spec
    assert spec == same
    nested = load_layout("qfn", ["heat_sink={connecting_portion={height=0.05}}"]).spec
    assert nested.heat_sink.thickness == template["heat_sink"]["thickness"]


# ------------------------------------------------------------------------------------------ bounds
@pytest.mark.parametrize("args, words", [
    (["strip", "qfn", "--units", "1x1", "--size", "1e308x1e308"], ("--size = '1e308x1e308'", "at most 1000 mm")),
    (["strip", "qfn", "--units", "1x1", "--size", "1e6x1e6"], ("--size = '1e6x1e6'", "at most 1000 mm")),
    (["strip", "qfn", "--units", "1x1", "--size", "nanx50"], ("--size",)),
    (["strip", "qfn", "--units", "1x1", "--street", "11"], ("--street = 11", "at most 10 mm")),
    (["strip", "qfn", "--units", "1x1", "--rail", "51"], ("--rail = 51", "allowed 0 to 50 mm")),
    (["strip", "qfn", "--units", "1x1", "--flash", "0.2"], ("--flash = 0.2", "0.1 mm")),
    (["strip", "qfn", "--units", "1x1", "--kerf", "inf"], ("--kerf = inf",)),
    (["build", "qfn", "--step-mode", "conformal", "--mesh-check", "--mesh-size", "6"], ("--mesh-size = 6", "5 mm")),
    (["mockup", "qfn", "--scale", "300"], ("--scale = 300", "allowed 1 to 200")),
    (["mockup", "qfn", "--bed", "3000x100"], ("--bed = '3000x100'", "allowed 20 to 2000 mm")),
])
def test_every_length_option_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str],
                                        words: tuple[str, ...]) -> None:
    no_geometry(monkeypatch)
    monkeypatch.setattr("pkgcad.strip.model.make_strip", lambda *_a, **_k: pytest.fail("a strip was made"))
    assert_refused(run(*args, "-o", str(tmp_path / "out")), *words)
    assert list(tmp_path.iterdir()) == []


def test_thermal_power_below_a_milliwatt_is_refused(tmp_path: Path) -> None:
    """``--power 1e-20`` printed theta-JC "0.000 K/W (mean 355271)" with exit 0: the rise drowned in the rounding
    of absolute temperatures. The thetas do not depend on P: at the least power accepted they equal 1 W's (slow
    test below); below it, refused."""
    for p in ("1e-20", "1e-300", "0.0009"):
        assert_refused(run("thermal", "qfn", "--power", p, "-o", str(tmp_path / "t")), f"--power = {p}",
                       "from 0.001 to 1000")


@pytest.mark.slow
def test_theta_at_the_least_power_equals_theta_at_one_watt() -> None:
    from pkgcad.thermal.run import MIN_POWER_W, run_layout

    lay = load_layout("qfn")
    small = run_layout(lay, power_w=MIN_POWER_W, mesh="coarse")
    one = run_layout(lay, power_w=1.0, mesh="coarse")
    for name in ("theta_jc_top", "theta_jb"):
        a, b = small.results[name], one.results[name]
        assert a.theta_max_k_w == pytest.approx(b.theta_max_k_w, rel=1e-6), name
        assert a.theta_mean_k_w == pytest.approx(b.theta_mean_k_w, rel=1e-6), name


# ------------------------------------------------------------------------------------------ user folders
def test_an_empty_folder_a_user_made_in_an_output_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("build", "qfn", "--quality", "draft", "-o", str(out)).exit_code == 0
    (out / "notes").mkdir()
    (out / "later" / "figures").mkdir(parents=True)
    res = run("build", "qfn", "--quality", "draft", "-o", str(out))
    assert res.exit_code == 0, res.stderr
    assert (out / "notes").is_dir() and (out / "later" / "figures").is_dir()
    assert (out / "manifest.json").is_file()
    # a file in such a folder is the user's work: refused, as any file pkgcad did not write
    (out / "notes" / "n.txt").write_text("mine")
    assert_refused(run("build", "qfn", "--quality", "draft", "-o", str(out)), "notes/n.txt")


# ------------------------------------------------------------------------------------------ temporaries
def test_clean_up_removes_only_this_hosts_dead_temporaries(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    other_host = "0" * 6 if HOST_TAG != "0" * 6 else "1" * 6
    earlier_boot = "0" * 6 if BOOT_TAG != "0" * 6 else "1" * 6
    keep = [
        temp_name(tmp_path / "a.png", pid=pid, host=other_host),  # another machine's work in progress
        temp_name(tmp_path / "b.png", pid=os.getpid()),  # alive here
        tmp_path / f".c.png.pkgcad-{pid}-0.tmp",  # an older name: no host recorded, so it is not judged
    ]
    gone = [
        temp_name(tmp_path / "d.png", pid=pid),  # this host, this boot, dead
        temp_name(tmp_path / "e.png", pid=os.getpid(), boot=earlier_boot),  # an earlier boot: dead whatever its pid
    ]
    for p in keep + gone:
        p.write_text("x")
    folder = temp_name(tmp_path / "out", pid=pid, host=other_host)
    folder.mkdir()
    (folder / STAMP).write_text(json.dumps({"tool": "pkgcad", "command": "build"}))
    keep.append(folder)
    removed = clean_stale(tmp_path)
    assert sorted(removed) == sorted(gone)
    assert all(p.exists() for p in keep) and not any(p.exists() for p in gone)


# ------------------------------------------------------------------------------------------ hostile titles
HOSTILE = "<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)> **b** | c"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _judge_html(page: str, shown: str = HOSTILE) -> None:
    """No markup came from the hostile text, and the text itself is shown as written."""
    p = _Tags()
    p.feed(page)
    assert not [a for t, a in p.tags if t == "img" and "onerror" in a], "an <img onerror> from user text"
    assert not [a for t, a in p.tags if t == "a" and (a.get("href") or "").startswith("javascript")]
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", page, re.S)
    assert not any(s.strip() == "alert(1)" for s in scripts), "a <script> from user text"
    assert shown in " ".join("".join(p.text).split()), "the user's text is not shown as written"


def _judge_markdown(text: str, shown: str = HOSTILE) -> None:
    from markdown_it import MarkdownIt

    _judge_html(MarkdownIt("commonmark", {"html": True}).render(text), shown)


@pytest.fixture(scope="module")
def hostile_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = (templates_dir() / "qfn.toml").read_text()
    path = tmp_path_factory.mktemp("hostile") / "qfn.toml"
    path.write_text(re.sub(r'(?m)^title = ".*"$', f"title = {json.dumps(HOSTILE)}", src))
    assert load_layout(str(path)).spec.meta.title == HOSTILE
    return path


def _ok(*args: str) -> None:
    res = run(*args)
    assert res.exit_code == 0, (res.stderr, res.exception)


@pytest.mark.slow
def test_hostile_title_in_every_page_pkgcad_writes(tmp_path: Path, hostile_template: Path) -> None:
    t = str(hostile_template)
    _ok("strip", t, "--units", "1x1", "--quality", "draft", "-o", str(tmp_path / "s"))
    _judge_markdown((tmp_path / "s" / "strip.md").read_text())
    _ok("mockup", t, "-o", str(tmp_path / "m"))
    _judge_markdown((tmp_path / "m" / "kit.md").read_text())
    _ok("build", t, "--quality", "draft", "-o", str(tmp_path / "b"))
    _ok("report", str(tmp_path / "b"))
    _judge_html((tmp_path / "b" / "report.html").read_text())


def test_hostile_folder_in_the_kicad_readme(tmp_path: Path) -> None:
    """The library's README names --3d-dir (any text) and --lib (letters, digits, '-', '_', '.': '__x__' is
    Markdown emphasis outside code) as written."""
    model_dir = "<script>alert(1)</script> **${X}**"
    lib = "__my__lib__"
    _ok("kicad", "qfn", "--no-wrl", "--lib", lib, "--3d-dir", model_dir, "-o", str(tmp_path / "k"))
    text = (tmp_path / "k" / "README.md").read_text()
    _judge_markdown(text, f"{model_dir}/{lib}.3dshapes/")
    _judge_markdown(text, f"KiCad library {lib} (written by pkgcad)")


def test_hostile_title_in_the_sweep_index(tmp_path: Path) -> None:
    from pkgcad.sweep.summary import write_summary

    index = write_summary(tmp_path, HOSTILE, [{"id": "abc", "status": "invalid", "error": HOSTILE}], [],
                          [(1, "chip.size", HOSTILE)], [])
    _judge_html(index.read_text())


# ------------------------------------------------------------------------------------------ names
def test_a_template_from_a_pipe_is_read_once(tmp_path: Path) -> None:
    qfn = templates_dir() / "qfn.toml"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    py = f"{sys.executable} -m pkgcad"
    show = subprocess.run(["bash", "-c", f"{py} show <(cat {qfn})"], capture_output=True, text=True, env=env,
                          timeout=120)
    assert show.returncode == 0, show.stderr
    assert "heat_sink.thickness" in show.stdout
    sweep = subprocess.run(["bash", "-c", f"{py} sweep <(cat {qfn}) --grid heat_sink.thickness=0.2,0.3 --dry-run"],
                           capture_output=True, text=True, env=env, timeout=120)
    assert sweep.returncode == 0, sweep.stderr
    assert "2 valid" in sweep.stdout


def test_a_name_that_is_both_a_bundled_template_and_a_folder_here(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """ONE rule: a bare name is a bundled template and whatever of that name is here; when the command accepts
    both (thermal reads output folders), refused naming both; a command that takes templates only reads the
    template; a FILE of that name here is a template reading too, so ambiguous for every command."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "flipchip-bga").mkdir()
    line = assert_refused(run("thermal", "flipchip-bga"), "flipchip-bga", "bundled template flipchip-bga",
                          "the folder ./flipchip-bga")
    assert str(templates_dir() / "flipchip-bga.toml") in line  # how to name the template instead
    assert run("show", "flipchip-bga").exit_code == 0
    shutil.copy(templates_dir() / "qfn.toml", tmp_path / "qfn")
    assert_refused(run("show", "qfn"), "bundled template qfn", "the file ./qfn")
    assert_refused(run("build", "qfn"), "bundled template qfn", "the file ./qfn")
    assert run("show", "./qfn").exit_code == 0
    assert not (tmp_path / "outputs").exists()
