"""`pkgcad warp --compare`: every template (default: every bundled one) and, for the buffer-pad ones, the buffer pad
in each claim-12 candidate material (silicon, Alloy 42, molybdenum) and in copper, on the SAME mesh (a solver
chooses materials, never shapes), and with no buffer pad: the heat sink bonded straight to the chip by adhesive
that fills the pad's place (the outline and the heat sink's height unchanged). One table and one chart of chip
stress and warpage: the claim-12 question answered with numbers."""

from __future__ import annotations

import csv
import dataclasses
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pkgcad.layout import Layout
from pkgcad.materials import BUFFER_PAD_MATERIALS
from pkgcad.warp.run import Progress, TemperatureResult, mesh_space, solve_all

COMPARE_TEMPERATURES = (25.0, 260.0)


def no_pad(lay: Layout) -> Layout:
    """``lay`` without its buffer pad: the adhesive as thick as pad, attach and adhesive were."""
    from pkgcad.templates import apply_overrides, layout_of, make_spec

    bp = lay.spec.buffer_pad
    t = bp.thickness + bp.attach_thickness + lay.spec.adhesive.thickness
    sets = ["buffer_pad.enabled=false", f"adhesive.thickness={t!r}"]
    data = apply_overrides(lay.spec.model_dump(mode="json"), sets)
    return layout_of(make_spec(data), ["buffer_pad.enabled", "adhesive.thickness"])


def _row(package: str, variant: str, results: Sequence[TemperatureResult], seconds: float) -> dict[str, Any]:
    row: dict[str, Any] = {"package": package, "variant": variant}
    for r in results:
        t = f"{r.temperature_c:g}c"
        row[f"warpage_board_{t}_um"] = r.warpage_board_um
        row[f"chip_stress_{t}_mpa"] = r.chip_stress_max_mpa
        row[f"chip_interior_{t}_mpa"] = r.chip_stress_interior_mpa
        row[f"bond_shear_{t}_mpa"] = r.bond_shear_max_mpa
    row["seconds"] = seconds
    return row


def compare_rows(lays: Sequence[Layout], *, mesh: str = "normal", stress_free_c: float = 175.0,
                 temperatures: Sequence[float] = COMPARE_TEMPERATURES, progress: Progress | None = None,
                 done: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    from pkgcad.warp.model import PartMaterial, build_model

    say = progress or (lambda _s: None)
    rows: list[dict[str, Any]] = []

    def tagged(prefix: str) -> Progress:
        return lambda s: say(f"{prefix}: {s}")

    def add(row: dict[str, Any]) -> None:
        rows.append(row)
        if done is not None:
            done(row)

    for lay in lays:
        name = lay.spec.meta.name
        start = time.perf_counter()
        model = build_model(lay, progress=tagged(name))
        fm, space = mesh_space(model, mesh, tagged(name), {})
        if "buffer_pad" not in model.parts:
            add(_row(name, "as built", solve_all(model, fm, space, temperatures, stress_free_c, tagged(name)),
                     time.perf_counter() - start))
            continue
        for mat in BUFFER_PAD_MATERIALS:
            t0 = time.perf_counter()
            parts = dict(model.parts)
            parts["buffer_pad"] = PartMaterial("buffer_pad", mat)
            variant = dataclasses.replace(model, parts=parts)
            results = solve_all(variant, fm, space, temperatures, stress_free_c, tagged(f"{name} ({mat} pad)"))
            add(_row(name, f"buffer pad: {mat}", results, time.perf_counter() - t0))
        t0 = time.perf_counter()
        bare = build_model(no_pad(lay))
        fm2, space2 = mesh_space(bare, mesh, tagged(f"{name} (no pad)"), {})
        add(_row(name, "no buffer pad (adhesive)", solve_all(bare, fm2, space2, temperatures, stress_free_c,
                                                              tagged(f"{name} (no pad)")), time.perf_counter() - t0))
    return rows


def table_lines(rows: Sequence[dict[str, Any]]) -> list[str]:
    temps = sorted({k.split("_")[2] for r in rows for k in r if k.startswith("warpage_board_")},
                   key=lambda t: float(t[:-1]))
    head = "| package | variant | " + " | ".join(f"board warpage {t} um | chip stress {t} MPa | chip interior {t} MPa"
                                                 for t in temps) + " |"
    lines = [head, "|---|---|" + "---|---|---|" * len(temps)]

    def num(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.1f}"

    for r in rows:
        cells = " | ".join(f"{r[f'warpage_board_{t}_um']:+.1f} | {r[f'chip_stress_{t}_mpa']:.1f} | "
                           f"{num(r[f'chip_interior_{t}_mpa'])}" for t in temps)
        lines.append(f"| {r['package']} | {r['variant']} | {cells} |")
    return lines


def write_compare(directory: Path, rows: Sequence[dict[str, Any]], meta: dict[str, Any]) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = [directory / "compare.json", directory / "compare.csv", directory / "compare.md", directory / "compare.png"]
    out[0].write_text(json.dumps({**meta, "rows": list(rows)}, indent=2) + "\n")
    with out[1].open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    out[2].write_text("\n".join(table_lines(rows)) + "\n")
    labels = [f"{r['package']}\n{r['variant']}" for r in rows]
    temps = sorted({k.split("_")[2] for r in rows for k in r if k.startswith("warpage_board_")},
                   key=lambda t: float(t[:-1]))
    y = list(range(len(rows)))
    fig, axes = plt.subplots(1, 2 * len(temps), figsize=(5.5 * len(temps) + 3, 0.45 * len(rows) + 1.8), dpi=110,
                             squeeze=False)
    for i, t in enumerate(temps):
        a1, a2 = axes[0, i], axes[0, len(temps) + i]
        a1.barh([v - 0.2 for v in y], [r[f"chip_stress_{t}_mpa"] for r in rows], height=0.4, color="tab:red",
                label="peak (the chip's edge)")
        a1.barh([v + 0.2 for v in y], [r[f"chip_interior_{t}_mpa"] or 0.0 for r in rows], height=0.4,
                color="tab:orange", label="interior (0.25 mm inside its edges)")
        a1.set_xlabel(f"chip first principal at {t[:-1]} degC (MPa)", fontsize=8)
        a2.barh(y, [r[f"warpage_board_{t}_um"] for r in rows], color="tab:blue")
        a2.set_xlabel(f"board-side warpage at {t[:-1]} degC (um, + convex)", fontsize=8)
        for ax in (a1, a2):
            ax.set_yticks(y, labels if ax is axes[0, 0] else [""] * len(y))
            ax.invert_yaxis()
    axes[0, 0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(out[3])
    plt.close(fig)
    return out
