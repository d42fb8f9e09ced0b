"""Build and export models of growing size and print where the time goes (not a test; prints figures).

    python bench/scale.py            # the issue-2 targets: flip chip 2,500 bumps, wire bond 256 wires
    python bench/scale.py --ladder   # more sizes

Every figure is wall time on this machine for build_package + write_package (STEP + STL + GLB).
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

from pkgcad.build import build_package
from pkgcad.export import write_package
from pkgcad.load import make_spec

FLIP = {"chip": {"connection": "flipchip", "size": [5.5, 5.5]}, "carrier": {"size": [12.0, 12.0]},
        "bumps": {"pitch": 0.1, "diameter": 0.06, "height": 0.05}, "balls": {"count": 100}}
WIRE = {"carrier": {"size": [14.0, 14.0]}, "chip": {"size": [8.0, 8.0]}, "balls": {"count": 144},
        "wires": {"pitch": 0.07}}


def case(name: str, base: dict[str, Any], section: str, count: int, target_s: float | None) -> dict[str, Any]:
    data = {k: dict(v) for k, v in base.items()}
    data[section] = {**data.get(section, {}), "count": count}
    data["meta"] = {"name": name}
    spec = make_spec(data)
    t0 = time.perf_counter()
    pkg = build_package(spec)
    with tempfile.TemporaryDirectory() as tmp:
        manifest = write_package(pkg, Path(tmp) / name)
        total = time.perf_counter() - t0
        step = next(f["bytes"] for f in manifest["files"] if f["path"].endswith(".step"))
    t = manifest["timings_s"]
    ok = "" if target_s is None else ("PASS" if total < target_s else "MISS")
    print(f"{name:<22} {count:>6} {t['parts_s']:>7.2f} {t['encapsulant_s']:>7.2f} {t['step_s']:>6.2f} "
          f"{t['tessellate_s']:>6.2f} {t['stl_s']:>6.2f} {t['glb_s']:>6.2f} {total:>7.2f} "
          f"{step / 1e6:>7.2f} {'' if target_s is None else f'< {target_s:g} s'} {ok}", flush=True)
    return {"name": name, "total_s": total}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ladder", action="store_true", help="also the smaller and larger sizes")
    args = ap.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    print(f"{'case':<22} {'count':>6} {'parts':>7} {'mold':>7} {'step':>6} {'mesh':>6} {'stl':>6} {'glb':>6} "
          f"{'total':>7} {'STEP MB':>7}  (seconds)")
    if args.ladder:
        case("flipchip-400", FLIP, "bumps", 400, None)
        case("wirebond-64", WIRE, "wires", 64, None)
    case("flipchip-2500", FLIP, "bumps", 2500, 10.0)
    case("wirebond-256", WIRE, "wires", 256, 15.0)


if __name__ == "__main__":
    main()
