"""The size guard's estimate (pkgcad.export.estimate) against what a build really writes: the bytes of each kind
of file (STL, STEP, GLB, 3MF, manifest) and the triangles of the whole model, per case and ``--stl`` mode.

    python bench/estimate.py                                # the bundled templates and bench/scale.py's 1k, 10k
    python bench/estimate.py --stl instanced,all            # the modes (default: instanced,all)
    python bench/estimate.py flipchip-bga,bumps.count=2500,bumps.pitch=0.1 scale:20000

A case is a template with ``--set`` overrides after commas, or ``scale:N`` (bench/scale.py's flip chip of N
bumps). Prints estimate / measured per file kind and in total. Not a test: figures only (the calibration of the
guard).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/scale.py

from scale import flipchip

from pkgcad.export.estimate import estimate
from pkgcad.export.options import QUALITIES
from pkgcad.export.writer import write_package
from pkgcad.geometry import build_package
from pkgcad.templates import load_layout, make_layout, template_paths

KINDS = ("stl", "step", "glb", "3mf", "manifest")


def kind(path: str) -> str:
    return "manifest" if path == "manifest.json" else Path(path).suffix.lstrip(".").lower()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cases", nargs="*", help="TEMPLATE[,KEY=VALUE...] or scale:N")
    ap.add_argument("--stl", default="instanced,all", help="comma-separated --stl modes")
    args = ap.parse_args()
    cases = args.cases or [p.stem for p in template_paths()] + ["scale:1000", "scale:10000"]
    q = QUALITIES["normal"]
    print(f"{'case':<34} {'--stl':<9} " + " ".join(f"{k:>14}" for k in KINDS) + f" {'total MB':>16} {'triangles':>17}")
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="pkgcad-estimate-") as tmp:
        for case in cases:
            if case.startswith("scale:"):
                lay = make_layout(flipchip(int(case.split(":")[1])))
            else:
                name, *sets = case.split(",")
                lay = load_layout(name, sets)
            pkg = build_package(lay)
            for mode in args.stl.split(","):
                out = Path(tmp) / f"{lay.spec.meta.name}-{mode}"
                data = write_package(pkg, out, q, stl=mode)
                got = dict.fromkeys(KINDS, 0)
                for p in out.rglob("*"):
                    if p.is_file() and kind(str(p.relative_to(out))) in got:
                        got[kind(str(p.relative_to(out)))] += p.stat().st_size
                est = estimate(lay, q, stl=mode)
                want = dict(est.files)
                every = sum(r["triangles"] * r["count"] for r in data["parts"])
                ratio = est.bytes / sum(got.values())
                worst = max(worst, abs(ratio - 1))
                print(f"{case[:34]:<34} {mode:<9} " + " ".join(
                    f"{want[k] / 1e6:6.2f}/{got[k] / 1e6:6.2f}" for k in KINDS)
                    + f" {est.bytes / 1e6:7.1f}/{sum(got.values()) / 1e6:7.1f} {ratio:4.2f}"
                    + f" {est.triangles / every:5.2f} of {every:,}", flush=True)
    print(f"\nestimate/measured MB per kind of file; the worst total is off by {worst:.0%}")


if __name__ == "__main__":
    main()
