"""The reader judges repeated parts and encapsulant tiles as blocks (one copy + shifts: :mod:`pkgcad.reader.blocks`),
from every-instance part files (``--stl parts``: every other copy proven against the first) and from instanced
ones (the default: each distinct mesh once, placed by the manifest). These tests show that this judges exactly
what the triangle soup judges, that both layouts give the same verdicts, and that a file damaged anywhere (one
bump of 400, one corner of one tile by one float32 step, one seam by 0.1 µm) is still caught."""

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
    """flipchip-bga with every instance in its part files (``--stl parts``)."""
    out = tmp_path_factory.mktemp("blocks") / "flipchip-bga"
    write_package(build_package(load_layout("flipchip-bga", ())), out, QUALITIES["draft"], formats=("stl",),
                  stl="parts")
    return out


@pytest.fixture(scope="module")
def instanced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """flipchip-bga with each distinct mesh once in its part files (the default ``--stl instanced``)."""
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


def test_instanced_files_read_as_the_same_blocks(flipchip: Path, instanced: Path) -> None:
    """The instanced files (one bump, one ball, each distinct tile piece once) give the blocks the every-instance
    files give: the same meshes at the same shifts, the tile seams closing up; on disk a sixth of the bytes."""
    once, every = load(instanced), load(flipchip)
    assert once.schema.parts_layout == "instanced" and every.schema.parts_layout == "every instance"
    for group, blocks in every.blocks.items():
        got = once.blocks[group]
        assert [(b.count, len(b.faces), b.tiled) for b in got] == [(b.count, len(b.faces), b.tiled) for b in blocks]
        for a, b in zip(got, blocks, strict=True):
            assert np.allclose(a.shifts, b.shifts, atol=1e-9)
            assert np.abs(a.vertices - b.vertices).max() <= 1e-5
    assert seams(once.blocks["encapsulant"]) == (0, 0, 0)
    size = lambda folder: sum(p.stat().st_size for p in (folder / "parts").glob("*.stl"))  # noqa: E731
    assert size(instanced) < size(flipchip) / 3


@pytest.mark.parametrize("template", ["flipchip-bga", "qfn", "wirebond-bga", "buffer-pad-uneven"])
def test_instanced_and_every_instance_files_get_the_same_verdicts(template: str, tmp_path: Path) -> None:
    """``pkgcad check`` of the default part files and of ``--stl parts``: every element the same verdict and the
    same figures (wires and leads, turned about z, are placed from their one stored copy)."""
    pkg = build_package(load_layout(template, ()))
    write_package(pkg, tmp_path / "once", formats=("stl",))
    write_package(pkg, tmp_path / "every", formats=("stl",), stl="parts")
    once, every = check_folder(tmp_path / "once"), check_folder(tmp_path / "every")
    assert [(r.element, r.passed, r.measured) for r in once] == [(r.element, r.passed, r.measured) for r in every]
    assert all(r.passed for r in once)


def test_instanced_bump_file_edited_is_judged_as_soup(instanced: Path, tmp_path: Path) -> None:
    """A triangle cut from the instanced bumps.stl: the file no longer holds what the manifest places, so it is
    judged as it is (one bump, missing a triangle: open), and the check fails, saying why."""
    folder = _copy(instanced, tmp_path)
    path = folder / "parts" / "bumps.stl"
    rec = _records(path)[:-1]
    head = bytearray(path.read_bytes()[:84])
    head[80:84] = np.uint32(len(rec)).tobytes()
    path.write_bytes(bytes(head) + rec.tobytes())
    rows = {r.element: r for r in check_folder(folder)}
    r = rows["mesh bumps"]
    assert not r.passed and "not watertight" in r.detail and "not laid out as the manifest says" in r.detail
    assert "1 bumps" in rows["bumps touch chip and carrier"].detail  # the one stored bump, no more


def test_a_tenth_of_a_micron_on_an_instanced_seam_opens_the_encapsulant(instanced: Path, tmp_path: Path) -> None:
    """One seam vertex of one stored tile piece moved by 0.1 µm along z (above the 0.01 µm within which
    neighbouring pieces' corners are taken as one, far below any feature): the encapsulant is not watertight."""
    folder = _copy(instanced, tmp_path)
    model = load(folder)
    blocks = model.blocks["encapsulant"]
    piece = next(b for b in blocks if len(b.open_edges) and b.count > 1)
    k = next(i for i, b in enumerate(blocks) if b is piece)
    row = next(r for r in model.schema.parts if r.role == "encapsulant")
    assert row.tiles is not None and len(blocks) == len(row.tiles.piece_triangles)
    begin = int(sum(row.tiles.piece_triangles[:k]))
    path = folder / "parts" / "encapsulant.stl"
    rec = _records(path)
    part = rec["v"][begin:begin + row.tiles.piece_triangles[k]]
    vertex = (piece.vertices[piece.open_edges[0, 0]] + piece.shifts[0]).astype(np.float32)
    hit = np.all(np.abs(part - vertex) <= 1e-6, axis=2)
    assert hit.sum() >= 2
    part[hit, 2] += np.float32(1e-4)
    rec["v"][begin:begin + row.tiles.piece_triangles[k]] = part
    _write(path, rec)
    assert seams(load(folder).blocks["encapsulant"])[0] > 0
    r = {r.element: r for r in check_folder(folder)}["mesh encapsulant"]
    assert not r.passed and "not watertight" in r.detail
