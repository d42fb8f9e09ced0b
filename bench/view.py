"""Time the pictures of a model (not a test; prints figures): section SVG and PNG, the isometric render and the
HTML report, for bundled templates built into a temporary folder.

    python bench/view.py                  # qfn and flipchip-bga
    python bench/view.py wirebond-bga     # any bundled templates

Every figure is wall time on this machine; the report needs the viewer bundle (`make viewer`).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from pkgcad.view.report import write_report

from pkgcad.export.writer import write_package
from pkgcad.geometry import build_package
from pkgcad.reader.folder import load_output as load
from pkgcad.templates import load_layout
from pkgcad.view.render import render
from pkgcad.view.section import cut, write_section


def timed(fn):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main(names: list[str]) -> None:
    print(f"{'model':<16} {'triangles':>9} {'section svg':>16} {'section png':>16} {'render 1024x768':>18} "
          f"{'report':>16}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            folder = Path(tmp) / name
            write_package(build_package(load_layout(name, ())), folder, formats=("stl", "glb"))
            model = load(folder)
            tris = sum(len(m.faces) for m in model.meshes.values())
            sec, t_cut = timed(lambda m=model: cut(m, "xz", 0.0))
            _, t_svg = timed(lambda s=sec, f=folder: write_section(s, f / "s.svg", labels=True))
            _, t_png = timed(lambda s=sec, f=folder: write_section(s, f / "s.png", zoom_z=4, labels=True))
            _, t_ren = timed(lambda m=model, f=folder: render(m, f / "r.png", 1024, 768))
            res, t_rep = timed(lambda m=model: write_report(m))

            def kb(p: Path) -> str:
                return f"{p.stat().st_size / 1e3:.0f} kB"

            print(f"{name:<16} {tris:>9} {t_cut + t_svg:>6.2f} s {kb(folder / 's.svg'):>7} "
                  f"{t_cut + t_png:>6.2f} s {kb(folder / 's.png'):>7} {t_ren:>8.2f} s {kb(folder / 'r.png'):>7} "
                  f"{t_rep:>6.2f} s {res.bytes / 1e6:.2f} MB")


if __name__ == "__main__":
    main(sys.argv[1:] or ["qfn", "flipchip-bga"])
