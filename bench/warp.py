"""`pkgcad warp` on the bundled templates: seconds and peak memory per template at every default temperature, and
the 10,000-bump model. Targets (issue 21): every template at --mesh normal, all temperatures, <= 90 s and <= 6 GB on
2 cores; the 10,000-bump model (homogenised bumps) <= 180 s.

Each run is a fresh process (its ru_maxrss is its own peak); it runs what the CLI runs without writing files. The
load average is printed beside each row: figures taken while other work shares the machine are upper bounds.

    .venv/bin/python bench/warp.py [--mesh normal] [--only flipchip-bga,qfn] [--at 25,260] [--big]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

BIG = ("flipchip-bga", ("chip.size=[8.0,8.0]", "bumps.count=10000", "bumps.pitch=0.08", "bumps.diameter=0.05",
                        "bumps.height=0.04"))


def run_one(template: str, sets: list[str], mesh: str, at: str | None) -> dict[str, object]:
    from pkgcad.templates import load_layout
    from pkgcad.warp.run import parse_temperatures, run_layout

    t0 = time.perf_counter()
    c0 = time.process_time()
    lay = load_layout(template, sets)
    run = run_layout(lay, temperatures=parse_temperatures(at), mesh=mesh)
    first = run.results[0]
    return {"template": template + (" (10,000 bumps)" if sets else ""), "mesh": mesh,
            "temperatures": len(run.results), "tetrahedra": run.mesh.n_elements,
            "total_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
            "mesh_s": run.seconds["mesh"], "warpage_board_um_first": first.warpage_board_um,
            "chip_stress_mpa_first": first.chip_stress_max_mpa,
            "cg_iterations": [r.iterations for r in run.results],
            "peak_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "load": os.getloadavg()[0]}


def child(template: str, sets: list[str], mesh: str, at: str | None) -> dict[str, object]:
    args = [sys.executable, __file__, "--one", json.dumps([template, sets, mesh, at])]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--one")
    ap.add_argument("--mesh", default="normal")
    ap.add_argument("--only")
    ap.add_argument("--at")
    ap.add_argument("--big", action="store_true", help="also the 10,000-bump model")
    a = ap.parse_args()
    if a.one:
        template, sets, mesh, at = json.loads(a.one)
        print(json.dumps(run_one(template, sets, mesh, at)))
        return
    from pkgcad.templates import template_paths

    names = a.only.split(",") if a.only else [p.stem for p in template_paths()]
    jobs: list[tuple[str, list[str]]] = [(n, []) for n in names]
    if a.big:
        jobs.append((BIG[0], list(BIG[1])))
    print("| template | temps | tetrahedra | total s | CPU s | peak MB | CG iterations | board um (first T) | "
          "chip MPa (first T) | load |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, sets in jobs:
        r = child(name, sets, a.mesh, a.at)
        print(f"| {r['template']} | {r['temperatures']} | {r['tetrahedra']:,} | {r['total_s']:.1f} | "
              f"{r['cpu_s']:.1f} | {r['peak_MB']:.0f} | {r['cg_iterations']} | {r['warpage_board_um_first']:+.1f} | "
              f"{r['chip_stress_mpa_first']:.1f} | {r['load']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
