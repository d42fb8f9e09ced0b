"""The cost of the default thermal run (`pkgcad thermal TEMPLATE`, 1 W, --mesh normal, files written) and its
figures, optionally against another source tree: CPU seconds (user + system), wall seconds and peak resident
memory of each run, and every reported metric of both trees with their relative difference (issue 25's cost
target: half the CPU and memory, no metric moved by more than 0.1 %).

    .venv/bin/python bench/thermal_cost.py [--only qfn,flipchip-bga] [--base /path/to/other/tree]

Each run is a fresh `python -m pkgcad thermal` process (its ru_maxrss is its own peak); ``--base`` runs the same
command with that tree first on PYTHONPATH. Figures taken while other work shares the machine are upper bounds:
the load average is printed beside them.
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

TREE = Path(__file__).resolve().parents[1]
METRICS = ("theta_jc_top_K_W", "theta_jc_top_mean_junction_K_W", "theta_jc_bot_K_W", "theta_jb_K_W",
           "theta_jb_mean_junction_K_W", "board_temperature_C", "Tj_max_C")
PLATE_C = 25.0  # the cold plates' temperature: a temperature's change is read on its rise above them


def run(tree: Path, template: str) -> dict[str, object]:
    """One `pkgcad thermal` run of ``tree``: its cost and summary."""
    out = Path(tempfile.mkdtemp(prefix="thermal-cost-")) / template
    env = {**os.environ, "PYTHONPATH": str(tree)}
    start = time.perf_counter()
    # run from the output's folder: `python -m` puts the working directory before PYTHONPATH
    child = subprocess.Popen([sys.executable, "-m", "pkgcad", "thermal", template, "-o", str(out)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=out.parent)
    _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage (RUSAGE_CHILDREN's peak is the largest)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if child.returncode != 0:
        raise SystemExit(f"pkgcad thermal {template} ({tree}) exited {child.returncode}")
    summary = json.loads((out / "thermal.json").read_text())["summary"]
    return {"cpu_s": usage.ru_utime + usage.ru_stime, "wall_s": wall, "peak_mb": usage.ru_maxrss / 1024,
            "summary": summary, "load": os.getloadavg()[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="qfn,flipchip-bga,connecting-portion")
    ap.add_argument("--base", type=Path, help="another source tree to compare with (e.g. a worktree of main)")
    args = ap.parse_args()
    trees = ([("base", args.base)] if args.base else []) + [("this", TREE)]
    for template in args.only.split(","):
        runs = {name: run(tree, template) for name, tree in trees}
        print(f"## {template}")
        print("| tree | CPU s | wall s | peak MB | load | CG iterations |")
        print("|---|---|---|---|---|---|")
        for name, r in runs.items():
            s = r["summary"]
            assert isinstance(s, dict)
            print(f"| {name} | {r['cpu_s']:.1f} | {r['wall_s']:.1f} | {r['peak_mb']:.0f} | {r['load']:.1f} | "
                  f"{s['solver']['cg_iterations']} |")
        print("\n| metric | " + " | ".join(runs) + (" | change |" if len(runs) == 2 else ""))
        print("|---|" + "---|" * (len(runs) + (len(runs) == 2)))
        for key in METRICS:
            values = [r["summary"][key] for r in runs.values()]  # type: ignore[index]
            if any(v is None for v in values):
                continue
            row = f"| {key} | " + " | ".join(f"{v:.6f}" for v in values)
            if len(values) == 2:  # temperatures: the change of the rise above the 25 degC plates
                v0, v1 = (values[0] - PLATE_C, values[1] - PLATE_C) if key.endswith("_C") else values
                row += f" | {(v1 - v0) / abs(v0):+.1e} |"
            print(row)
        split = [r["summary"]["heat_split_dual_plate"] for r in runs.values()]  # type: ignore[index]
        if all(split):
            print("| heat split (top) | " + " | ".join(f"{s['top']:.6f}" for s in split) + " |")
        print()


if __name__ == "__main__":
    main()
