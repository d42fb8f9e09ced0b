"""FEM-ready geometry, per template: seconds for the conformal fuse, the conformal STEP, and gmsh (import + tet mesh
at the default size), with tetrahedra and the checks. Target (issues 16, 23): <= 30 s a template on 2 cores.

    python bench/conformal.py                        # every bundled template
    python bench/conformal.py qfn flipchip-bga       # some
    python bench/conformal.py --size 0.5 --bumps 2500,10000   # also flip chips of that many bumps (0.1 mm pitch)
    python bench/conformal.py --no-mesh --bumps 10000         # the fuse and STEP only
    python bench/conformal.py --no-mesh --geo                 # the fuse, STEP, and the shipped .geo's mesh
    python bench/conformal.py --cli                  # the command itself: `pkgcad build T --step-mode conformal
                                                     # --mesh-check`, wall and CPU s, peak memory, load, per template
    python bench/conformal.py --cli --tree /work/main   # the same with another checkout's pkgcad (before/after)

Each case runs in a fresh process. The machine's load average is printed with each row: figures taken on a
shared machine are upper bounds; the CPU seconds (every thread of the process and its children) are the figure
that load disturbs least, and bound the wall time of an otherwise idle 2-core machine. Not a test: figures only.
Lengths in millimetres.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

TARGET_S = 30.0


def flipchip(n: int) -> dict[str, Any]:
    """A flip chip of ``n`` bumps at 0.1 mm pitch (bench/scale.py's ladder)."""
    side = 5.5 if n <= 2500 else 10.5
    return {"meta": {"name": f"flipchip-{n}"}, "carrier": {"size": [side + 3.5, side + 3.5]},
            "chip": {"connection": "flipchip", "size": [side, side]},
            "bumps": {"count": n, "pitch": 0.1, "diameter": 0.06, "height": 0.05}, "balls": {"count": 64}}


def geo_mesh(folder: Path, name: str) -> dict[str, Any]:
    """``gmsh <name>.geo -3`` (the script written beside the conformal STEP, its own mesh settings) with this
    interpreter's gmsh command: wall and CPU seconds, tetrahedra, worst element quality (SICN), exit status."""
    import subprocess
    import sys

    import gmsh

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, str(Path(sys.executable).with_name("gmsh")), str(folder / f"{name}.geo"),
                           "-3", "-o", str(folder / f"{name}.msh")], capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    row: dict[str, Any] = {"geo_s": time.perf_counter() - t0, "geo_exit": done.returncode,
                           "geo_cpu_s": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime}
    if done.returncode == 0:
        gmsh.initialize()
        try:
            gmsh.option.setNumber("General.Terminal", 0)
            gmsh.open(str(folder / f"{name}.msh"))
            _types, tags, _nodes = gmsh.model.mesh.getElements(3)
            ids = [int(t) for block in tags for t in block]
            row["geo_tets"] = len(ids)
            row["geo_sicn"] = float(min(gmsh.model.mesh.getElementQualities(ids, "minSICN")))
        finally:
            gmsh.finalize()
    return row


def run(case: str | dict[str, Any], size: float, mesh: bool, geo: bool = False) -> dict[str, Any]:
    """Worker: build, fuse, write, mesh one case; the figures."""
    from pkgcad.conformal import check_folder, write_step
    from pkgcad.export.writer import write_package
    from pkgcad.geometry import build_package
    from pkgcad.templates import load_layout, make_layout

    lay = load_layout(case) if isinstance(case, str) else make_layout(case)
    spec = lay.spec
    row: dict[str, Any] = {"case": spec.meta.name}
    t0 = time.perf_counter()
    pkg = build_package(lay)
    row["build_s"] = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / spec.meta.name
        c0 = time.process_time()
        data = write_package(pkg, out, formats=("step",), step_mode="conformal",
                             step_writer=write_step)
        row["write_cpu_s"] = time.process_time() - c0
        fem = data["conformal"]
        row.update(solids=len(fem["solids"]), tiles=fem["tiles"], shared=fem["shared_faces"],
                   fuse_s=fem["timings_s"]["total_s"], step_s=fem["timings_s"]["step_s"],
                   step_mb=(out / f"{spec.meta.name}.step").stat().st_size / 1e6)
        if mesh:
            t1, c1 = time.perf_counter(), time.process_time()
            report = check_folder(out, size)
            row.update(gmsh_s=time.perf_counter() - t1, gmsh_cpu_s=time.process_time() - c1,
                       import_s=report.seconds["import"], mesh_s=report.seconds["mesh"], tets=report.tets,
                       volume_err=(report.volume - report.expected_volume) / report.expected_volume,
                       failures=report.failures())
        if geo:
            row.update(geo_mesh(out, spec.meta.name))
    row["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    row["load"] = os.getloadavg()[0]
    return row


def cli_row(template: str, tree: Path | None, size: float | None) -> dict[str, Any]:
    """``pkgcad build TEMPLATE --step-mode conformal --mesh-check`` in a fresh process (``tree``: that checkout's
    pkgcad on PYTHONPATH): wall and CPU seconds, peak memory, the load average before and after, the mesh
    check's table line and exit status."""
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(tree or Path(__file__).resolve().parents[1])}
    with tempfile.TemporaryDirectory() as tmp:
        args = [sys.executable, "-m", "pkgcad", "build", template, "--step-mode", "conformal", "--mesh-check",
                "-o", str(Path(tmp) / template), *(["--mesh-size", f"{size:g}"] if size else [])]
        out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
        load0 = os.getloadavg()[0]
        t0 = time.perf_counter()
        with out.open("w") as o, err.open("w") as e:
            child = subprocess.Popen(args, stdout=o, stderr=e, env=env, cwd=tmp)  # not this folder's pkgcad
            _pid, status, usage = os.wait4(child.pid, 0)  # this command's own rusage (and its children's)
            child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        stdout, stderr = out.read_text(), err.read_text()
    total = next((x for x in stdout.splitlines() if x.startswith("total")), "").split()
    return {"case": template, "exit": child.returncode, "wall_s": wall,
            "cpu_s": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024,
            "load": (load0, os.getloadavg()[0]), "tets": int(total[2].replace(",", "")) if len(total) > 2 else 0,
            "volume_err": total[5] if len(total) > 5 else "-", "stderr": stderr.strip().splitlines()[-1:]}


def main_cli(templates: list[str], tree: Path | None, size: float | None) -> None:
    """The ``--cli`` table."""
    where = f"pkgcad of {tree}" if tree else "this checkout's pkgcad"
    print(f"`pkgcad build T --step-mode conformal --mesh-check`, {where}, {os.cpu_count()} cores, target <= "
          f"{TARGET_S:g} s a template; CPU s: every thread of the command; peak MB: the largest process")
    print(f"{'template':<24} {'exit':>4} {'wall s':>7} {'CPU s':>6} {'tets':>9} {'vol err':>9} {'peak MB':>8} "
          f"{'load':>10}  verdict (CPU)")
    for t in templates:
        r = cli_row(t, tree, size)
        verdict = "FAIL " + " ".join(r["stderr"]) if r["exit"] else ("PASS" if r["cpu_s"] <= TARGET_S else "MISS")
        print(f"{r['case']:<24} {r['exit']:>4} {r['wall_s']:>7.1f} {r['cpu_s']:>6.1f} {r['tets']:>9,} "
              f"{r['volume_err']:>9} {r['peak_mb']:>8.0f} {r['load'][0]:>4.1f}-{r['load'][1]:<4.1f}  {verdict}",
              flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("templates", nargs="*", help="bundled template names (default: all)")
    ap.add_argument("--size", type=float, default=None, help="mesh size, mm (default: pkgcad.conformal's)")
    ap.add_argument("--bumps", default="", help="comma-separated bump counts of extra flip-chip cases")
    ap.add_argument("--no-mesh", action="store_true", help="skip gmsh")
    ap.add_argument("--geo", action="store_true", help="also mesh with the shipped <name>.geo (gmsh command, its "
                    "own settings): seconds, CPU seconds, tetrahedra, worst SICN")
    ap.add_argument("--cli", action="store_true", help="time the command `pkgcad build T --step-mode conformal "
                    "--mesh-check` per template instead (wall, CPU, peak memory, load)")
    ap.add_argument("--tree", type=Path, default=None, help="with --cli: run the pkgcad of this checkout "
                    "(PYTHONPATH), e.g. main for a before/after table")
    a = ap.parse_args()
    from pkgcad.conformal.options import DEFAULT_SIZE
    from pkgcad.templates import template_paths

    if a.cli:
        main_cli(list(a.templates or [p.stem for p in template_paths()]), a.tree, a.size)
        return

    size = a.size or DEFAULT_SIZE
    cases: list[str | dict[str, Any]] = list(a.templates or [p.stem for p in template_paths()])
    cases += [flipchip(int(n)) for n in a.bumps.split(",") if n]
    print(f"mesh size {size:g} mm, {os.cpu_count()} cores, target <= {TARGET_S:g} s a template (fuse + STEP + gmsh)")
    print("seconds are wall time; 'cpu' columns: CPU seconds of the process, all threads (fuse + STEP; gmsh)")
    print(f"{'case':<24} {'solids':>6} {'tiles':>5} {'fuse s':>7} {'STEP s':>7} {'cpu':>6} {'STEP MB':>8} "
          f"{'gmsh s':>7} {'cpu':>6} {'tets':>9} {'vol err':>9} {'total s':>8} {'peak MB':>8} {'load':>5}  verdict")
    ctx = mp.get_context("spawn")
    for case in cases:
        # not a multiprocessing.Pool: its daemonic worker may not fork the tiled encapsulant's cutters
        with ProcessPoolExecutor(1, mp_context=ctx) as pool:
            r = pool.submit(run, case, size, not a.no_mesh, a.geo).result()
        total = r["fuse_s"] + r["step_s"] + r.get("gmsh_s", 0.0)
        verdict = ("FAIL " + "; ".join(r["failures"])) if r.get("failures") else (
            "PASS" if total <= TARGET_S else "MISS")
        mesh = (f"{r['gmsh_s']:>7.1f} {r['gmsh_cpu_s']:>6.1f} {r['tets']:>9,} {100 * r['volume_err']:>8.4f}%"
                if "gmsh_s" in r else f"{'-':>7} {'-':>6} {'-':>9} {'-':>9}")
        print(f"{r['case']:<24} {r['solids']:>6} {r['tiles']:>5} {r['fuse_s']:>7.1f} {r['step_s']:>7.1f} "
              f"{r['write_cpu_s']:>6.1f} {r['step_mb']:>8.1f} {mesh} {total:>8.1f} {r['peak_mb']:>8.0f} "
              f"{r['load']:>5.1f}  {verdict}", flush=True)
        if a.geo:
            print(f"{'':<24} {r['case']}.geo: exit {r['geo_exit']}, {r['geo_s']:.1f} s, CPU {r['geo_cpu_s']:.1f} s, "
                  f"{r.get('geo_tets', 0):,} tetrahedra, worst SICN {r.get('geo_sicn', float('nan')):.2g}", flush=True)


if __name__ == "__main__":
    main()
