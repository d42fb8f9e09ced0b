"""Benchmark: the encapsulant of flip chips with 400 to 10,000 bumps, tiled (``pkgcad.geometry.tiles``) against
the old single cut.

    cd /work/main && PYTHONPATH=. .venv/bin/python bench/encapsulant_cut.py [--quick] [--no-old] [--overlap]

Per model: the encapsulant time as ``build_package`` measures it, the tiles and the cuts run for them (congruent
tiles are cut once), validity, volume and (``--overlap``, minutes at 10,000 bumps) the volume it shares with the
parts it holds. For 400 and 900 bumps also the old way, ``single_solid(cut_all(envelope, tools))``, split into
the cut and the validity check, and the relative volume difference. The load average is printed too: other
processes on the machine slow it all.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import cadquery as cq
from OCP.BRepAlgoAPI import BRepAlgoAPI_Common
from OCP.TopTools import TopTools_ListOfShape

from pkgcad.geometry import build_package
from pkgcad.geometry.encapsulant import held_parts, mold
from pkgcad.geometry.shapes import cut_all
from pkgcad.geometry.tiles import congruent, make_plan
from pkgcad.package import Package
from pkgcad.pool import cores
from pkgcad.templates import make_layout

BUMPS = {"connection": "flipchip"}
MODELS: dict[str, dict[str, Any]] = {
    "400 bumps": {"chip": BUMPS, "bumps": {"count": 400, "pitch": 0.1, "diameter": 0.06, "height": 0.05}},
    "900 bumps": {"chip": BUMPS, "bumps": {"count": 900, "pitch": 0.1, "diameter": 0.06, "height": 0.05}},
    "2,500 bumps": {"chip": BUMPS, "bumps": {"count": 2500, "pitch": 0.1, "diameter": 0.06, "height": 0.05}},
    "10,000 bumps": {"carrier": {"size": [14, 14]}, "chip": {**BUMPS, "size": [10.5, 10.5]},
                     "bumps": {"count": 10000, "pitch": 0.1, "diameter": 0.06, "height": 0.05}},
}
OLD = ("400 bumps", "900 bumps")  # the old single cut takes ~2 min at 2,500 bumps, so only these


def envelope_and_tools(pkg: Package) -> tuple[cq.Shape, list[cq.Shape]]:
    """What ``encapsulant()`` cuts: the same parts ``build_package`` hands it."""
    return mold(pkg.layout, held_parts(pkg.layout, pkg.parts))


def overlap(shape: cq.Shape, tools: list[cq.Shape]) -> float:
    """Volume common to ``shape`` and the tools (should be ~0)."""
    args, tls = TopTools_ListOfShape(), TopTools_ListOfShape()
    args.Append(shape.wrapped)
    for t in tools:
        tls.Append(t.wrapped)
    op = BRepAlgoAPI_Common()
    op.SetArguments(args)
    op.SetTools(tls)
    op.SetRunParallel(True)
    op.Build()
    return 0.0 if op.Shape().IsNull() else cq.Shape.cast(op.Shape()).Volume()


def old_way(envelope: cq.Shape, tools: list[cq.Shape]) -> tuple[float, float, float]:
    """The old encapsulant boolean: seconds to cut, seconds to check, volume."""
    t0 = time.perf_counter()
    solids = cut_all(envelope, tools).Solids()
    t1 = time.perf_counter()
    assert len(solids) == 1 and solids[0].isValid()
    return t1 - t0, time.perf_counter() - t1, solids[0].Volume()


def main(argv: list[str]) -> None:
    models = dict(list(MODELS.items())[:2]) if "--quick" in argv else MODELS
    print(f"{cores()} cores; load average {os.getloadavg()[0]:.2f}")
    for name, overrides in models.items():
        pkg = build_package(make_layout(overrides))
        t0 = time.perf_counter()
        enc = pkg.part("encapsulant").solid()  # the tiles glued and checked: only `--step-mode solid|fused` needs it
        glue_s = time.perf_counter() - t0
        envelope, tools = envelope_and_tools(pkg)
        tiles = make_plan(envelope, tools)[1]
        cuts = len(congruent(tiles)[0]) if tiles else 1
        shared = f", overlap {overlap(enc, tools):.1e} mm3" if "--overlap" in argv else ""
        print(f"{name:>13}: encapsulant {pkg.timings['encapsulant_s']:6.2f} s (+ glue {glue_s:.2f} s), "
              f"{max(len(tiles), 1)} tiles, "
              f"{cuts} cuts; valid {enc.isValid()}, {len(enc.Solids())} solid, {len(enc.Faces())} faces, "
              f"volume {enc.Volume():.9f} mm3{shared} (load {os.getloadavg()[0]:.2f})", flush=True)
        if name in OLD and "--no-old" not in argv:
            cut_s, check_s, volume = old_way(envelope, tools)
            print(f"{'':>13}  old single cut {cut_s + check_s:6.2f} s (cut {cut_s:.2f} s + validity check "
                  f"{check_s:.2f} s); volume difference {(enc.Volume() - volume) / volume:+.1e}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
