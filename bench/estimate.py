"""The size guard's estimate (pkgcad.export.estimate) against what an export really gives: triangles of the
whole-package STL, per template and --quality, measured by ``pkgcad show --sizes``'s own code.

    python bench/estimate.py                      # the bundled templates
    python bench/estimate.py flipchip-bga,bumps.count=2500,bumps.pitch=0.1,bumps.diameter=0.06,bumps.height=0.05

Prints estimate, measured and their ratio. Not a test: figures only (the calibration of the guard).
"""

from __future__ import annotations

import sys

from pkgcad.export.estimate import estimate
from pkgcad.export.options import QUALITIES
from pkgcad.export.sizes import measure_qualities
from pkgcad.geometry import build_package
from pkgcad.templates import load_layout, template_paths


def main(cases: list[str]) -> None:
    print(f"{'case':<60} {'quality':<7} {'estimate':>11} {'measured':>11} {'ratio':>6}")
    for case in cases:
        name, *sets = case.split(",")
        lay = load_layout(name, sets)
        rows = measure_qualities(build_package(lay))
        for row in rows:
            est = estimate(lay, QUALITIES[row["quality"]])
            print(f"{case[:60]:<60} {row['quality']:<7} {est.triangles:>11,} {row['triangles']:>11,} "
                  f"{est.triangles / row['triangles']:>6.2f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or [p.stem for p in template_paths()])
