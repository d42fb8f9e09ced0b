"""`pkgcad warp` on the bundled templates: seconds and peak memory per template at every default temperature, the
10,000-bump model, and the mesh convergence (coarse / normal / fine). Targets (issue 21): every template at
--mesh normal, all temperatures, <= 90 s and <= 6 GB on 2 cores; the 10,000-bump model (homogenised bumps)
<= 180 s; warpage within 3 % from normal to fine.

Each run is a fresh process under ``/usr/bin/time -v`` (wall, user + system CPU, peak resident memory of that
process); it runs what the CLI runs without writing files. The load average (1 min) at the start and the end of a
row is printed beside it: wall figures taken while other work shares the 2 cores are upper bounds, the CPU seconds
are what the run itself needed.

    .venv/bin/python bench/warp.py [--mesh normal] [--only flipchip-bga,qfn] [--at 25,260] [--big]
    .venv/bin/python bench/warp.py --convergence [--only flipchip-bga] [--at 25,260]
    .venv/bin/python bench/warp.py --plate 0.1,0.3,0.6 --only flipchip-bga --mesh coarse --at 25,260
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import time

BIG = ("flipchip-bga", ("chip.size=[8.0,8.0]", "bumps.count=10000", "bumps.pitch=0.08", "bumps.diameter=0.05",
                        "bumps.height=0.04"))
MESHES = ("coarse", "normal", "fine")


def run_one(template: str, sets: list[str], mesh: str, at: str | None) -> dict[str, object]:
    from pkgcad.templates import load_layout
    from pkgcad.warp.run import parse_temperatures, run_layout

    t0 = time.perf_counter()
    lay = load_layout(template, sets)
    run = run_layout(lay, temperatures=parse_temperatures(at), mesh=mesh)
    return {"template": template + (" (10,000 bumps)" if sets == list(BIG[1]) else ""), "mesh": mesh,
            "temperatures": [r.temperature_c for r in run.results], "tetrahedra": run.mesh.n_elements,
            "total_s": time.perf_counter() - t0, "mesh_s": run.seconds["mesh"],
            "warpage_board_um": [r.warpage_board_um for r in run.results],
            "clt_warpage_um": [r.clt_warpage_um for r in run.results],
            "chip_stress_mpa": [r.chip_stress_max_mpa for r in run.results],
            "chip_interior_mpa": [r.chip_stress_interior_mpa for r in run.results],
            "cg_iterations": [r.iterations for r in run.results]}


def _time_v(stderr: str, label: str) -> str:
    m = re.search(rf"{re.escape(label)}: (.+)", stderr)
    return m.group(1).strip() if m else "nan"


def _wall_s(text: str) -> float:
    parts = [float(p) for p in text.split(":")]
    return sum(p * 60.0**i for i, p in enumerate(reversed(parts)))


def child(template: str, sets: list[str], mesh: str, at: str | None) -> dict[str, object]:
    load0 = os.getloadavg()[0]
    args = ["/usr/bin/time", "-v", sys.executable, __file__, "--one", json.dumps([template, sets, mesh, at])]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    r = dict(json.loads(out.stdout.strip().splitlines()[-1]))
    r["wall_s"] = _wall_s(_time_v(out.stderr, "Elapsed (wall clock) time (h:mm:ss or m:ss)"))
    r["cpu_s"] = float(_time_v(out.stderr, "User time (seconds)")) + float(_time_v(out.stderr, "System time (seconds)"))
    r["peak_MB"] = float(_time_v(out.stderr, "Maximum resident set size (kbytes)")) / 1024.0
    r["load"] = f"{load0:.1f}-{os.getloadavg()[0]:.1f}"
    return r


def richardson(coarse: float, normal: float, fine: float) -> tuple[float, float] | None:
    """(observed order p, extrapolated value) from three meshes halving the size, when the changes shrink
    monotonically (same sign, |fine - normal| < |normal - coarse|); None otherwise (Richardson does not apply)."""
    d1, d2 = normal - coarse, fine - normal
    if d1 == 0.0 or d2 == 0.0 or d1 * d2 < 0.0 or abs(d2) >= abs(d1):
        return None
    p = math.log(abs(d1 / d2)) / math.log(2.0)
    return p, fine + d2 / (2.0**p - 1.0)


def convergence(names: list[str], at: str | None) -> None:
    print("| template | T degC | figure | coarse | normal | fine | normal->fine | Richardson (p, limit) |")
    print("|---|---|---|---|---|---|---|---|")
    for name in names:
        rows = {m: child(name, [], m, at) for m in MESHES}
        for m in MESHES:
            r = rows[m]
            print(f"<!-- {name} {m}: {r['tetrahedra']:,} tetrahedra, wall {r['wall_s']:.0f} s, CPU {r['cpu_s']:.0f} s, "
                  f"peak {r['peak_MB']:.0f} MB, load {r['load']} -->", flush=True)
        temps = rows["normal"]["temperatures"]
        assert isinstance(temps, list)
        for i, t in enumerate(temps):
            for key, label in (("warpage_board_um", "board warpage um"), ("chip_stress_mpa", "chip peak s1 MPa"),
                               ("chip_interior_mpa", "chip interior s1 MPa")):
                v = [rows[m][key][i] for m in MESHES]  # type: ignore[index]
                if any(x is None for x in v):
                    continue
                change = (v[2] - v[1]) / abs(v[2]) * 100.0 if v[2] else float("nan")
                rich = richardson(*v)
                extra = f"{rich[0]:.1f}, {rich[1]:+.2f}" if rich else "n/a (not monotonic)"
                print(f"| {name} | {t:g} | {label} | {v[0]:+.2f} | {v[1]:+.2f} | {v[2]:+.2f} | {change:+.1f} % | "
                      f"{extra} |", flush=True)


def plate(names: list[str], thicknesses: str, mesh: str, at: str | None) -> None:
    """FEM board warpage beside classical lamination theory of the three full-footprint layers, as the heat
    sink's thickness changes (issue 21: the direction CLT predicts)."""
    print("| template | heat sink mm | T degC | FEM board warpage um | CLT (carrier, mold, plate) um | CPU s |")
    print("|---|---|---|---|---|---|")
    for name in names:
        for t in thicknesses.split(","):
            r = child(name, [f"heat_sink.thickness={t}"], mesh, at)
            temps, fem, clt = r["temperatures"], r["warpage_board_um"], r["clt_warpage_um"]
            assert isinstance(temps, list) and isinstance(fem, list) and isinstance(clt, list)
            for i, temp in enumerate(temps):
                c = "n/a" if clt[i] is None else f"{clt[i]:+.1f}"
                print(f"| {name} | {t} | {temp:g} | {fem[i]:+.1f} | {c} | {r['cpu_s']:.0f} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--one")
    ap.add_argument("--mesh", default="normal")
    ap.add_argument("--only")
    ap.add_argument("--at")
    ap.add_argument("--big", action="store_true", help="also the 10,000-bump model")
    ap.add_argument("--convergence", action="store_true", help="coarse, normal and fine side by side")
    ap.add_argument("--plate", help="heat-sink thicknesses (mm, commas): FEM beside lamination theory")
    a = ap.parse_args()
    if a.one:
        template, sets, mesh, at = json.loads(a.one)
        print(json.dumps(run_one(template, sets, mesh, at)))
        return
    from pkgcad.templates import template_paths

    names = a.only.split(",") if a.only else [p.stem for p in template_paths()]
    if a.convergence:
        convergence(names, a.at)
        return
    if a.plate:
        plate(names, a.plate, a.mesh, a.at)
        return
    jobs: list[tuple[str, list[str]]] = [(n, []) for n in names]
    if a.big:
        jobs.append((BIG[0], list(BIG[1])))
    print("| template | temps | tetrahedra | wall s | CPU s | peak MB | load (start-end) | CG iterations | "
          "board um (first T) | chip MPa (first T) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, sets in jobs:
        r = child(name, sets, a.mesh, a.at)
        temps, its = r["temperatures"], r["cg_iterations"]
        board, chip = r["warpage_board_um"], r["chip_stress_mpa"]
        assert isinstance(temps, list) and isinstance(board, list) and isinstance(chip, list)
        print(f"| {r['template']} | {len(temps)} | {r['tetrahedra']:,} | {r['wall_s']:.0f} | {r['cpu_s']:.0f} | "
              f"{r['peak_MB']:.0f} | {r['load']} | {its} | {board[0]:+.1f} | {chip[0]:.1f} |", flush=True)


if __name__ == "__main__":
    main()
