"""Thermal solver: time and memory against element count (gmsh mesh, assembly, AMG-CG solve) on 2 cores.

A package-like model (10 x 10 mm BT substrate, 5 x 5 x 0.3 mm flip chip in mold, 0.3 mm copper heat sink, a
25 um adhesive contact, 10 um PTFE interface layer as a Robin top) meshed at growing sizes; theta-JC(top) is
solved at each. Each size runs in a fresh process so the peak resident memory (ru_maxrss) belongs to it.

    .venv/bin/python bench/thermal.py [--sizes 0.4,0.2,0.1,0.07,0.05]

Figures taken while other work shares the machine are upper bounds.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def run_one(size: float) -> dict[str, float]:
    import gmsh

    from pkgcad.thermal import meshing
    from pkgcad.thermal.contact import Contact
    from pkgcad.thermal.faces import Face
    from pkgcad.thermal.jedec import PackageFaces, theta_jc_top
    from pkgcad.thermal.mesh import from_gmsh
    from pkgcad.thermal.solve import prepare, solve

    t0 = time.perf_counter()
    gmsh.initialize()
    gmsh.option.setNumber("General.Terminal", 0)
    occ = gmsh.model.occ
    boxes = {"substrate": (-5, -5, -0.3, 10, 10, 0.3), "mold": (-5, -5, 0, 10, 10, 0.3),
             "chip": (-2.5, -2.5, 0, 5, 5, 0.3), "heat_sink": (-5, -5, 0.3, 10, 10, 0.3)}
    tags = {name: occ.addBox(*b) for name, b in boxes.items()}
    _, mapping = occ.fragment([(3, t) for t in tags.values()], [])
    occ.synchronize()
    owner = {}
    for name, pieces in zip(tags, mapping, strict=True):
        for _, piece in pieces:
            owner[piece] = name
    parts: dict[str, list[int]] = {}
    for piece, name in owner.items():
        parts.setdefault(name, []).append(piece)
    meshing.add_part_groups(parts)
    meshing.generate(size)
    tm = from_gmsh({"substrate": "bt-laminate", "mold": "mold-compound", "chip": "silicon", "heat_sink": "copper"})
    gmsh.finalize()
    t_mesh = time.perf_counter() - t0
    system = prepare(tm, (Contact.thin_layer("chip", "heat_sink", 0.025, 2.3),))
    faces = PackageFaces(Face("chip", "bottom"), Face("heat_sink", "top"), Face("substrate", "bottom"),
                         top_layers=((0.010, 0.25),))
    result = solve(system, theta_jc_top(faces))
    return {
        "size_mm": size, "nodes": system.tm.n_nodes, "tetrahedra": system.tm.n_elements, "mesh_s": t_mesh,
        "assembly_s": system.assembly_s, "solve_s": result.solve_s, "iterations": result.iterations,
        "theta_jc_K_W": result.theta_max_k_w, "energy_balance": result.energy_balance,
        "peak_rss_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="0.4,0.2,0.1,0.07,0.05", help="element sizes in mm, comma separated")
    parser.add_argument("--one", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run_one(args.one)))
        return
    print(f"{'size mm':>8} {'nodes':>9} {'tets':>10} {'mesh s':>8} {'assemble s':>10} {'solve s':>8} "
          f"{'CG it':>6} {'theta-JC K/W':>13} {'balance':>9} {'peak MB':>8}")
    for size in (float(s) for s in args.sizes.split(",")):
        out = subprocess.run([sys.executable, __file__, "--one", str(size)], capture_output=True, text=True,
                             check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['size_mm']:>8.3f} {r['nodes']:>9,d} {r['tetrahedra']:>10,d} {r['mesh_s']:>8.1f} "
              f"{r['assembly_s']:>10.2f} {r['solve_s']:>8.2f} {r['iterations']:>6d} {r['theta_jc_K_W']:>13.4f} "
              f"{r['energy_balance']:>9.1e} {r['peak_rss_MB']:>8.0f}", flush=True)


if __name__ == "__main__":
    main()
