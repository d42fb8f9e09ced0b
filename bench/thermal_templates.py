"""`pkgcad thermal` on the bundled templates: mesh + solve seconds and peak memory per template, the 10,000-bump
model, and time against element count (coarse / normal / fine of one template). Targets (issue 12): every
template at --mesh normal <= 60 s and <= 4 GB on 2 cores; the 10,000-bump model <= 120 s (homogenised).

Each run is a fresh process (its ru_maxrss is its own peak). It runs what the CLI runs (three scenarios:
theta-JC(top), theta-JB, dual plate), without writing the files. Columns: ``import s`` loads the kernel (OCCT),
gmsh and the solver once per process; ``model s`` builds the parts and the conformal model; ``mesh s`` is gmsh
(BREP import, tetrahedra, reading back); ``total s`` is everything after the imports.

    .venv/bin/python bench/thermal_templates.py [--mesh normal] [--only flipchip-bga,qfn] [--no-scaling]

Figures taken while other work shares the machine are upper bounds.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

BIG = ("flipchip-bga", ("chip.size=[8.0,8.0]", "bumps.count=10000", "bumps.pitch=0.08", "bumps.diameter=0.05",
                        "bumps.height=0.04"))


def run_one(template: str, sets: list[str], mesh: str, detail: str) -> dict[str, object]:
    t_import = time.perf_counter()
    import pkgcad.conformal.meshing
    import pkgcad.solvers.conduction
    import pkgcad.thermal.model  # noqa: F401  (the kernel, mesher and solver: their import time is its own column)
    from pkgcad.templates import load_layout
    from pkgcad.thermal.run import run_layout, summary

    t0 = time.perf_counter()
    lay = load_layout(template, sets)
    s = summary(run_layout(lay, mesh=mesh, detail=detail))
    return {"template": template + (" (10,000 bumps)" if sets else ""), "mesh": mesh, "detail": detail,
            "bumps": lay.bumps.realised if lay.bumps else 0, "tetrahedra": s["mesh"]["tetrahedra"],
            "nodes": s["mesh"]["nodes"], "mesh_s": s["seconds"]["mesh"], "assembly_s": s["seconds"]["assembly"],
            "solve_s": s["seconds"]["solve"], "total_s": time.perf_counter() - t0, "import_s": t0 - t_import,
            "model_s": s["seconds"]["model"],
            "theta_jc_top": s["theta_jc_top_K_W"], "theta_jb": s["theta_jb_K_W"],
            "balance": s["solver"]["worst_energy_balance"],
            "peak_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def child(template: str, sets: list[str], mesh: str, detail: str = "homogenised") -> dict[str, object]:
    args = [sys.executable, __file__, "--one", json.dumps([template, sets, mesh, detail])]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def show(r: dict[str, object]) -> None:
    print(f"{r['template']:<30} {r['mesh']:<7} {r['detail']:<12} {r['tetrahedra']:>9,} {r['nodes']:>8,} "
          f"{r['import_s']:>8.1f} {r['model_s']:>7.1f} {r['mesh_s']:>7.1f} {r['assembly_s']:>7.2f} "
          f"{r['solve_s']:>7.2f} {r['total_s']:>7.1f} "
          f"{r['peak_MB']:>7.0f} {r['theta_jc_top']:>8.4f} {_jb(r['theta_jb']):>8} {r['balance']:>8.1e}", flush=True)


def _jb(value: object) -> str:
    return "n/a" if not isinstance(value, float) else f"{value:.3f}"  # n/a: no board-side face (full balls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mesh", default="normal", help="mesh preset for the per-template rows")
    parser.add_argument("--only", default="", help="comma-separated templates (default: all bundled)")
    parser.add_argument("--no-scaling", action="store_true", help="skip the coarse/normal/fine rows")
    parser.add_argument("--full", action="store_true", help="also every bump and ball as a solid (flipchip-bga, "
                        "wirebond-bga): the homogenisation check")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        template, sets, mesh, detail = json.loads(args.one)
        print(json.dumps(run_one(template, sets, mesh, detail)))
        return
    from pkgcad.templates import template_paths

    names = args.only.split(",") if args.only else [p.stem for p in template_paths()]
    print(f"{'template':<30} {'mesh':<7} {'arrays':<12} {'tets':>9} {'nodes':>8} {'import s':>8} {'model s':>7} "
          f"{'mesh s':>7} {'asm s':>7} "
          f"{'solve s':>7} {'total s':>7} {'peak MB':>7} {'JC K/W':>8} {'JB K/W':>8} {'balance':>8}")
    for name in names:
        show(child(name, [], args.mesh))
    show(child(BIG[0], list(BIG[1]), args.mesh))
    if args.full:
        for name in ("flipchip-bga", "wirebond-bga"):
            show(child(name, [], args.mesh, "full"))
    if not args.no_scaling:
        for mesh in ("coarse", "normal", "fine"):
            show(child("wirebond-bga", [], mesh))


if __name__ == "__main__":
    main()
