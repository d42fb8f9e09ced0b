"""A hostile user at every entry point (issue 10): output paths pkgcad must not touch, signals at any moment,
stale temporaries, permissions, and bad inputs that must give ONE line and exit 2 with nothing written.

Every case here failed before the output guard (pkgcad.export.outpath), the signal handling (pkgcad.interrupts)
and the input rules: the table in the lead's note says how.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from test_cli import assert_refused, run

from pkgcad.errors import InputError, echo
from pkgcad.export.outpath import STAMP, check_output_file, written_by_pkgcad
from pkgcad.export.staging import clean_stale, temp_name
from pkgcad.spec import MAX_BUMPS
from pkgcad.templates import load_layout

REPO = Path(__file__).resolve().parent.parent


def snapshot(root: Path) -> dict[str, tuple[str, int, str]]:
    """Every entry under ``root`` (links not followed): kind, mode and content hash (a link: its target)."""
    out: dict[str, tuple[str, int, str]] = {}
    for p in sorted([root, *root.rglob("*")]):
        st = os.lstat(p)
        if stat.S_ISLNK(st.st_mode):
            out[str(p.relative_to(root))] = ("link", st.st_mode, os.readlink(p))
        elif stat.S_ISDIR(st.st_mode):
            out[str(p.relative_to(root))] = ("dir", st.st_mode, "")
        else:
            out[str(p.relative_to(root))] = ("file", st.st_mode, hashlib.sha256(p.read_bytes()).hexdigest())
    return out


def build(*args: str):  # type: ignore[no-untyped-def]
    return run("build", "qfn", "--quality", "draft", *args)


# ------------------------------------------------------------------------------------ output folders
def test_folder_holding_a_user_file_is_refused_untouched(tmp_path: Path) -> None:
    d = tmp_path / "d"
    d.mkdir()
    (d / "thesis.txt").write_text("years of work\n")
    before = snapshot(tmp_path)
    assert_refused(build("-o", str(d)), str(d), "thesis.txt", "did not write")
    assert snapshot(tmp_path) == before
    assert_refused(run("mockup", "qfn", "-o", str(d)), str(d), "thesis.txt")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("where, words", [
    ("..", ("holds the current folder",)),
    (".", ("is the current folder",)),
    ("", ("is the current folder",)),
    ("../..", ("holds the current folder",)),
])
def test_current_folder_and_its_ancestors_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str,
                                                      words: tuple[str, ...]) -> None:
    child = tmp_path / "p" / "child"
    child.mkdir(parents=True)
    (tmp_path / "p" / "keep.txt").write_text("mine")
    (child / "keep.txt").write_text("mine too")
    monkeypatch.chdir(child)
    before = snapshot(tmp_path)
    assert_refused(build("-o", where), *words)
    assert_refused(run("mockup", "qfn", "-o", where), *words)
    assert snapshot(tmp_path) == before


def test_symlink_is_refused_and_never_followed(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (target / "data.csv").write_text("1,2\n")
    (tmp_path / "link").symlink_to(target)
    (tmp_path / "empty-target").mkdir()
    (tmp_path / "link2").symlink_to(tmp_path / "empty-target")  # even to an empty folder
    before = snapshot(tmp_path)
    assert_refused(build("-o", str(tmp_path / "link")), "symbolic link", "link")
    assert_refused(build("-o", str(tmp_path / "link2")), "symbolic link")
    assert_refused(run("render", str(tmp_path), "-o", str(tmp_path / "link")), "symbolic link")
    assert snapshot(tmp_path) == before


def test_plain_file_is_refused_and_not_moved(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("notes\n")
    before = snapshot(tmp_path)
    assert_refused(build("-o", str(notes)), "notes.txt", "is a file")
    assert_refused(run("mockup", "qfn", "-o", str(notes)), "is a file")
    assert_refused(run("build", "--all", "-o", str(notes)), "is a file", "--all")  # not "built 6/6"
    assert snapshot(tmp_path) == before  # no hidden .notes.txt.old-PID either


def test_device_root_home_and_mount_point_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root_before = set(os.listdir("/"))
    assert_refused(build("-o", "/dev/null"), "/dev/null", "device")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert_refused(run("report", str(tmp_path), "-o", "/dev/null"), "device")
    assert_refused(build("-o", "/"), "root folder")
    assert_refused(run("build", "--all", "-o", "/"), "root folder")
    assert_refused(build("-o", "/proc"), "mount point")
    assert set(os.listdir("/")) == root_before  # no /..XXXX.tmp
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    assert_refused(build("-o", str(home)), "home folder")
    assert list(home.iterdir()) == []


def test_shared_empty_folder_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    assert_refused(build("-o", str(shared)), "sticky bit")
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777


def test_path_errors_come_before_any_geometry(tmp_path: Path) -> None:
    """A path error is exit 2 at once, not exit 1 'could not build the model' after the build."""
    (tmp_path / "f").write_text("x")
    t0 = time.perf_counter()
    assert_refused(run("build", "flipchip-bga", "--set", "bumps.count=2500", "--set", "bumps.pitch=0.1",
                       "--set", "bumps.diameter=0.06", "--set", "bumps.height=0.05", "-o", str(tmp_path / "f" / "x")),
                   "is a file", "not a folder")
    assert time.perf_counter() - t0 < 10  # the 2,500-bump model takes longer than that to build


# ------------------------------------------------------------------------------------ what may be replaced
@pytest.fixture(scope="module")
def built_qfn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("qfn") / "out"
    result = build("-o", str(out))
    assert result.exit_code == 0, result.stderr
    return out


def test_rebuild_replaces_its_own_output_and_keeps_pictures(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build("-o", str(out)).exit_code == 0
    stamp = json.loads((out / STAMP).read_text())
    assert stamp["tool"] == "pkgcad" and stamp["command"] == "build"
    assert set(stamp["files"]) == {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()} - {STAMP}
    # a picture drawn into the folder is recorded, and kept across the rebuild (with a note)
    assert run("section", str(out), "--plane", "yz", "-o", str(out / "fig.svg")).exit_code == 0
    fig = (out / "fig.svg").read_bytes()
    result = build("-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert (out / "fig.svg").read_bytes() == fig
    assert "kept 1 picture" in result.stderr and "fig.svg" in result.stderr
    # a file the user put there stops the rebuild; so does a model file the user changed
    (out / "notes.txt").write_text("mine")
    before = snapshot(out)
    assert_refused(build("-o", str(out)), "notes.txt", "did not write")
    assert snapshot(out) == before
    (out / "notes.txt").unlink()
    with (out / "qfn.step").open("ab") as fh:
        fh.write(b"edited\n")
    assert_refused(build("-o", str(out)), "qfn.step", "changed since pkgcad wrote it")


def test_old_output_without_stamp_is_recognised_by_its_manifest(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build("-o", str(out)).exit_code == 0
    (out / STAMP).unlink()  # as written before the stamp existed: the manifest lists the files
    assert build("-o", str(out)).exit_code == 0
    (out / STAMP).unlink()
    (out / "extra.txt").write_text("x")
    assert_refused(build("-o", str(out)), "extra.txt")


def test_build_output_is_not_replaced_by_a_mockup(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build("-o", str(out)).exit_code == 0
    before = snapshot(out)
    assert_refused(run("mockup", "qfn", "-o", str(out)), "pkgcad build", "not of `pkgcad mockup`")
    assert snapshot(out) == before


@pytest.mark.parametrize("command, name, suffix", [("section", "s", ".svg"), ("render", "r", ".png"),
                                                   ("report", "h", ".html")])
def test_file_outputs(built_qfn: Path, tmp_path: Path, command: str, name: str, suffix: str) -> None:
    """A folder where a file is wanted, a file pkgcad did not write, a device: one line, exit 2, untouched. A
    file pkgcad wrote is replaced."""
    (tmp_path / "dir").mkdir()
    mine = tmp_path / f"mine{suffix}"
    mine.write_bytes(b"my own picture")
    before = snapshot(tmp_path)
    assert_refused(run(command, str(built_qfn), "-o", str(tmp_path / "dir")), "is a folder")
    assert_refused(run(command, str(built_qfn), "-o", ""), "is a folder")
    assert_refused(run(command, str(built_qfn), "-o", str(mine)), "not written by pkgcad")
    assert snapshot(tmp_path) == before
    ours = tmp_path / f"{name}{suffix}"
    result = run(command, str(built_qfn), "-o", str(ours))
    assert result.exit_code == 0, result.stderr
    assert written_by_pkgcad(ours) and check_output_file(ours) == ours  # recognisably pkgcad's: may be replaced
    assert stat.S_IMODE(ours.stat().st_mode) == 0o666 & ~_umask()


def test_default_picture_path_does_not_replace_a_user_file(built_qfn: Path) -> None:
    mine = built_qfn / "render.png"
    mine.write_bytes(b"\x89PNG my own")
    try:
        assert_refused(run("render", str(built_qfn)), "render.png", "not written by pkgcad")
        assert mine.read_bytes() == b"\x89PNG my own"
    finally:
        mine.unlink()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_permissions_follow_the_umask(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build("-o", str(out)).exit_code == 0
    mask = _umask()
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~mask  # 0755, not mkdtemp's 0700
    assert stat.S_IMODE((out / "parts").stat().st_mode) == 0o777 & ~mask
    for p in out.rglob("*"):
        if p.is_file():
            assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~mask, p


# ------------------------------------------------------------------------------------ stale temporaries
def test_stale_temporaries_of_dead_processes_are_cleaned(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)  # a process that has ended
    mark = json.dumps({"tool": "pkgcad", "command": "build", "host": os.uname().nodename})
    stale = temp_name(tmp_path / "out", pid=pid)
    stale.mkdir()
    (stale / STAMP).write_text(mark)
    (stale / "half.stl").write_bytes(b"\0" * 100)
    stale_file = temp_name(tmp_path / "pic.svg", pid=pid)
    stale_file.write_text("<svg")
    live = temp_name(tmp_path / "out")  # this process: alive, kept
    live.mkdir()
    (live / STAMP).write_text(mark)
    foreign = temp_name(tmp_path / "notes", pid=pid)  # a dead pid but no pkgcad stamp: not ours, kept
    foreign.mkdir()
    (foreign / "x").write_text("x")
    assert build("-o", str(tmp_path / "out")).exit_code == 0
    assert not stale.exists() and not stale_file.exists()
    assert live.exists() and foreign.exists()
    # killed between the two renames of a swap: the old output comes back instead of being deleted
    old = temp_name(tmp_path / "model", "old", pid=pid)
    old.mkdir()
    (old / STAMP).write_text(mark)
    assert clean_stale(tmp_path) == [] and (tmp_path / "model" / STAMP).exists() and not old.exists()


# ------------------------------------------------------------------------------------ signals
def _caught(pid: int, signum: int) -> bool:
    """Whether process ``pid`` has a handler for ``signum`` (/proc/PID/status SigCgt)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    mask = int(re.search(r"^SigCgt:\s*([0-9a-f]+)", text, re.M)[1], 16)  # type: ignore[index]
    return bool(mask >> (signum - 1) & 1)


def _maps(pid: int, word: str) -> bool:
    try:
        return word in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def _staged(folder: Path) -> bool:
    return any(p.name.startswith(".out.pkgcad-") for p in folder.iterdir())


WHEN: dict[str, Callable[[int, Path], bool]] = {
    # the handlers are installed first thing: from then on, a signal during the imports of typer, pydantic, numpy
    "imports": lambda pid, _d: _caught(pid, signal.SIGTERM),
    # while CadQuery/OCP loads (its shared libraries are being mapped): a traceback or a segfault before
    "ocp-import": lambda pid, _d: _maps(pid, "OCP"),
    # while the staged folder is being written
    "export": lambda pid, d: _staged(d),
}


def _interrupt(tmp_path: Path, sig: int, when: str, extra_delay: float = 0.0) -> subprocess.CompletedProcess[str]:
    proc = subprocess.Popen([sys.executable, "-m", "pkgcad", "build", "flipchip-bga", "-o", "out",
                             "--quality", "draft"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 240
    while not WHEN[when](proc.pid, tmp_path):
        if proc.poll() is not None or time.monotonic() > deadline:
            out, err = proc.communicate()
            pytest.fail(f"never reached {when}: {proc.returncode} {err[-800:]}")
        time.sleep(0.002)
    time.sleep(extra_delay)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.slow
@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
@pytest.mark.parametrize("when, delay", [("imports", 0.0), ("imports", 0.5), ("ocp-import", 0.0),
                                         ("ocp-import", 0.3), ("export", 0.0)])
def test_signal_at_any_moment(tmp_path: Path, sig: int, code: int, when: str, delay: float) -> None:
    """Exit 130/143 with one line, no traceback, no segfault, the previous output intact, no staged folder left."""
    out = tmp_path / "out"
    out.mkdir()
    (out / STAMP).write_text(json.dumps({"tool": "pkgcad", "command": "build", "files": {"m.txt": 3}}))
    (out / "m.txt").write_text("old")
    before = snapshot(out)
    res = _interrupt(tmp_path, sig, when, delay)
    lines = res.stderr.strip().splitlines()
    assert res.returncode == code, res.stderr
    assert len(lines) == 1 and lines[0].endswith("; nothing written"), res.stderr
    assert "Traceback" not in res.stderr
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_signal_inside_a_swap_waits_for_it() -> None:
    """A signal that arrives while an output is being swapped into place is handled after the swap."""
    code = ("import os, signal, sys\nfrom pkgcad import interrupts\ninterrupts.install()\n"
            "with interrupts.critical():\n    os.kill(os.getpid(), signal.SIGTERM)\n    print('swapped', flush=True)\n"
            "print('never')\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (res.returncode, res.stdout, res.stderr) == (143, "swapped\n", "terminated (SIGTERM); nothing written\n")


@pytest.mark.slow
@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_to_a_parallel_build(tmp_path: Path, sig: int, code: int) -> None:
    """Ctrl-C reaches the whole process group: no worker prints a traceback, no staged folder is left."""
    proc = subprocess.Popen([sys.executable, "-m", "pkgcad", "build", "--all", "-o", "all", "-j", "2", "--quality",
                             "draft"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 240
    while not ((tmp_path / "all").exists() and any(".pkgcad-" in p.name for p in (tmp_path / "all").iterdir())):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.01)
    os.killpg(proc.pid, sig)
    _out, err = proc.communicate(timeout=120)
    lines = err.strip().splitlines()
    assert proc.returncode == code, err
    assert len(lines) == 1 and "Traceback" not in err and "Warning" not in err, err
    assert not [p for p in (tmp_path / "all").iterdir() if ".pkgcad-" in p.name]


# ------------------------------------------------------------------------------------ bad inputs
def refused(template: str, *sets: str) -> InputError:
    with pytest.raises(InputError) as info:
        load_layout(template, sets)
    msg = str(info.value)
    assert "\n" not in msg and len(msg) < 600, msg
    return info.value


def test_deeply_nested_toml(tmp_path: Path) -> None:
    arrays = tmp_path / "arrays.toml"
    arrays.write_text("a = " + "[" * 1000 + "]" * 1000 + "\n")
    tables = tmp_path / "tables.toml"
    tables.write_text("[" + ".".join(["a"] * 600) + "]\nx = 1\n")
    for path in (arrays, tables):
        assert "nested deeper than" in str(refused(str(path)))
        assert_refused(run("build", str(path), "-o", str(tmp_path / "out")), "nested deeper than")
    assert "nested deeper than" in str(refused("qfn", "x=" + "[" * 1000 + "]" * 1000))
    assert not (tmp_path / "out").exists()


def test_empty_template_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    err = refused(str(empty))
    assert "is empty" in str(err) and "[carrier]" in str(err) and "[chip]" in str(err)
    only = tmp_path / "only.toml"
    only.write_text("[heat_sink]\nthickness = 0.3\n")
    assert "no [carrier] or [chip] table" in str(refused(str(only)))
    assert_refused(run("build", str(empty), "-o", str(tmp_path / "out")), "is empty")
    assert not (tmp_path / "out").exists()


def test_huge_value_under_an_unknown_key_is_echoed_capped(tmp_path: Path) -> None:
    err = refused("qfn", "chip.notes=" + "x" * 50_000_000)
    assert "unknown key" in str(err) and "(50,000,000 characters)" in str(err)
    assert len(str(err)) < 400
    assert len(echo("y" * 10_000_000)) < 120
    big = tmp_path / "big.toml"  # a 50 MB template is not read at all
    big.write_text(f'[carrier]\nkind = "qfn"\n[chip]\nnotes = "{"x" * 50_000_000}"\n')
    assert "larger than 1 MB" in str(refused(str(big)))


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "+inf"])
def test_not_finite_numbers(value: str) -> None:
    err = refused("qfn", f"heat_sink.thickness={value}")
    assert err.key == "heat_sink.thickness" and "not a finite number" in str(err)
    assert "not a finite number" in str(refused("qfn", f"chip.size=[2.0, {value}]"))


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + (REPO / "templates" / "qfn.toml").read_bytes())
    assert load_layout(str(path)).spec == load_layout("qfn").spec
    utf16 = tmp_path / "utf16.toml"
    utf16.write_bytes((REPO / "templates" / "qfn.toml").read_text().encode("utf-16"))
    assert "UTF-16" in str(refused(str(utf16)))


def test_hard_limit_holds_on_the_realised_count() -> None:
    # the hard limit asked for, in a 24 mm square: the nearest array that fits is 432 x 463 = 200,016 (layout.fit_array)
    sets = (f"bumps.count={MAX_BUMPS}", "bumps.pitch=0.05", "bumps.diameter=0.03", "bumps.height=0.02",
            "chip.size=[24.0,24.0]", "carrier.size=[30.0,30.0]")
    err = refused("flipchip-bga", *sets)
    assert err.key == "bumps.count" and f"hard limit of {MAX_BUMPS:,}" in str(err)
    realised = int(re.search(r"has ([\d,]+) bumps", str(err))[1].replace(",", ""))  # type: ignore[index]
    assert realised > MAX_BUMPS
    ask = int(re.search(r"bumps.count = (\d+) gives", str(err))[1])  # type: ignore[index]
    lay = load_layout("flipchip-bga", [*sets[1:], f"bumps.count={ask}"])
    assert lay.bumps is not None and lay.bumps.realised <= MAX_BUMPS


def test_plating_thicker_than_the_plate() -> None:
    err = refused("flipchip-bga", "interface_layer.thickness=0.1", "heat_sink.thickness=0.06")
    assert err.key == "interface_layer.thickness" and "<= 0.03 mm" in str(err)


@pytest.mark.parametrize("sets, key", [
    (("rules.min_gap=0", "adhesive.thickness=0.000001"), "adhesive.thickness"),
    (("rules.min_gap=0",), "rules.min_gap"),
    (("interface_layer.thickness=0.000001",), "interface_layer.thickness"),
    (("heat_sink.first_surface=corrugated", "heat_sink.corrugated.depth=0.00001"), "heat_sink.corrugated.depth"),
])
def test_layers_and_steps_too_thin_for_the_check(sets: tuple[str, ...], key: str) -> None:
    """What the rules accept must pass `pkgcad check`: a 1e-6 mm bond line failed its volume check (float32
    STL), wires touching the heat sink with min_gap 0 left the mold open, a 1e-5 mm groove never finished."""
    assert refused("flipchip-bga", *sets).key == key


@pytest.mark.slow
@pytest.mark.parametrize("template, sets", [
    ("flipchip-bga", ("adhesive.thickness=0.0001", "interface_layer.thickness=0.0001", "rules.min_gap=0.002")),
    ("wirebond-bga", ("rules.min_gap=0.002", "adhesive.thickness=0.0946")),  # the wire loops 0.0021 mm below
    ("textured-first-surface", ("heat_sink.connecting_portion.height=0.002", "adhesive.thickness=0.0001",
                                "rules.min_gap=0.002", "heat_sink.corrugated.depth=0.002")),
    # asperities 0.002 mm above the die: the checker took their tips for the face on the adhesive (fixed)
    ("flipchip-bga", ("heat_sink.first_surface=roughened", "rules.min_gap=0.002", "adhesive.thickness=0.022")),
])
def test_the_least_the_rules_accept_passes_the_check(tmp_path: Path, template: str, sets: tuple[str, ...]) -> None:
    args = [a for s in sets for a in ("--set", s)]
    result = run("build", template, "-o", str(tmp_path / "out"), "--check", *args)
    assert result.exit_code == 0, (result.stdout[-3000:], result.stderr)


def test_error_wording_names_the_key_set() -> None:
    err = refused("wirebond-bga", "wires.loop_height=1.0")
    assert err.key == "wires.loop_height" and "wire loop top reaches 0.8925 mm above" in str(err)
    assert "-0." not in str(err)
    err = refused("wirebond-bga", "adhesive.thickness=0.1")
    assert err.key == "adhesive.thickness" and "raise adhesive.thickness to >= 0.1125 mm" in str(err)
    assert "lower wires.loop_height to <= 0.0675 mm" in str(err)
    err = refused("flipchip-bga", "chip.size=[12.0,12.0]")
    assert "10 mm carrier" in str(err) and "rules.saw_margin = 0.1 mm on each side" in str(err)
    assert "chip.size[0] <= 9.8 mm" in str(err)
    err = refused("flipchip-bga", "chip.size=[2]")
    assert str(err).startswith("chip.size = [2]: needs two numbers [x, y]")
    assert "chip.size[1]" not in str(err) and "Field required" not in str(err)


def test_check_tolerance_is_bounded(built_qfn: Path) -> None:
    assert_refused(run("check", str(built_qfn), "--tol", "1e9"), "--tol", "at most 0.05")


def test_big_model_needs_yes(tmp_path: Path) -> None:
    big = ("--set", "bumps.count=19000", "--set", "bumps.pitch=0.05", "--set", "bumps.diameter=0.03",
           "--set", "bumps.height=0.02", "--set", "chip.size=[8.0,8.0]", "--stl", "all")  # every instance
    t0 = time.perf_counter()
    line = assert_refused(run("build", "flipchip-bga", "-o", str(tmp_path / "out"), "--quality", "fine", *big),
                          "--quality", "GB written", "--yes", "--quality normal")
    assert time.perf_counter() - t0 < 10, "said so before building"
    gb = float(re.search(r"about ([\d.]+) GB written", line)[1])  # type: ignore[index]
    # at fine the 0.2 rad angular limit sets the tessellation of any small bump: flipchip-bga's measure 1,348
    # triangles (`pkgcad show flipchip-bga --sizes`), 2/3 of a sphere here against 3/4 there: ~1,200; each bump
    # and its cavity in the mold, 50 bytes a triangle in each of two STL files: 19,000 x 2 x 1,200 x 100 B = 4.6 GB
    assert 2.5 < gb < 8
    assert not (tmp_path / "out").exists()


def test_measuring_a_big_model_needs_yes() -> None:
    """`show --sizes` writes every quality into a temporary folder: the same guard, before it builds."""
    big = ("--set", "bumps.count=19000", "--set", "bumps.pitch=0.05", "--set", "bumps.diameter=0.03",
           "--set", "bumps.height=0.02", "--set", "chip.size=[8.0,8.0]")
    assert_refused(run("show", "flipchip-bga", "--sizes", *big), "--sizes", "GB", "--yes")
