"""``pkgcad kicad`` speed and size: the --all library, and the 10,000-bump flip chip against its ``build``.

    python bench/kicad.py            # both
    python bench/kicad.py --all      # only the --all library
    python bench/kicad.py --bumps    # only the 10,000-bump model

Prints wall seconds (machine load makes them upper bounds), WRL/STEP sizes, and PASS / MISS for the targets of
issue 13: ``pkgcad kicad --all`` <= 30 s on 2 cores; STEP + WRL of the 10,000-bump model within 2x the time of
``pkgcad build`` of the same model; a BGA's WRL small (one ball defined, the rest USE lines). Not a test.
All lengths in the specs are millimetres.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PKGCAD = [sys.executable, "-m", "pkgcad"]
# 10,000 bumps at 0.15 mm pitch under a 15 x 15 mm die (100 x 100), on a 19 x 19 mm substrate
BUMPS = ["flipchip-bga", "--set", "bumps.count=10000", "--set", "bumps.pitch=0.15", "--set", "bumps.diameter=0.075",
         "--set", "bumps.height=0.06", "--set", "chip.size=[15.0,15.0]", "--set", "carrier.size=[19.0,19.0]",
         "--set", "heat_sink.connecting_portion.enabled=false"]


def run(args: list[str]) -> float:
    t0 = time.perf_counter()
    res = subprocess.run([*PKGCAD, *args], capture_output=True, text=True)
    if res.returncode:
        raise SystemExit(f"pkgcad {' '.join(args)} failed: {res.stderr.strip()}")
    return time.perf_counter() - t0


def load() -> str:
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def bench_all(tmp: Path) -> None:
    out = tmp / "all"
    seconds = run(["kicad", "--all", "-o", str(out)])
    summary = json.loads((out / ".pkgcad-kicad.json").read_text())
    print(f"pkgcad kicad --all: {seconds:.1f} s ({load()}) target <= 30 s: {'PASS' if seconds <= 30 else 'MISS'}")
    print(f"{'footprint':<80} {'STEP MB':>8} {'WRL MB':>7} {'defs':>5} {'uses':>6} {'build s':>8} {'STEP s':>7} "
          f"{'WRL s':>6}")
    for fp in summary["footprints"]:
        shapes = out / "pkgcad.3dshapes"
        step, wrl = (shapes / f"{fp['model']}.{ext}" for ext in ("step", "wrl"))
        s = fp.get("seconds", {})
        print(f"{fp['footprint']:<80} {step.stat().st_size / 1e6:>8.2f} {wrl.stat().st_size / 1e6:>7.2f} "
              f"{fp['wrl']['definitions']:>5} {fp['wrl']['instances']:>6} {s.get('build', 0):>8.2f} "
              f"{s.get('step', 0):>7.2f} {s.get('wrl', 0):>6.2f}")


def bench_bumps(tmp: Path) -> None:
    build_s = run(["build", *BUMPS, "-o", str(tmp / "build")])
    out = tmp / "kicad"
    kicad_s = run(["kicad", *BUMPS, "-o", str(out)])
    (fp,) = json.loads((out / ".pkgcad-kicad.json").read_text())["footprints"]
    s = fp["seconds"]
    models = s["step"] + s["wrl"]
    wrl = out / "pkgcad.3dshapes" / f"{fp['model']}.wrl"
    step = wrl.with_suffix(".step")
    print(f"10,000 bumps ({load()}): pkgcad build {build_s:.1f} s; pkgcad kicad {kicad_s:.1f} s = build "
          f"{s['build']:.1f} + STEP {s['step']:.1f} + WRL {s['wrl']:.1f} s")
    verdict = "PASS" if models <= 2 * build_s else "MISS"
    print(f"  STEP + WRL {models:.1f} s vs 2 x build {2 * build_s:.1f} s: {verdict}; "
          f"STEP {step.stat().st_size / 1e6:.1f} MB, WRL {wrl.stat().st_size / 1e6:.1f} MB "
          f"({fp['wrl']['definitions']} meshes, {fp['wrl']['instances']} instances)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--bumps", action="store_true")
    args = ap.parse_args()
    both = not (args.all or args.bumps)
    with tempfile.TemporaryDirectory() as d:
        if args.all or both:
            bench_all(Path(d))
        if args.bumps or both:
            bench_bumps(Path(d))


if __name__ == "__main__":
    main()
