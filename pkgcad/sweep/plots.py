"""Plots of a sweep: for each swept parameter one PNG with a panel per numeric result (volumes mm^3, mass g,
theta K/W, failing claim elements, seconds) against that parameter. Green dots: every claim element passes;
red crosses: some fail (or no check ran). Results that do not vary across the sweep are left out."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

#: Result columns never plotted (identifiers, text, the per-step seconds)
_SKIP = re.compile(r"^(id|status|claims|check_pass|check_failed|steps|quality|worker|path|error|parts|instances|"
                   r"check_elements|cpu_s|.*_s)$")


def numeric_results(rows: list[dict[str, Any]], keys: list[str]) -> list[str]:
    """Result columns with numbers that vary across the finished variants."""
    cols: dict[str, None] = {}
    for r in rows:
        cols.update(dict.fromkeys(r))
    out = []
    for c in cols:
        if c in keys or _SKIP.match(c):
            continue
        vals = [r.get(c) for r in rows if r.get("status") == "ok"]
        nums = [v for v in vals if isinstance(v, int | float) and not isinstance(v, bool)]
        if nums and len(nums) == len([v for v in vals if v is not None]) and len(set(nums)) > 1:
            out.append(c)
    return out


def _x(values: list[Any]) -> tuple[list[float], list[str] | None]:
    """Numeric x, or category positions and their labels (lists and text)."""
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return [float(v) for v in values], None
    labels: list[str] = []
    for v in values:
        if str(v) not in labels:
            labels.append(str(v))
    return [float(labels.index(str(v))) for v in values], labels


def write_plots(folder: Path, rows: list[dict[str, Any]], keys: list[str]) -> list[Path]:
    """One PNG per swept key into ``folder`` (created); returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [r for r in rows if r.get("status") == "ok"]
    results = numeric_results(rows, keys)
    if not ok or not results:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for key in keys:
        xs, labels = _x([r.get(key) for r in ok])
        passed = [r.get("check_pass") is True for r in ok]
        ncol = min(3, len(results))
        nrow = math.ceil(len(results) / ncol)
        fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.2 * nrow), squeeze=False)
        for ax, col in zip(axes.flat, results, strict=False):
            ys = [r.get(col) for r in ok]
            for flag, style in ((True, dict(c="tab:green", marker="o")), (False, dict(c="tab:red", marker="x"))):
                pts = [(x, y) for x, y, p in zip(xs, ys, passed, strict=True) if p == flag and y is not None]
                if pts:
                    ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=18, **style)
            ax.set_xlabel(key)
            ax.set_ylabel(col)
            if labels is not None:
                ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=7)
            ax.grid(alpha=0.3)
        for ax in list(axes.flat)[len(results):]:
            ax.set_visible(False)
        fig.suptitle(f"{len(ok)} variants against {key} (green: all claim elements pass)", fontsize=10)
        fig.tight_layout()
        path = folder / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', key)}.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
        paths.append(path)
    return paths
