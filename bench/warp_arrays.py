"""What the homogenised bump and ball blocks change in `pkgcad warp` (issue 21: "bumps and balls in full detail or
as homogenised blocks with the error stated"): each template run twice on one preset, the arrays as blocks (what
the CLI runs) and every bump and ball as its CAD solid, and the relative change of every reported figure.

    .venv/bin/python bench/warp_arrays.py [--only flipchip-bga,wirebond-bga] [--mesh coarse] [--at 25,260]

Each run is a fresh process (its peak memory its own), so the figures are those of `pkgcad warp` itself. Lengths
um, stresses MPa, CPU seconds user + system; figures taken while other work shares the machine are upper bounds
(the load average is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

TREE = Path(__file__).resolve().parents[1]
FIGURES = ("warpage_board_um", "warpage_top_um", "chip_stress_max_mpa", "bond_shear_max_mpa")
CHILD = """
import json, sys
from pkgcad.templates import load_layout
from pkgcad.warp.run import run_layout
name, arrays, mesh, at = sys.argv[1], sys.argv[2], sys.argv[3], [float(t) for t in sys.argv[4].split(",")]
run = run_layout(load_layout(name), temperatures=at, mesh=mesh, arrays=arrays)
print(json.dumps({"tetrahedra": int(run.mesh.n_elements),
                  "temperatures": [{"temperature_c": r.temperature_c, **{k: getattr(r, k) for k in FIGURES_HERE}}
                                   for r in run.results]}))
""".replace("FIGURES_HERE", repr(FIGURES))


def run(template: str, arrays: str, mesh: str, at: str) -> dict[str, Any]:
    """One run in a fresh process: its figures, tetrahedra, CPU seconds and peak memory (its own rusage)."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, template, arrays, mesh, at], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(TREE)}, text=True)
    assert child.stdout is not None
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage, as bench/thermal_cost.py reads it
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{template} {arrays}: exit {child.returncode}")
    data: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    data["cpu_s"] = usage.ru_utime + usage.ru_stime
    data["peak_gb"] = usage.ru_maxrss / 1e6  # kB -> GB
    return data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="flipchip-bga,wirebond-bga", help="comma-separated templates with arrays")
    ap.add_argument("--mesh", default="coarse", help="the preset of both runs (the full detail is large at normal)")
    ap.add_argument("--at", default="25,260", help="temperatures, degC")
    args = ap.parse_args()
    print(f"# load average at start: {os.getloadavg()[0]:.1f}")
    print("| template | degC | figure | blocks | full detail | blocks vs full |")
    print("|---|---|---|---|---|---|")
    for template in args.only.split(","):
        blocks = run(template, "blocks", args.mesh, args.at)
        full = run(template, "full", args.mesh, args.at)
        for b, f in zip(blocks["temperatures"], full["temperatures"], strict=True):
            for k in FIGURES:
                change = (b[k] / f[k] - 1.0) * 100.0 if f[k] else float("nan")
                print(f"| {template} | {b['temperature_c']:g} | {k} | {b[k]:.2f} | {f[k]:.2f} | {change:+.1f} % |")
        print(f"# {template} ({args.mesh}): tetrahedra {blocks['tetrahedra']:,} blocks / {full['tetrahedra']:,} full; "
              f"CPU {blocks['cpu_s']:.0f} / {full['cpu_s']:.0f} s; peak {blocks['peak_gb']:.2f} / "
              f"{full['peak_gb']:.2f} GB")

if __name__ == "__main__":
    main()
