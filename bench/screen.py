"""How long `pkgcad screen` takes on pkgcad's own STEP of each bundled template, as written (named, instanced)
and with its names stripped (OpenCASCADE re-export: one unnamed compound, every solid its own definition,
which is what a foreign flat file costs); and how fast the guard refuses a 10^6-entity file.

    python bench/screen.py                  # every template
    python bench/screen.py qfn flipchip-bga # some

Prints per file: solids, distinct solids meshed, triangles, and the seconds of reading (prove + OpenCASCADE +
meshing), roles and judging, in this process (imports excluded), with the process's CPU seconds. Not a test:
figures only. Taken on a shared machine, they are upper bounds; the load average is printed.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    from pkgcad.errors import InputError
    from pkgcad.export.step import unlabelled_copy
    from pkgcad.export.writer import write_package
    from pkgcad.geometry import build_package
    from pkgcad.screen.run import screen
    from pkgcad.templates import load_layout, template_paths

    names = sys.argv[1:] or [p.stem for p in template_paths()]
    print(f"load average {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    print(f"{'file':34} {'solids':>6} {'meshed':>6} {'triangles':>9} {'read s':>7} {'roles s':>7} {'judge s':>7} "
          f"{'cpu s':>6}")
    with tempfile.TemporaryDirectory(prefix="pkgcad-bench-screen-") as tmp:
        root = Path(tmp)
        for name in names:
            write_package(build_package(load_layout(name, ())), root / name, formats=("step",))
            named = root / name / f"{name}.step"
            bare = root / f"{name}-stripped.step"
            unlabelled_copy(named, bare)
            for path in (named, bare):
                cpu = time.process_time()
                s = screen(path)
                cpu = time.process_time() - cpu
                tris = sum(len(d.faces) for d in s.step.definitions)
                t = s.timings
                print(f"{path.name:34} {len(s.step.solids):6} {len(s.step.definitions):6} {tris:9,} "
                      f"{t['read_s']:7.2f} {t['roles_s']:7.2f} {t['judge_s']:7.2f} {cpu:6.1f}", flush=True)
        huge = root / "huge.step"
        with huge.open("wb") as fh:
            fh.write(b"ISO-10303-21;\nHEADER;\nENDSEC;\nDATA;\n")
            fh.write(b"".join(b"#%d=CARTESIAN_POINT('',(0.,0.,0.));\n" % i for i in range(1, 1_000_001)))
            fh.write(b"ENDSEC;\nEND-ISO-10303-21;\n")
        t0 = time.perf_counter()
        try:
            screen(huge)
        except InputError as exc:
            print(f"10^6 entities ({huge.stat().st_size / 1e6:.0f} MB) refused in {time.perf_counter() - t0:.2f} s: "
                  f"{exc}")


if __name__ == "__main__":
    main()
