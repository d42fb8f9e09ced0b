"""``pkgcad kicad`` speed and size: the --all library (board-level and --full-model), and the 10,000-bump flip chip
against its ``build``.

    python bench/kicad.py            # all of it
    python bench/kicad.py --all      # only the --all libraries
    python bench/kicad.py --bumps    # only the 10,000-bump model

Prints wall seconds and the CPU seconds of the pkgcad process and its children (machine load makes the wall
figures upper bounds; the load average is printed beside them), WRL/STEP sizes, and PASS / MISS for the targets
of issues 13, 22 and 23: ``pkgcad kicad --all`` <= 30 s on 2 cores; board-level WRL of the 100-ball BGA
<= 300 KB and of the QFN-32 <= 100 KB; STEP + WRL of the 10,000-bump full model within 2x the time of
``pkgcad build`` of the same model. Not a test. All lengths in the specs are millimetres.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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
WRL_LIMIT = {100: 300_000, 32: 100_000}  # bytes: issue 22 (KiCad's own BGA-100: 297 KB, QFN-32: 68 KB)


def run(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system of the child and its children) of ``pkgcad args``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    res = subprocess.run([*PKGCAD, *args], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode:
        raise SystemExit(f"pkgcad {' '.join(args)} failed: {res.stderr.strip()}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def load() -> str:
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def bench_all(tmp: Path, full: bool) -> None:
    out = tmp / ("full" if full else "all")
    wall, cpu = run(["kicad", "--all", "-o", str(out), *(["--full-model"] if full else [])])
    summary = json.loads((out / ".pkgcad-kicad.json").read_text())
    kind = "--full-model" if full else "board-level models"
    target = "" if full else f" target <= 30 s: {verdict(wall <= 30)}"
    print(f"pkgcad kicad --all ({kind}): {wall:.1f} s wall, {cpu:.1f} s CPU ({load()}){target}; "
          f"{len({p['footprint'] for p in summary['packages']})} footprints, "
          f"{len({p['model'] for p in summary['packages']})} models")
    print(f"  {'model':<92} {'STEP KB':>8} {'WRL KB':>7} {'WRL limit':>10}")
    for p in {p["model"]: p for p in summary["packages"]}.values():
        step, wrl = (out / "pkgcad.3dshapes" / f"{p['model']}.{ext}" for ext in ("step", "wrl"))
        limit = WRL_LIMIT.get(p["pins"])
        check = f"{limit / 1e3:.0f} {verdict(wrl.stat().st_size <= limit)}" if limit and not full else ""
        print(f"  {p['model']:<92} {step.stat().st_size / 1e3:>8.0f} {wrl.stat().st_size / 1e3:>7.0f} {check:>10}")


def bench_bumps(tmp: Path) -> None:
    build_s, _ = run(["build", *BUMPS, "-o", str(tmp / "build")])
    for full in (False, True):
        out = tmp / ("kicad-full" if full else "kicad")
        wall, cpu = run(["kicad", *BUMPS, "-o", str(out), "-j", "1", *(["--full-model"] if full else [])])
        (fp,) = json.loads((out / ".pkgcad-kicad.json").read_text())["packages"]
        wrl = out / "pkgcad.3dshapes" / f"{fp['model']}.wrl"
        step = wrl.with_suffix(".step")
        print(f"10,000 bumps, {'full model' if full else 'board level'} ({load()}): pkgcad kicad {wall:.1f} s wall, "
              f"{cpu:.1f} s CPU; STEP {step.stat().st_size / 1e6:.2f} MB, WRL {wrl.stat().st_size / 1e6:.2f} MB")
    print(f"  pkgcad build of the same model: {build_s:.1f} s; full-model kicad within 2 x build: "
          f"{verdict(wall <= 2 * build_s)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--bumps", action="store_true")
    args = ap.parse_args()
    both = not (args.all or args.bumps)
    with tempfile.TemporaryDirectory() as d:
        if args.all or both:
            bench_all(Path(d), full=False)
            bench_all(Path(d), full=True)
        if args.bumps or both:
            bench_bumps(Path(d))


if __name__ == "__main__":
    main()
