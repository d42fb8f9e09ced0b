"""The reader judges repeated parts and encapsulant tiles as blocks (one copy + shifts, every other copy proven
against it: :mod:`pkgcad.reader.blocks`). These tests show that this judges exactly what the triangle soup
judges, and that a file damaged anywhere (one bump of 400, one corner of one tile by one float32 step) is
still caught."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from pkgcad.check.run import check_folder
from pkgcad.export.options import QUALITIES
from pkgcad.export.writer import write_package
from pkgcad.geometry import build_package
from pkgcad.meshutil import STL_RECORD
from pkgcad.reader.blocks import seams
from pkgcad.reader.folder import load_output as load
from pkgcad.templates import load_layout


@pytest.fixture(scope="module")
def flipchip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("blocks") / "flipchip-bga"
    write_package(build_package(load_layout("flipchip-bga", ())), out, QUALITIES["draft"], formats=("stl",))
    return out


def _copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / src.name
    shutil.copytree(src, dst)
    return dst


def _records(path: Path) -> np.ndarray:
    data = path.read_bytes()
    return np.frombuffer(data, STL_RECORD, (len(data) - 84) // STL_RECORD.itemsize, 84).copy()


def _write(path: Path, rec: np.ndarray) -> None:
    head = path.read_bytes()[:84]
    path.write_bytes(head + rec.tobytes())


def test_the_files_are_read_as_proven_copies(flipchip: Path) -> None:
    """400 bumps and 64 balls (the template's counts) are one block each; the encapsulant is its distinct tiles,
    and their seams close each other up. Nothing was read as soup."""
    spec = load_layout("flipchip-bga", ()).spec
    model = load(flipchip)
    (bumps,) = model.blocks["bumps"]
    (balls,) = model.blocks["balls"]
    assert bumps.count == spec.bumps.count == 400 and balls.count == spec.balls.count == 64
    tiles = model.blocks["encapsulant"]
    assert len(tiles) > 1 and all(b.tiled for b in tiles)
    assert sum(b.count for b in tiles) > len(tiles)  # some piece is used more than once
    assert any(len(b.open_edges) for b in tiles)
    assert seams(tiles) == (0, 0, 0)
    assert not any(b.note for bs in model.blocks.values() for b in bs)
    triangles = sum(b.triangles for bs in model.blocks.values() for b in bs)
    on_disk = sum((p.stat().st_size - 84) // 50 for p in (flipchip / "parts").glob("*.stl"))
    assert triangles == on_disk


def test_blocks_judge_what_the_soup_judges(flipchip: Path, tmp_path: Path) -> None:
    """The same folder without the manifest's layout (``triangles``, ``placements``, ``tiles``) is read as one
    soup per file, every triangle cast: every element gives the same verdict and the same figures."""
    soup = _copy(flipchip, tmp_path)
    data = json.loads((soup / "manifest.json").read_text())
    for row in data["parts"]:
        for key in ("triangles", "placements", "tiles"):
            row.pop(key, None)
    (soup / "manifest.json").write_text(json.dumps(data))
    assert all(len(bs) == 1 and bs[0].count == 1 for bs in load(soup).blocks.values())
    fast, slow = check_folder(flipchip), check_folder(soup)
    assert [(r.element, r.passed, r.measured) for r in fast] == [(r.element, r.passed, r.measured) for r in slow]
    assert all(r.passed for r in fast)


def test_one_bump_of_400_lifted_is_caught(flipchip: Path, tmp_path: Path) -> None:
    """Bump 217 lifted 50 µm in bumps.stl, the manifest untouched: the file is no longer 400 copies of bump 0,
    so it is judged triangle by triangle, and the bump no longer touches the carrier."""
    folder = _copy(flipchip, tmp_path)
    path = folder / "parts" / "bumps.stl"
    rec = _records(path)
    per = len(rec) // 400
    rec["v"][217 * per:218 * per, :, 2] += np.float32(0.05)
    _write(path, rec)
    rows = {r.element: r for r in check_folder(folder)}
    r = rows["bumps touch chip and carrier"]
    assert not r.passed and "1 of 400 bumps" in r.detail
    assert "not laid out as the manifest says" in rows["mesh bumps"].detail
    assert "bump copy 217" in rows["mesh bumps"].detail
    assert rows["chip and interconnects enclosed"].passed


def test_one_float32_step_on_a_tile_seam_opens_the_encapsulant(flipchip: Path, tmp_path: Path) -> None:
    """Every corner of one seam vertex of one tile use moved by one float32 step (0.5 nm): each copy is still
    the first one shifted within the copy tolerance and its own corners still coincide, but the seam no longer
    meets the neighbour's corner bit for bit, so the encapsulant's file is not watertight."""
    folder = _copy(flipchip, tmp_path)
    model = load(folder)
    piece = next(b for b in model.blocks["encapsulant"] if len(b.open_edges) and b.count > 1)
    row = next(r for r in model.schema.parts if r.role == "encapsulant")
    assert row.tiles is not None
    uses = [(int(u[0]), u[1], u[2]) for u in row.tiles.uses]
    k = next(i for i, b in enumerate(model.blocks["encapsulant"]) if b is piece)  # a block per piece, in order
    assert len(model.blocks["encapsulant"]) == len(row.tiles.piece_triangles)
    begin = np.concatenate([[0], np.cumsum([row.tiles.piece_triangles[u[0]] for u in uses])])
    second = [i for i, u in enumerate(uses) if u[0] == k][1]
    path = folder / "parts" / "encapsulant.stl"
    rec = _records(path)
    part = rec["v"][begin[second]:begin[second + 1]]
    vertex = piece.vertices[piece.open_edges[0, 0]] + piece.shifts[1]
    hit = np.all(np.abs(part - vertex.astype(np.float32)) <= 1e-5, axis=2)
    assert hit.sum() >= 2
    part[hit] = np.nextafter(part[hit], np.float32(np.inf))
    rec["v"][begin[second]:begin[second + 1]] = part
    _write(path, rec)
    damaged = load(folder)
    assert not any(b.note for b in damaged.blocks["encapsulant"])  # still read as proven copies
    assert seams(damaged.blocks["encapsulant"])[0] > 0
    r = {r.element: r for r in check_folder(folder)}["mesh encapsulant"]
    assert not r.passed and "not watertight" in r.detail
