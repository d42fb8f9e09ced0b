"""How long `pkgcad check` takes on a large flip chip (bench/scale.py's family, default 10,000 bumps, normal
quality: ~5 M triangles). Targets: at most 10 s for 10,000 bumps (issue 10), 20 s for 100,000 (issue 23).

    python bench/check_speed.py                 # build the model into a scratch folder, then time the check
    python bench/check_speed.py --bumps 100000  # the 100,000-bump model
    python bench/check_speed.py --stl parts     # its part files with every instance (every copy proven)
    python bench/check_speed.py --folder DIR    # time the check of a folder built before (kept)

Prints the wall time of the whole command (`pkgcad check DIR --json`, a fresh process: imports, reading and
proving the files, every element), then in this process the time of reading the folder and of each element.
Not a test: figures only. Taken on a shared machine, they are upper bounds; the load average is printed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/scale.py

TARGET_S = 10.0


def build(folder: Path, bumps: int, stl: str) -> None:
    from scale import flipchip

    from pkgcad.export.writer import write_package
    from pkgcad.geometry import build_package
    from pkgcad.templates import make_layout

    t = time.perf_counter()
    manifest = write_package(build_package(make_layout(flipchip(bumps))), folder, formats=("stl",), stl=stl)
    tris = sum(f["bytes"] - 84 for f in manifest["files"] if f["path"].startswith("parts/")) // 50
    every = sum(r["triangles"] * r["count"] for r in manifest["parts"])
    print(f"built {folder} in {time.perf_counter() - t:.1f} s: {tris:,} triangles in parts/ (--stl {stl}), "
          f"{every:,} in the model")


def time_command(folder: Path) -> float:
    exe = Path(sys.executable).with_name("pkgcad")
    t = time.perf_counter()
    res = subprocess.run([str(exe), "check", str(folder), "--json"], capture_output=True, text=True)
    wall = time.perf_counter() - t
    if res.returncode != 0:
        sys.exit(f"pkgcad check exited {res.returncode}: {res.stderr.strip() or res.stdout[-400:]}")
    return wall


def time_parts(folder: Path) -> None:
    from pkgcad.bounds import DEFAULT_TOL
    from pkgcad.check.run import ELEMENTS
    from pkgcad.reader.folder import load_output

    t = time.perf_counter()
    model = load_output(folder)
    print(f"  read and prove the files  {time.perf_counter() - t:6.2f} s "
          f"({sum(b.triangles for bs in model.blocks.values() for b in bs):,} triangles as "
          f"{sum(len(b.faces) for bs in model.blocks.values() for b in bs):,} distinct ones)")
    for element in ELEMENTS:
        t = time.perf_counter()
        rows = element(model, DEFAULT_TOL)
        if rows:
            print(f"  {element.__name__:<24}  {time.perf_counter() - t:6.2f} s  "
                  f"{sum(r.passed for r in rows)}/{len(rows)} pass")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--folder", type=Path, help="an output folder of the model (else one is built)")
    ap.add_argument("--bumps", type=int, default=10_000, help="bumps of the model built (default 10,000)")
    ap.add_argument("--stl", default="instanced", help="--stl mode of the model built (default instanced)")
    args = ap.parse_args()
    target = TARGET_S if args.bumps <= 10_000 else 20.0
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or Path(tmp) / f"flipchip-{args.bumps}"
        if not (folder / "manifest.json").is_file():
            build(folder, args.bumps, args.stl)
        wall = time_command(folder)
        print(f"pkgcad check {folder}: {wall:.2f} s wall (target <= {target:g} s: "
              f"{'PASS' if wall <= target else 'MISS'})")
        time_parts(folder)
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
