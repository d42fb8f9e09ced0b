"""Figures of `pkgcad sweep` on Dask (not a test; prints figures).

    python bench/sweep.py                      # everything: throughput 1 vs 2 workers, overhead, dry run
    python bench/sweep.py --only overhead      # one part: throughput | overhead | dryrun
    python bench/sweep.py --variants 12 --quality normal --template qfn

Throughput: the same N build+check variants (a grid over heat_sink.thickness) on a local cluster of 1 and of 2
worker processes (one thread each), each into a fresh folder. "run s" is the wall time from the first task
submitted to the last row written (cluster start-up and worker warm-up excluded, reported apart). Overhead:
trivial tasks through the same submit / as_completed / row-file path, one worker, serially. Dry run: the
1,000-variant `pkgcad sweep --dry-run --random 1000` through the CLI (process start included).
The machine is shared: the load average (1 min) is printed before and after every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pkgcad.sweep import engine
from pkgcad.sweep.folder import write_json
from pkgcad.sweep.run import SweepRequest, run_sweep


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


class Clock:
    """A Progress that notes when the tasks start and when the last row lands."""

    def __init__(self) -> None:
        self.t_start = self.t_last = 0.0

    def start(self, todo: int, skipped: int, workers: int, dashboard: str) -> None:
        self.t_start = self.t_last = time.perf_counter()

    def advance(self, row: dict[str, Any]) -> None:
        self.t_last = time.perf_counter()

    def stop(self) -> None:
        pass


def throughput(n: int, template: str, quality: str, repeat: int = 1) -> dict[int, float]:
    values = ",".join(f"{0.2 + 0.01 * i:.2f}" for i in range(n))
    rates: dict[int, list[float]] = {1: [], 2: []}
    idle: dict[int, list[float]] = {1: [], 2: []}  # projected variants/s with every worker on its own core
    print(f"\n## Throughput: {n} build+check variants of {template} (--quality {quality})")
    print("| workers | load before | start-up + warm-up s | run s | variants/min | mean s per variant (worker) "
          "| CPU s per variant (worker) | busy workers | MB written per variant | load after |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2) * repeat:  # alternated: a change of the machine's load hits both
            before = load()
            clock = Clock()
            t0 = time.perf_counter()
            res = run_sweep(SweepRequest(template, grids=(f"heat_sink.thickness={values}",), workers=workers,
                                         out=Path(tmp) / f"w{workers}-{len(rates[workers])}", quality=quality,
                                         dashboard=None), clock)
            assert res.ran == n and res.failed == 0, (res.ran, res.failed)
            run_s = clock.t_last - clock.t_start
            assert res.folder is not None
            rows = [json.loads(p.read_text()) for p in (res.folder / "rows").glob("*.json")]
            mean = sum(r["seconds"] for r in rows) / len(rows)
            cpu = sum(r["cpu_s"] for r in rows) / len(rows)
            busy = sum(r["seconds"] for r in rows) / run_s  # variants in flight on average: 2 = no serialisation
            size = sum(f.stat().st_size for r in rows for f in Path(r["path"]).rglob("*") if f.is_file()) / len(rows)
            rates[workers].append(n / run_s)
            idle[workers].append(busy / cpu)
            print(f"| {workers} | {before} | {clock.t_start - t0:.1f} | {run_s:.1f} | {60 * n / run_s:.1f} | "
                  f"{mean:.2f} | {cpu:.2f} | {busy:.2f} | {size / 1e6:.2f} | {load()} |")
    best = {w: max(r) for w, r in rates.items()}
    print(f"\nspeed-up 2 vs 1 worker, wall clock (best of {repeat}): {best[2] / best[1]:.2f}x (target >= 1.7x on 2 "
          "cores). Only meaningful on an otherwise idle machine: Linux autogroup gives each session one fair share "
          "of the CPU, so while other sessions are busy, a second worker process adds no CPU to the sweep.")
    proj = [i2 / i1 for i1, i2 in zip(idle[1], idle[2], strict=True)]
    print(f"projected for an idle 2-core machine (busy workers / CPU s per variant, per pair): "
          f"{', '.join(f'{p:.2f}x' for p in proj)}")
    return best


def _trivial(i: int) -> dict[str, Any]:
    return {"status": "ok", "i": i}


def overhead(n: int) -> float:
    print(f"\n## Engine overhead: {n} trivial tasks, one worker, each result written as a row file")
    with tempfile.TemporaryDirectory() as tmp, engine.connect(1, dashboard=None) as client:
        client.submit(_trivial, -1, pure=False).result()  # the worker is up and has the function
        rows = Path(tmp)
        before = load()
        t0 = time.perf_counter()
        one = client.submit(_trivial, 0, pure=False).result()
        single = time.perf_counter() - t0
        assert one["i"] == 0
        t0 = time.perf_counter()
        engine.run_tasks(client, _trivial, list(range(n)), lambda i: f"trivial-{i}",
                         lambda i, row, exc: write_json(rows / f"{i}.json", row))
        wall = time.perf_counter() - t0
        assert len(list(rows.glob("*.json"))) == n
    per = wall / n
    print(f"one task round trip {single * 1000:.1f} ms; {n} tasks in {wall:.2f} s = {per * 1000:.1f} ms per task "
          f"(target < 200 ms); load {before} -> {load()}")
    return per


def dry_run(n: int, template: str) -> float:
    print(f"\n## Dry run: {n} random variants of {template}, through the CLI")
    cmd = [str(Path(sys.executable).parent / "pkgcad"), "sweep", template, "--dry-run", "--random", str(n),
           "--range", "heat_sink.thickness=0.1:0.5", "--range", "adhesive.thickness=0.1:0.3",
           "--range", "chip.size=1.5:3.5"]
    before = load()
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    print(f"{wall:.1f} s (target < 30 s), load {before} -> {load()}; it printed:")
    print("\n".join("    " + line for line in out.stdout.splitlines()))
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=("throughput", "overhead", "dryrun"))
    ap.add_argument("--variants", type=int, default=12)
    ap.add_argument("--template", default="qfn")
    ap.add_argument("--quality", default="normal")
    ap.add_argument("--tasks", type=int, default=200, help="trivial tasks for the overhead")
    ap.add_argument("--repeat", type=int, default=1, help="throughput runs per worker count, alternated")
    args = ap.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores, "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if args.only in (None, "throughput"):
        throughput(args.variants, args.template, args.quality, args.repeat)
    if args.only in (None, "overhead"):
        overhead(args.tasks)
    if args.only in (None, "dryrun"):
        dry_run(1000, args.template)


if __name__ == "__main__":
    main()
