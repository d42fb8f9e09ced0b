"""Scale (issue 23): flip chips of 1,000, 10,000 and 100,000 bumps through the CLI, as a user runs them.

    python bench/scale.py                       # 1k, 10k and 100k bumps: build, check, thermal
    python bench/scale.py --cases 1000,10000    # some of them (any bump counts)
    python bench/scale.py --every               # also build with --stl all (every instance; up to 10k bumps)
    python bench/scale.py --markdown --json figures.json

The family: bumps of 0.08 mm at 0.13 mm pitch filling a square die (100,000: a 41.4 mm die), on a substrate 8 mm
larger with 1.0 mm-pitch balls of 0.6 mm filling it (100,000: 50 mm, 2,401 balls); millimetres throughout.
Each command runs in a fresh process (``pkgcad build``, ``pkgcad check``, ``pkgcad thermal``, homogenised arrays,
--mesh normal) and is measured from outside: wall seconds, CPU seconds (user + system, the tile workers it
forks included) and peak resident memory. Sizes are the files written (default ``--stl instanced``), the size
guard's estimate (``pkgcad.export.estimate``) beside them. Then the targets of issue 23, PASS / MISS, and the
log-log slope of each figure against the bump count (1 = linear). The load average is printed before and after
each command: on a shared machine the wall times are upper bounds, the CPU seconds less so. Not a test.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PITCH = 0.13  # mm
CASES = (1_000, 10_000, 100_000)
TARGETS = {  # issue 23, at 100,000 bumps unless named
    "output_10k_mb": 150.0, "build_s": 60.0, "peak_gb": 8.0, "output_mb": 1500.0, "step_mb": 60.0,
    "check_s": 20.0, "thermal_s": 120.0, "estimate_error": 0.25,
}


def die_side(n: int) -> float:
    return round(math.ceil(math.sqrt(n)) * PITCH + 0.3, 2)


def flipchip(n: int) -> dict[str, Any]:
    """The spec (as ``make_layout`` takes it) of the family's package with ``n`` bumps."""
    side = die_side(n)
    sub = float(math.ceil(side + 8))
    return {"meta": {"name": f"flipchip-{n}"}, "carrier": {"size": [sub, sub]},
            "chip": {"connection": "flipchip", "size": [side, side]},
            "bumps": {"count": n, "pitch": PITCH, "diameter": 0.08, "height": 0.06},
            "balls": {"count": int(sub - 1) ** 2, "pitch": 1.0, "diameter": 0.6, "height": 0.45}}


def toml_text(spec: dict[str, Any]) -> str:
    lines = ["# bench/scale.py: a flip chip of the scale family; lengths in mm"]
    for section, values in spec.items():
        lines.append(f"[{section}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


@dataclass
class Run:
    """One command measured from outside."""

    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_mb: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average before and after


def run(cmd: list[str], log: Path) -> Run:
    """``cmd`` in a fresh process: wall and CPU seconds and peak memory of it and the processes it waited for."""
    before = os.getloadavg()[0]
    t = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd[1:4])}... exited {proc.returncode}:\n{log.read_text()[-2000:]}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, (before, os.getloadavg()[0]))


@dataclass
class Case:
    bumps: int
    realised: int = 0
    instances: int = 0
    build: Run = field(default_factory=Run)
    check: Run = field(default_factory=Run)
    thermal: Run = field(default_factory=Run)
    files_mb: dict[str, float] = field(default_factory=dict)  # by kind: step, glb, 3mf, stl, manifest
    output_mb: float = 0.0
    estimate_mb: float = 0.0
    every_mb: float | None = None  # --stl all
    every_estimate_mb: float | None = None


def kind(path: str) -> str:
    return "manifest" if path == "manifest.json" else Path(path).suffix.lstrip(".").lower()


def measure(n: int, tmp: Path, every: bool) -> Case:
    from pkgcad.export.estimate import estimate
    from pkgcad.export.options import QUALITIES
    from pkgcad.templates import make_layout

    spec = flipchip(n)
    lay = make_layout(spec)
    toml = tmp / f"flipchip-{n}.toml"
    toml.write_text(toml_text(spec))
    exe = str(Path(sys.executable).with_name("pkgcad"))
    out = tmp / f"flipchip-{n}"
    case = Case(n, lay.bumps.realised if lay.bumps else 0)
    case.build = run([exe, "build", str(toml), "-o", str(out)], tmp / "build.log")
    manifest = json.loads((out / "manifest.json").read_text())
    case.instances = manifest["totals"]["instances"]
    files = {str(p.relative_to(out)): p.stat().st_size for p in out.rglob("*") if p.is_file()}
    for path, size in files.items():
        case.files_mb[kind(path)] = case.files_mb.get(kind(path), 0.0) + size / 1e6
    case.output_mb = sum(files.values()) / 1e6
    case.estimate_mb = estimate(lay, QUALITIES["normal"]).bytes / 1e6
    case.check = run([exe, "check", str(out), "--json"], tmp / "check.log")
    case.thermal = run([exe, "thermal", str(toml), "-o", str(tmp / f"thermal-{n}"), "--mesh", "normal"],
                       tmp / "thermal.log")
    if every and n <= 10_000:
        all_ = tmp / f"flipchip-{n}-all"
        run([exe, "build", str(toml), "-o", str(all_), "--stl", "all"], tmp / "all.log")
        case.every_mb = sum(p.stat().st_size for p in all_.rglob("*") if p.is_file()) / 1e6
        case.every_estimate_mb = estimate(lay, QUALITIES["normal"], stl="all").bytes / 1e6
        subprocess.run(["rm", "-rf", str(all_)], check=True)
    subprocess.run(["rm", "-rf", str(out), str(tmp / f"thermal-{n}")], check=True)
    return case


HEAD = ("bumps", "instances", "build s", "build CPU s", "peak GB", "output MB", "STEP MB", "GLB MB", "3MF MB",
        "STL MB", "manifest MB", "estimate MB", "check s", "check CPU s", "thermal s", "thermal CPU s",
        "thermal peak GB", "load")


def cells(c: Case) -> list[str]:
    f = c.files_mb
    load = max(*c.build.load, *c.check.load, *c.thermal.load)
    return [f"{c.realised:,}", f"{c.instances:,}", f"{c.build.wall_s:.1f}", f"{c.build.cpu_s:.1f}",
            f"{c.build.peak_mb / 1e3:.2f}", f"{c.output_mb:.1f}", f"{f.get('step', 0):.1f}", f"{f.get('glb', 0):.1f}",
            f"{f.get('3mf', 0):.1f}", f"{f.get('stl', 0):.1f}", f"{f.get('manifest', 0):.1f}",
            f"{c.estimate_mb:.1f} ({c.estimate_mb / c.output_mb - 1:+.0%})", f"{c.check.wall_s:.1f}",
            f"{c.check.cpu_s:.1f}", f"{c.thermal.wall_s:.1f}", f"{c.thermal.cpu_s:.1f}",
            f"{c.thermal.peak_mb / 1e3:.2f}", f"{load:.1f}"]


def table(head: tuple[str, ...] | list[str], body: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        return "\n".join(lines + ["| " + " | ".join(c) + " |" for c in body])
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]
    return "\n".join("  ".join(x.rjust(w) for x, w in zip(c, widths, strict=True)) for c in [list(head), *body])


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log(y) against log(x)."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum((a - mx) ** 2 for a in lx)


def verdicts(cases: list[Case]) -> list[str]:
    out = []

    def say(what: str, value: float, limit: float, unit: str) -> None:
        out.append(f"  {what}: {value:.2f} {unit} (target <= {limit:g} {unit}) {'PASS' if value <= limit else 'MISS'}")

    t = TARGETS
    for c in cases:
        if c.bumps == 10_000:
            say("10,000 bumps: default output", c.output_mb, t["output_10k_mb"], "MB")
        if c.bumps == 100_000:
            say("100,000 bumps: build through the CLI, wall", c.build.wall_s, t["build_s"], "s")
            say("100,000 bumps: build peak memory", c.build.peak_mb / 1e3, t["peak_gb"], "GB")
            say("100,000 bumps: default output", c.output_mb, t["output_mb"], "MB")
            say("100,000 bumps: STEP", c.files_mb.get("step", 0.0), t["step_mb"], "MB")
            say("100,000 bumps: pkgcad check, wall", c.check.wall_s, t["check_s"], "s")
            say("100,000 bumps: pkgcad thermal (homogenised), wall", c.thermal.wall_s, t["thermal_s"], "s")
        err = abs(c.estimate_mb / c.output_mb - 1)
        say(f"{c.realised:,} bumps: size guard's estimate off by", 100 * err, 100 * t["estimate_error"], "%")
        if c.every_mb:
            assert c.every_estimate_mb is not None
            say(f"{c.realised:,} bumps, --stl all: estimate off by", 100 * abs(c.every_estimate_mb / c.every_mb - 1),
                100 * t["estimate_error"], "%")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", help="comma-separated bump counts (default 1000,10000,100000)")
    ap.add_argument("--every", action="store_true", help="also build with --stl all (cases up to 10,000 bumps)")
    ap.add_argument("--markdown", action="store_true", help="print markdown tables (for the README)")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args()
    counts = [int(c) for c in args.cases.split(",")] if args.cases else list(CASES)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
          f"python {platform.python_version()}; load average {os.getloadavg()[0]:.2f}", flush=True)
    cases = []
    with tempfile.TemporaryDirectory(prefix="pkgcad-scale-") as tmp:
        for n in counts:
            cases.append(measure(n, Path(tmp), args.every))
            c = cases[-1]
            print(f"  {n:,} bumps: build {c.build.wall_s:.1f} s, {c.output_mb:.1f} MB, check {c.check.wall_s:.1f} s,"
                  f" thermal {c.thermal.wall_s:.1f} s", file=sys.stderr, flush=True)
    print(table(HEAD, [cells(c) for c in cases], args.markdown))
    if any(c.every_mb for c in cases):
        print("\n--stl all (every instance in parts/ and the whole-package STL, what earlier versions wrote):")
        for c in cases:
            if c.every_mb:
                print(f"  {c.realised:,} bumps: {c.every_mb:.1f} MB written, estimate {c.every_estimate_mb:.1f} MB")
    if len(cases) >= 2:
        xs = [float(c.realised) for c in cases]
        print("\nlog-log slope against the bump count (1 = linear):")
        for name, ys in (("build wall", [c.build.wall_s for c in cases]), ("build CPU", [c.build.cpu_s for c in cases]),
                         ("build peak memory", [c.build.peak_mb for c in cases]),
                         ("default output", [c.output_mb for c in cases]),
                         ("STEP", [c.files_mb.get("step", 0.0) for c in cases]),
                         ("check wall", [c.check.wall_s for c in cases]),
                         ("thermal wall", [c.thermal.wall_s for c in cases])):
            print(f"  {name}: {slope(xs, ys):.2f}")
    print("\ntargets (issue 23):")
    print("\n".join(verdicts(cases)))
    if args.json:
        args.json.write_text(json.dumps([asdict(c) for c in cases], indent=2))


if __name__ == "__main__":
    main()
