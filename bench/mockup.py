"""Time `pkgcad mockup` for every bundled template and print piece counts, triangles and file sizes
(not a test; prints figures).

    python bench/mockup.py                 # default kit at 20x for every template
    python bench/mockup.py --cutaway       # the quarter cutaway instead
    python bench/mockup.py --scale 30 --exploded --bed 250x210

Every figure is wall time on this machine for make_kit + write_kit (thicken, build, tessellate, booleans,
checks, STL + 3MF + kit.json + kit.md), the stages from kit.json's timings.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

from pkgcad.mockup.kit import make_kit, write_kit
from pkgcad.mockup.options import make_options
from pkgcad.templates import load_layout, template_paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=20.0)
    ap.add_argument("--min-feature", type=float, default=0.4)
    ap.add_argument("--bed", default="256x256")
    ap.add_argument("--cutaway", action="store_true")
    ap.add_argument("--exploded", action="store_true")
    ap.add_argument("--repeat", type=int, default=1, help="runs per template; the best is printed")
    args = ap.parse_args()
    options = make_options(args.scale, args.min_feature, args.bed, args.cutaway, False, args.exploded)
    print(f"python {platform.python_version()} on {platform.machine()}, scale {args.scale:g}, "
          f"cut {options.cut}, exploded {options.exploded}")
    print(f"{'template':<24} {'pieces':>6} {'triangles':>10} {'STL MB':>7} {'3MF MB':>7} {'wall s':>7}  stages (s)")
    with tempfile.TemporaryDirectory() as tmp:
        for path in template_paths():
            lay = load_layout(str(path))
            spec = lay.spec
            best, data = float("inf"), {}
            for _ in range(args.repeat):
                t = time.perf_counter()
                kit = make_kit(lay, options)
                data = write_kit(kit, Path(tmp) / spec.meta.name).record
                best = min(best, time.perf_counter() - t)
            files = {f["path"]: f["bytes"] for f in data["files"]}
            stl = sum(n for p, n in files.items() if p.endswith(".stl")) / 1e6
            tris = sum(p["checks"]["triangles"] for p in data["pieces"])
            stages = " ".join(f"{k[:-2]} {v:.2f}" for k, v in data["timings_s"].items())
            print(f"{spec.meta.name:<24} {len(data['pieces']):>6} {tris:>10} {stl:>7.1f} "
                  f"{files['kit.3mf'] / 1e6:>7.1f} {best:>7.2f}  {stages}")


if __name__ == "__main__":
    main()
