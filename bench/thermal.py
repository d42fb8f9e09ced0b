"""Thermal solver: time and memory against element count (gmsh mesh, assembly, AMG-CG solve) on 2 cores.

A package-like model (10 x 10 mm BT substrate, 5 x 5 x 0.3 mm flip chip in mold, a 25 um adhesive and a 10 um
PTFE interface layer, both meshed 2 elements thick by the FEM pipeline's mesher, 0.3 mm copper heat sink) meshed
at growing sizes; theta-JC(top) is solved at each. Each size runs in a fresh process so the peak resident memory
(ru_maxrss) belongs to it.

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
    from pkgcad.conformal.faces import Face
    from pkgcad.conformal.femmesh import from_gmsh
    from pkgcad.conformal.mesh import session
    from pkgcad.conformal.meshing import generate
    from pkgcad.materials import MATERIALS
    from pkgcad.solvers.conduction import prepare, solve
    from pkgcad.thermal.jedec import PackageFaces, theta_jc_top

    t0 = time.perf_counter()
    boxes = {"substrate": (-5, -5, -0.3, 10, 10, 0.3), "mold": (-5, -5, 0, 10, 10, 0.325),
             "chip": (-2.5, -2.5, 0, 5, 5, 0.3), "adhesive": (-2.5, -2.5, 0.3, 5, 5, 0.025),
             "heat_sink": (-5, -5, 0.325, 10, 10, 0.3), "interface": (-5, -5, 0.625, 10, 10, 0.01)}
    materials = {"substrate": "bt-laminate", "mold": "mold-compound", "chip": "silicon",
                 "adhesive": "thermal-adhesive", "heat_sink": "copper", "interface": "ptfe"}
    with session(1) as gmsh:
        gmsh.model.add("bench")
        occ = gmsh.model.occ
        tags = {name: occ.addBox(*b) for name, b in boxes.items()}
        _, mapping = occ.fragment([(3, t) for t in tags.values()], [])
        occ.synchronize()
        owner = {}
        for name, pieces in zip(tags, mapping, strict=True):
            for _, piece in pieces:
                owner[piece] = name  # later names win
        parts: dict[str, list[int]] = {}
        for piece, name in owner.items():
            parts.setdefault(name, []).append(piece)
        for name, vols in parts.items():
            gmsh.model.addPhysicalGroup(3, vols, name=name)
        generate(gmsh, size, thin=[parts["adhesive"], parts["interface"]])
        tm = from_gmsh(gmsh.model)
    t_mesh = time.perf_counter() - t0
    k = tm.per_element([[MATERIALS[materials[n]].conductivity_w_mk] * 3 for n in tm.part_names])
    system = prepare(tm, k)
    faces = PackageFaces(Face("chip", "bottom"), Face("interface", "top"), Face("substrate", "bottom"))
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
