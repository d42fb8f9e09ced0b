"""Issue 19 section 3: a full disk, names too long for the file system.

- Before building, the size estimate (export/estimate.py) is compared with the free space: refused, exit 2, one
  line naming the folder, the free space and what was needed; no geometry made.
- A write that runs out of space anyway (a real ENOSPC on a 2-4 MB tmpfs when the test runs as root, which CI
  does; else an injected one) is ONE line naming the folder, the free space and roughly what was needed, exit 1:
  never "could not build the model: OSError" (a disk is not a geometry failure), never a traceback; the previous
  output intact, no temporary left. `report` and `section --width 8000` the same.
- Every name pkgcad will create (the -o folder with its temporary's prefix, meta.name's files, kicad --lib's
  folders) is judged against the file system's limit before any work.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from test_cli import assert_refused, run
from test_hostile import snapshot
from test_hostile_inputs import no_geometry

from pkgcad.export.outpath import TEMP_OVERHEAD


# ------------------------------------------------------------------------------------------ long names
def test_a_long_output_name_is_refused_before_any_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_geometry(monkeypatch)
    name = "o" * (255 - TEMP_OVERHEAD + 1)  # fits alone, not with the temporary's prefix and suffix
    line = assert_refused(run("build", "qfn", "-o", str(tmp_path / name)), "-o", "bytes", "255")
    assert "temporary" in line
    assert list(tmp_path.iterdir()) == []
    assert_refused(run("mockup", "qfn", "-o", str(tmp_path / ("m" * 250))), "-o", "bytes")
    assert list(tmp_path.iterdir()) == []


def test_a_long_meta_name_is_refused_before_any_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_geometry(monkeypatch)
    name = "q" * 251  # q...q.stpZ: 256 bytes
    assert_refused(run("build", "qfn", "--set", f"meta.name={name}", "-o", str(tmp_path / "out")), "meta.name",
                   "bytes")
    assert list(tmp_path.iterdir()) == []


def test_a_long_kicad_library_name_is_refused(tmp_path: Path) -> None:
    lib = "L" * 260
    assert_refused(run("kicad", "qfn", "--lib", lib, "-o", str(tmp_path / "lib")), "--lib", "bytes")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------ free space
def test_a_build_that_cannot_fit_is_refused_before_building(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_geometry(monkeypatch)
    real = shutil.disk_usage

    def small(path: object) -> object:
        u = real(path)  # type: ignore[arg-type]
        return type(u)(u.total, u.total - 1_000_000, 1_000_000)  # 1 MB free

    monkeypatch.setattr(shutil, "disk_usage", small)
    line = assert_refused(run("build", "qfn", "-o", str(tmp_path / "out")), str(tmp_path), "1.0 MB free",
                          "will be written")
    assert "MB will be written" in line
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------ a full disk
@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model") / "qfn"
    res = run("build", "qfn", "--quality", "draft", "-o", str(out))
    assert res.exit_code == 0, res.stderr
    return out


def _mount(where: Path, size: int) -> bool:
    where.mkdir()
    if os.geteuid() != 0:
        return False
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    return res.returncode == 0


@contextmanager
def small_disk(tmp_path: Path, size: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, bool]]:
    """A tmpfs of ``size`` bytes (root), or a folder whose large writes fail with ENOSPC (injected into the STL
    writer and the file writer every picture and report goes through)."""
    where = tmp_path / "disk"
    mounted = _mount(where, size)
    if not mounted:
        def full(*_a: object, **_k: object) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(where / "qfn" / "x"))

        monkeypatch.setattr("pkgcad.export.writer.write_stl", full)
        monkeypatch.setattr("pkgcad.export.staging.write_file", full)
    try:
        yield where, mounted
    finally:
        if mounted:
            subprocess.run(["umount", str(where)], check=True)


def _one_line(res, *words: str) -> str:  # type: ignore[no-untyped-def]
    lines = res.stderr.strip().splitlines()
    assert res.exit_code == 1, (res.exit_code, res.stderr, res.exception)
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert "could not build" not in lines[0] and "internal error" not in lines[0]
    return lines[0]


def test_a_write_that_fills_the_disk_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with small_disk(tmp_path, 4 << 20, monkeypatch) as (disk, _mounted):
        prev = disk / "out"
        prev.mkdir()
        (prev / ".pkgcad").write_text('{"tool": "pkgcad", "command": "build", "files": {"m.txt": 3}}')
        (prev / "m.txt").write_text("old")
        before = snapshot(disk)
        monkeypatch.setattr("pkgcad.runner.check_free_space", lambda *_a, **_k: None)  # past the estimate's check
        # --stl all: every instance written out (~7 MB; the instanced default's ~3 MB would fit the 4 MB disk)
        line = _one_line(run("build", "qfn", "--quality", "draft", "--stl", "all", "-o", str(prev)),
                         f"no space left in {disk}", "free", "needed")
        assert line.startswith("error: qfn: no space left")
        assert snapshot(disk) == before  # the previous output intact, no temporary left


def test_report_and_section_on_a_full_disk(tmp_path: Path, model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    size = sum(f.stat().st_size for f in model.rglob("*") if f.is_file())
    with small_disk(tmp_path, size + (2 << 20), monkeypatch) as (disk, mounted):
        folder = disk / "qfn"
        shutil.copytree(model, folder)
        if mounted:  # leave less than the report needs
            free = shutil.disk_usage(disk).free
            (disk / "filler").write_bytes(b"\0" * max(0, free - 16_000))
        before = snapshot(disk)
        _one_line(run("report", str(folder)), f"no space left in {folder}", "free")
        _one_line(run("section", str(folder), "--width", "8000", "--labels", "-o", str(folder / "big.png")),
                  f"no space left in {folder}", "free")
        assert snapshot(disk) == before
