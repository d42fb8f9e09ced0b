"""The strip ladder: ``pkgcad strip`` with all five stages (STEP + GLB each), the sawn unit written and checked, and
the process sheet, for strips of growing unit count; prints where the time goes and how it grows.

    python bench/strip.py                  # the whole ladder
    python bench/strip.py --cases qfn-45x13,flipchip-4x16 --markdown

Each case runs in a fresh process (so its peak memory is its own) and prints: the time to build the unit, to
tile the strip (mold, plate), to write the five STEP files and the five GLB files, to write and check one sawn
unit, to draw the sheet; the total in the process (after the imports) and the wall time with the interpreter's
start and imports (what a user waits for ``pkgcad strip``);
the CPU seconds of that work (the process and its tile workers: less disturbed by a loaded machine than wall
time); peak memory; the largest STEP and GLB. Targets from issue 14 are printed PASS / MISS (time: the wall
time). Growth: straight lines ``time = fixed + per_unit * units`` fitted over the QFN ladder to the total and to
what depends on the unit count. Not a test: figures only. Lengths in mm.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from queue import Empty
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/scale.py's table, in a spawned worker too


@dataclass(frozen=True)
class Case:
    name: str
    template: str
    units: str
    size: str | None = None
    rail: float = 2.0
    target_s: float | None = None
    ladder: bool = True  # on the QFN growth fit


LADDER = [
    Case("qfn-2x2", "qfn", "2x2"),
    Case("qfn-5x5", "qfn", "5x5"),
    Case("qfn-10x10", "qfn", "10x10"),
    Case("qfn-20x15", "qfn", "20x15"),
    Case("qfn-45x13", "qfn", "45x13", size="240x70", rail=0.3, target_s=60.0),
    Case("qfn-60x20", "qfn", "60x20"),
    Case("flipchip-4x16", "flipchip-bga", "4x16", target_s=60.0, ladder=False),
]
STEP_MB, MEMORY_MB = 50.0, 4096.0  # issue 14: each stage's STEP, the process


def run_case(case: Case) -> dict[str, Any]:
    """Worker: plan, build and write one strip with every stage; the figures."""
    import pkgcad.strip.model  # the geometry kernel's import (seconds) is not the strip's time
    import pkgcad.strip.write  # noqa: F401
    from pkgcad.strip.run import plan_strip, run_strip

    t0 = time.perf_counter()
    cpu0 = _cpu(resource.RUSAGE_SELF)
    strip = plan_strip(case.template, (), case.units, rail=case.rail, size=case.size)
    with tempfile.TemporaryDirectory() as tmp:
        data = run_strip(strip, Path(tmp) / case.name, "normal", all_stages=True)
    total = time.perf_counter() - t0
    cpu = _cpu(resource.RUSAGE_SELF) - cpu0 + _cpu(resource.RUSAGE_CHILDREN)
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"case": case.name, "units": strip.count, "size_mm": list(strip.size), "timings_s": data["timings_s"],
            "total_s": total, "cpu_s": cpu, "peak_mb": max(self_mb, kids_mb),
            "step_mb": max(s["step_bytes"] for s in data["stages"]) / 1e6,
            "glb_mb": max(s["glb_bytes"] for s in data["stages"]) / 1e6,
            "check": f"{data['unit_check']['passed']}/{data['unit_check']['rows']}"}


def _cpu(who: int) -> float:
    use = resource.getrusage(who)
    return use.ru_utime + use.ru_stime


def _worker(case: Case, queue: Any) -> None:
    queue.put(run_case(case))


def in_fresh_process(ctx: Any, case: Case) -> dict[str, Any]:
    queue = ctx.Queue()
    t0 = time.perf_counter()
    proc = ctx.Process(target=_worker, args=(case, queue))
    proc.start()
    while True:  # a worker that dies (an import error, the OOM killer) must not leave us waiting forever
        try:
            row: dict[str, Any] = queue.get(timeout=2)
            break
        except Empty:
            if not proc.is_alive():
                raise SystemExit(f"{case.name}: the worker died (exit {proc.exitcode})") from None
    proc.join()
    row["wall_s"] = time.perf_counter() - t0
    return row


HEAD = ("case", "units", "unit s", "tiles s", "5 STEP s", "5 GLB s", "unit+check s", "sheet s", "total s",
        "CPU s", "wall s", "peak MB", "max STEP MB", "max GLB MB", "check", "target")


def cells(case: Case, r: dict[str, Any]) -> list[str]:
    t = r["timings_s"]
    steps = sum(v for k, v in t.items() if k.endswith("_step_s"))
    glbs = sum(v for k, v in t.items() if k.endswith("_glb_s"))
    goal = []
    if case.target_s is not None:
        goal.append(f"< {case.target_s:g} s {'PASS' if r['wall_s'] < case.target_s else 'MISS'}")
        goal.append(f"STEP <= {STEP_MB:g} MB {'PASS' if r['step_mb'] <= STEP_MB else 'MISS'}")
        goal.append(f"<= {MEMORY_MB / 1024:g} GB {'PASS' if r['peak_mb'] <= MEMORY_MB else 'MISS'}")
    return [case.name, f"{r['units']}", f"{t['unit_s']:.2f}", f"{t['tiles_s']:.2f}", f"{steps:.2f}", f"{glbs:.2f}",
            f"{t['unit_check_s']:.2f}", f"{t['figures_s']:.2f}", f"{r['total_s']:.2f}", f"{r['cpu_s']:.2f}",
            f"{r['wall_s']:.2f}",
            f"{r['peak_mb']:.0f}", f"{r['step_mb']:.2f}", f"{r['glb_mb']:.2f}", r["check"], ", ".join(goal)]


def _fit(pts: list[tuple[float, float]]) -> tuple[float, float, float]:
    """Least-squares ``y = a + b x``: (a, b, r^2)."""
    n = len(pts)
    mx, my = sum(x for x, _ in pts) / n, sum(y for _, y in pts) / n
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    b = sum((x - mx) * (y - my) for x, y in pts) / sxx
    a = my - b * mx
    ss = sum((y - my) ** 2 for _, y in pts)
    res = sum((y - a - b * x) ** 2 for x, y in pts)
    return a, b, (1 - res / ss) if ss else 1.0


def growth(rows: list[tuple[Case, dict[str, Any]]]) -> str:
    """How time grows with units over the QFN ladder: a straight line fitted to the in-process total, and to
    what depends on the unit count (tiling the strip, the five STEP and five GLB files)."""
    ladder = [r for c, r in rows if c.ladder]
    if len(ladder) < 3:
        return "growth: needs at least three ladder cases"

    def scaling(r: dict[str, Any]) -> float:
        t = r["timings_s"]
        return float(t["tiles_s"] + sum(v for k, v in t.items() if k.endswith(("_step_s", "_glb_s"))))

    a, b, r2 = _fit([(float(r["units"]), r["total_s"]) for r in ladder])
    a2, b2, r22 = _fit([(float(r["units"]), scaling(r)) for r in ladder])
    return (f"growth over the QFN ladder (least squares): total = {a:.2f} s + {b * 1000:.1f} ms x units "
            f"(r^2 {r2:.2f}); tiling + 5 STEP + 5 GLB = {a2:.2f} s + {b2 * 1000:.1f} ms x units "
            f"(r^2 {r22:.2f})")


def main() -> None:
    from scale import pick, table

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", help="comma-separated case names (default: the whole ladder)")
    ap.add_argument("--markdown", action="store_true", help="print a markdown table (for bench/RESULTS.md)")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    ap.add_argument("--repeat", type=int, default=1, help="run each case this many times and keep the fastest "
                    "(wall): on a shared machine the least-disturbed run (default 1)")
    args = ap.parse_args()
    cases = pick(LADDER, args.cases, ap)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
          f"python {platform.python_version()}; load average {os.getloadavg()[0]:.2f} at the start", flush=True)
    rows = []
    ctx = mp.get_context("spawn")
    for case in cases:
        runs = []
        for _ in range(max(1, args.repeat)):
            runs.append(in_fresh_process(ctx, case))
            print(f"  {case.name}: {runs[-1]['total_s']:.2f} s in process, {runs[-1]['wall_s']:.2f} s wall, load "
                  f"{os.getloadavg()[0]:.2f}", file=sys.stderr, flush=True)
        rows.append((case, min(runs, key=lambda r: r["wall_s"])))
    print(table(HEAD, [cells(c, r) for c, r in rows], args.markdown))
    print(f"\n{growth(rows)}")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    if args.json:
        args.json.write_text(json.dumps([r for _c, r in rows], indent=2))


if __name__ == "__main__":
    main()
