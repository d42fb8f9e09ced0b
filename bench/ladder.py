"""The ladder of issue 4: build and export (STEP + STL + GLB + 3MF, every-instance STL files as before the
instanced part files) packages of growing size in this process, and print where the time goes. The 1k / 10k /
100k bump figures through the CLI are ``bench/scale.py``'s.

    python bench/ladder.py               # the whole ladder, with the naive way on the smaller sizes
    python bench/ladder.py --quick       # no 10,000-bump case, no naive way
    python bench/ladder.py --cases flipchip-10000,wirebond-512w-900b --markdown

Each case runs in a fresh process (so its peak memory is its own) and prints: build time (parts, encapsulant),
export time per format (STEP, tessellation shared by STL and GLB, STL, GLB), total, peak memory, STEP size and
triangle count. Per family it fits time = c * parts^slope and prints the slope (1 = linear). ``--naive`` runs
the naive way (``bench/naive.py``: no instancing, cut and union in a loop, one fused solid) on the smaller sizes
and prints how many times slower it is. Targets from issue 4 are printed PASS / MISS. Not a test: figures only.
All lengths in the specs are millimetres.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import platform
import resource
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/naive.py, in a spawned worker too


def flipchip(n: int) -> dict[str, Any]:
    side = 5.5 if n <= 2500 else 10.5  # 0.1 mm bump pitch
    return {"carrier": {"size": [side + 3.5, side + 3.5]}, "chip": {"connection": "flipchip", "size": [side, side]},
            "bumps": {"count": n, "pitch": 0.1, "diameter": 0.06, "height": 0.05}, "balls": {"count": 64}}


def wirebond(wires: int, balls: int) -> dict[str, Any]:
    side = 6.0 if wires <= 64 else 8.0 if wires <= 256 else 10.5  # 0.07 mm pad pitch
    return {"carrier": {"size": [18.0, 18.0]}, "chip": {"size": [side, side]},
            "wires": {"count": wires, "pitch": 0.07},
            "balls": {"count": balls, "pitch": 0.55, "diameter": 0.3, "height": 0.25}}


def qfn(leads: int) -> dict[str, Any]:
    side = {32: 5.0, 64: 9.0, 100: 14.0}[leads]  # 0.5 mm lead pitch
    return {"carrier": {"kind": "qfn", "size": [side, side], "thickness": 0.203},
            "die_pad": {"size": [side - 1.8, side - 1.8]},
            "leads": {"count": leads, "pitch": 0.5, "width": 0.25, "length": 0.4},
            "chip": {"size": [side - 2.5, side - 2.5], "thickness": 0.2},
            "wires": {"count": leads, "pitch": 0.2, "loop_height": 0.08}, "adhesive": {"thickness": 0.12}}


@dataclass(frozen=True)
class Case:
    name: str
    family: str
    data: dict[str, Any]
    count: int  # what the family varies: bumps, wires or leads
    target_s: float | None = None
    target_step_mb: float | None = None
    naive: bool = False
    fit: bool = True  # used for the family's slope (not when only something else varies)


FAMILIES = {"flip chip": "bumps", "wire bond": "wires", "QFN": "leads"}
LADDER = [
    Case("flipchip-400", "flip chip", flipchip(400), 400, naive=True),
    Case("flipchip-2500", "flip chip", flipchip(2500), 2500),
    Case("flipchip-10000", "flip chip", flipchip(10000), 10000, target_s=20.0, target_step_mb=12.0),
    Case("wirebond-64w-400b", "wire bond", wirebond(64, 400), 64, naive=True),
    Case("wirebond-256w-400b", "wire bond", wirebond(256, 400), 256),
    Case("wirebond-512w-400b", "wire bond", wirebond(512, 400), 512),
    Case("wirebond-512w-900b", "wire bond", wirebond(512, 900), 512, target_s=30.0, fit=False),
    Case("qfn-32", "QFN", qfn(32), 32, naive=True),
    Case("qfn-64", "QFN", qfn(64), 64),
    Case("qfn-100", "QFN", qfn(100), 100),
]
NAIVE_SPEEDUP = 20.0  # issue 4: at least this many times faster than the naive way at 400 bumps


@dataclass
class Row:
    case: Case
    parts: int = 0
    build: dict[str, float] = field(default_factory=dict)
    total_s: float = 0.0
    peak_mb: float = 0.0
    step_mb: float = 0.0
    triangles: int = 0
    naive: dict[str, Any] | None = None


def run_case(case: Case, with_naive: bool) -> Row:
    """Worker: build and export one case (then, if asked, the naive way) and measure it."""
    from pkgcad.export.options import QUALITIES
    from pkgcad.export.writer import write_package
    from pkgcad.geometry import build_package
    from pkgcad.templates import make_layout

    lay = make_layout({**case.data, "meta": {"name": case.name}})
    row = Row(case)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        pkg = build_package(lay)
        manifest = write_package(pkg, Path(tmp) / case.name, stl="all")
        row.total_s = time.perf_counter() - t0
        row.build = manifest["timings_s"]
        row.parts = pkg.instance_count()
        files = {f["path"]: f["bytes"] for f in manifest["files"]}
        row.step_mb = files[f"{case.name}.step"] / 1e6
        row.triangles = (files[f"{case.name}.stl"] - 84) // 50  # the whole-package file: every triangle
        row.peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if with_naive and case.naive:
            from naive import naive

            row.naive = naive(pkg, Path(tmp), QUALITIES["normal"])
    return row


def _worker(case: Case, with_naive: bool, queue: Any) -> None:
    queue.put(run_case(case, with_naive))


def in_fresh_process(ctx: Any, case: Case, with_naive: bool) -> Row:
    """:func:`run_case` in a new process: its own peak memory, no warm caches. Not a pool worker: those are
    daemons, and a daemon may not start the encapsulant's tile workers."""
    queue = ctx.Queue()
    proc = ctx.Process(target=_worker, args=(case, with_naive, queue))
    proc.start()
    row: Row = queue.get()
    proc.join()
    return row


HEAD = ("case", "parts", "parts s", "mold s", "STEP s", "mesh s", "STL s", "GLB s", "total s", "peak MB",
        "STEP MB", "triangles", "target")


def cells(r: Row) -> list[str]:
    t = r.build
    target = []
    if r.case.target_s is not None:
        target.append(f"< {r.case.target_s:g} s {'PASS' if r.total_s < r.case.target_s else 'MISS'}")
    if r.case.target_step_mb is not None:
        target.append(f"STEP < {r.case.target_step_mb:g} MB {'PASS' if r.step_mb < r.case.target_step_mb else 'MISS'}")
    return [r.case.name, f"{r.parts}", f"{t['parts_s']:.2f}", f"{t['encapsulant_s']:.2f}", f"{t['step_s']:.2f}",
            f"{t['tessellate_s']:.2f}", f"{t['stl_s']:.2f}", f"{t['glb_s']:.2f}", f"{r.total_s:.2f}",
            f"{r.peak_mb:.0f}", f"{r.step_mb:.2f}", f"{r.triangles:,}", ", ".join(target)]


def slopes(rows: list[Row], by_count: bool) -> dict[str, float]:
    """Per family, the least-squares slope of log(total time) against log(what the family varies: bumps, wires,
    leads) or, ``by_count`` False, against log(all part instances)."""
    out = {}
    for fam in dict.fromkeys(r.case.family for r in rows):
        pts = [(math.log(r.case.count if by_count else r.parts), math.log(r.total_s)) for r in rows
               if r.case.family == fam and r.case.fit]
        if len(pts) < 2:
            continue
        mx = sum(x for x, _ in pts) / len(pts)
        my = sum(y for _, y in pts) / len(pts)
        out[fam] = sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts)
    return out


def table(head: tuple[str, ...] | list[str], body: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        return "\n".join(lines + ["| " + " | ".join(c) + " |" for c in body])
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]
    return "\n".join("  ".join(x.rjust(w) if i else x.ljust(w) for i, (x, w) in enumerate(zip(c, widths, strict=True)))
                     for c in [list(head), *body])


def pick(ladder: list[Any], names: str | None, ap: argparse.ArgumentParser) -> list[Any]:
    """The cases of ``ladder`` named in the comma-separated ``names`` (all when None); an unknown name ends the
    script with argparse's usage error."""
    if not names:
        return ladder
    wanted = names.split(",")
    unknown = set(wanted) - {c.name for c in ladder}
    if unknown:
        ap.error(f"unknown case(s) {', '.join(sorted(unknown))}; known: {', '.join(c.name for c in ladder)}")
    return [c for c in ladder if c.name in wanted]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="leave out the 10,000-bump case and the naive way")
    ap.add_argument("--cases", help="comma-separated case names (default: the whole ladder)")
    ap.add_argument("--naive", action=argparse.BooleanOptionalAction, default=True,
                    help="run the naive way on the smaller sizes (default: yes)")
    ap.add_argument("--markdown", action="store_true", help="print markdown tables (for bench/RESULTS.md)")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args()
    cases = pick(LADDER, args.cases, ap)
    if not args.cases and args.quick:
        cases = [c for c in LADDER if c.target_step_mb is None]
    with_naive = args.naive and not args.quick
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
          f"python {platform.python_version()}; load average {os.getloadavg()[0]:.2f}", flush=True)
    rows: list[Row] = []
    ctx = mp.get_context("spawn")
    for case in cases:
        row = in_fresh_process(ctx, case, with_naive)
        rows.append(row)
        print(f"  {case.name}: {row.total_s:.2f} s" + (f" (naive {row.naive['total_s']:.1f} s)" if row.naive else ""),
              file=sys.stderr, flush=True)
    print(table(HEAD, [cells(r) for r in rows], args.markdown))
    by_count, by_parts = slopes(rows, True), slopes(rows, False)
    print("\nslope of log(total time) against log(count), 1 = linear:")
    for fam, slope in by_count.items():
        print(f"  {fam}: {slope:.2f} against {FAMILIES[fam]}, {by_parts[fam]:.2f} against all part instances")
    naive_rows = [r for r in rows if r.naive]
    if naive_rows:
        head = ["case", "parts", "naive encapsulant s", "naive union s", "naive STEP s", "naive STL s", "naive total s",
                "naive STEP MB", "pkgcad total s", "speed-up", "target"]
        body = []
        for r in naive_rows:
            assert r.naive is not None
            n = r.naive
            ratio = n["total_s"] / r.total_s
            ok = "PASS" if ratio >= NAIVE_SPEEDUP else "MISS"
            goal = f">= {NAIVE_SPEEDUP:g}x {ok}" if r.case.family == "flip chip" else ""
            body.append([r.case.name, f"{r.parts}", f"{n['encapsulant_s']:.2f}", f"{n['union_s']:.2f}",
                         f"{n['step_s']:.2f}", f"{n['stl_s']:.2f}", f"{n['total_s']:.2f}",
                         f"{n['step_bytes'] / 1e6:.2f}", f"{r.total_s:.2f}", f"{ratio:.1f}x", goal])
        print()
        print(table(head, body, args.markdown))
    if args.json:
        args.json.write_text(json.dumps([{"case": r.case.name, "parts": r.parts, "timings_s": r.build,
                                          "total_s": r.total_s, "peak_mb": r.peak_mb, "step_mb": r.step_mb,
                                          "triangles": r.triangles, "naive": r.naive} for r in rows], indent=2))


if __name__ == "__main__":
    main()
