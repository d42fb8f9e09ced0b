"""`pkgcad thermal --compare`: each package with its exposed heat sink and a baseline without it (mold where
the heat sink was), theta-JC(top), theta-JC(bot) (an exposed pad) and theta-JB (JESD51-8) of both, what the
claimed structure buys in K/W and %, and beside them the published figures of a comparable package of the kind
(:mod:`pkgcad.thermal.published`), to read the baseline against.

:func:`compare_rows` runs them (one mesh + solve each); :func:`write_compare` writes compare.json, compare.csv
and compare.png (a bar chart) into a folder the caller staged.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pkgcad.layout import Layout
from pkgcad.thermal.published import PUBLISHED, kind
from pkgcad.thermal.run import run_layout, summary

COLUMNS = ("package", "kind", "theta_jc_top_K_W", "theta_jc_top_no_hs_K_W", "theta_jc_top_delta_K_W",
           "theta_jc_top_delta_pct", "theta_jc_bot_K_W", "theta_jc_bot_no_hs_K_W", "theta_jb_K_W",
           "theta_jb_no_hs_K_W", "theta_jb_delta_K_W", "theta_jb_delta_pct", "top_share", "top_share_no_hs",
           "published", "tetrahedra", "seconds")


def compare_rows(lays: Sequence[Layout], *, power_w: float, mesh: str,
                 progress: Callable[[str], None] | None = None,
                 done: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """One row per layout (with and without its heat sink); ``done`` hears each row as it is finished."""
    say = progress or (lambda _s: None)
    rows = []
    for i, lay in enumerate(lays, 1):
        name = lay.spec.meta.name
        runs = {}
        for hs in (True, False):
            head = f"[{i}/{len(lays)}] {name}, {'with heat sink' if hs else 'no heat sink'}"
            runs[hs] = summary(run_layout(lay, power_w=power_w, mesh=mesh, heat_sink=hs,
                                          progress=_prefixed(say, head)))
        w, wo = runs[True], runs[False]
        rows.append({
            "package": name,
            "kind": kind(lay),
            "theta_jc_top_K_W": w["theta_jc_top_K_W"],
            "theta_jc_top_no_hs_K_W": wo["theta_jc_top_K_W"],
            "theta_jc_top_delta_K_W": w["theta_jc_top_K_W"] - wo["theta_jc_top_K_W"],
            "theta_jc_top_delta_pct": 100.0 * (w["theta_jc_top_K_W"] / wo["theta_jc_top_K_W"] - 1.0),
            "theta_jc_bot_K_W": w["theta_jc_bot_K_W"],
            "theta_jc_bot_no_hs_K_W": wo["theta_jc_bot_K_W"],
            "theta_jb_K_W": w["theta_jb_K_W"],
            "theta_jb_no_hs_K_W": wo["theta_jb_K_W"],
            "theta_jb_delta_K_W": w["theta_jb_K_W"] - wo["theta_jb_K_W"],
            "theta_jb_delta_pct": 100.0 * (w["theta_jb_K_W"] / wo["theta_jb_K_W"] - 1.0),
            "top_share": w["heat_split_dual_plate"]["top"],
            "top_share_no_hs": wo["heat_split_dual_plate"]["top"],
            "published": [p.describe() for p in PUBLISHED[kind(lay)]],
            "tetrahedra": w["mesh"]["tetrahedra"],
            "seconds": w["seconds"]["total"] + wo["seconds"]["total"],
            "worst_energy_balance": max(w["solver"]["worst_energy_balance"], wo["solver"]["worst_energy_balance"]),
        })
        if done is not None:
            done(rows[-1])
    return rows


def _prefixed(say: Callable[[str], None], head: str) -> Callable[[str], None]:
    return lambda stage: say(f"{head}: {stage}")


def table_lines(rows: Sequence[dict[str, Any]]) -> list[str]:
    """A Markdown table (the README's): K/W, the change the heat sink makes, and the kind the package is compared
    as (its published figures are listed below the table)."""
    head = ("| package | theta-JC(top) K/W | no heat sink | change | theta-JC(bot) K/W (no heat sink) | "
            "theta-JB (JESD51-8) K/W | no heat sink | change | heat to top (dual plate) | compared as |")
    lines = [head, "|" + "---|" * 10]
    for r in rows:
        bot = ("-" if r["theta_jc_bot_K_W"] is None else
               f"{r['theta_jc_bot_K_W']:.2f} ({r['theta_jc_bot_no_hs_K_W']:.2f})")
        lines.append(
            f"| {r['package']} | {r['theta_jc_top_K_W']:.2f} | {r['theta_jc_top_no_hs_K_W']:.1f} | "
            f"{r['theta_jc_top_delta_K_W']:+.1f} ({r['theta_jc_top_delta_pct']:+.0f} %) | {bot} | "
            f"{r['theta_jb_K_W']:.2f} | {r['theta_jb_no_hs_K_W']:.2f} | "
            f"{r['theta_jb_delta_K_W']:+.2f} ({r['theta_jb_delta_pct']:+.1f} %) | "
            f"{r['top_share']:.0%} (was {r['top_share_no_hs']:.0%}) | {r['kind']} |")
    kinds = dict.fromkeys(r["kind"] for r in rows)
    lines += ["", "Published figures of comparable packages (none has the exposed heat sink: read them against the "
              "no-heat-sink columns):", ""]
    lines += [f"- {k}: " + "; ".join(p.describe() for p in PUBLISHED[k]) for k in kinds]
    return lines


def write_compare(folder: Path, rows: Sequence[dict[str, Any]], meta: dict[str, Any]) -> list[Path]:
    paths = [folder / "compare.json", folder / "compare.csv", folder / "compare.md", folder / "compare.png"]
    paths[0].write_text(json.dumps({**meta, "units": {"resistance": "K/W", "share": "fraction of P"},
                                    "rows": list(rows)}, indent=2) + "\n")
    with paths[1].open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    paths[2].write_text("\n".join(table_lines(rows)) + "\n")
    bar_chart(paths[3], rows, meta.get("title", ""))
    return paths


def bar_chart(path: Path, rows: Sequence[dict[str, Any]], title: str) -> None:
    """theta-JC(top) and theta-JB with and without the heat sink, per package (log scale: they span decades)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = [r["package"] for r in rows]
    x = np.arange(len(rows))
    series = (("theta_jc_top_K_W", "theta-JC(top), heat sink", "#c0392b"),
              ("theta_jc_top_no_hs_K_W", "theta-JC(top), no heat sink", "#f1948a"),
              ("theta_jb_K_W", "theta-JB, heat sink", "#1f618d"),
              ("theta_jb_no_hs_K_W", "theta-JB, no heat sink", "#85c1e9"))
    fig, ax = plt.subplots(figsize=(11, 5), dpi=110)
    width = 0.2
    for j, (key, label, colour) in enumerate(series):
        values = [r[key] for r in rows]
        bars = ax.bar(x + (j - 1.5) * width, values, width, label=label, color=colour)
        ax.bar_label(bars, labels=[f"{v:.3g}" for v in values], fontsize=6, rotation=90, padding=2)
    ax.set_yscale("log")
    ax.set_ylim(top=4 * max(max(r[k] for k, _l, _c in series) for r in rows))  # room for the labels
    ax.set_ylabel("thermal resistance (K/W, log scale)")
    ax.set_xticks(x, names, rotation=20, ha="right")
    ax.set_title(title or "what the exposed heat sink buys: theta-JC(top) and theta-JB (FE, pkgcad thermal)")
    ax.legend(fontsize=8, ncols=4, loc="upper center")
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": "pkgcad"})
    plt.close(fig)
