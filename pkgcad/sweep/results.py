"""The results table: one row per variant of the plan, compiled from the row files into results.parquet and
results.csv (written atomically). Lengths mm, volumes mm^3, masses g, times s, thermal resistances K/W."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..export.staging import replace_file
from .folder import read_row
from .variants import Plan, Variant

#: Columns that lead the table, in this order, after the id, status and swept parameters.
FIRST = ("claims", "check_pass", "check_failures", "check_failed", "volume_mm3", "mass_g")
#: Columns that close it (after the seconds of each step, ``<step>_s``).
LAST = ("steps", "quality", "step_mode", "kept", "written_mb", "kept_mb", "seconds", "cpu_s", "worker", "path",
        "error")


def pending_row(plan: Plan, v: Variant) -> dict[str, Any]:
    """A variant with no row yet (an interrupted sweep): it is in the table, as "pending"."""
    return {"id": v.id, "status": "pending", **v.params, "error": ""}


def collect(folder: Path, plan: Plan) -> list[dict[str, Any]]:
    return [read_row(folder, v.id) or pending_row(plan, v) for v in plan.variants]


def column_order(rows: list[dict[str, Any]], keys: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for r in rows:
        seen.update(dict.fromkeys(r))
    fixed = ["id", "status", *keys, *FIRST, *LAST]
    theta = sorted(c for c in seen if c.startswith("theta"))
    times = sorted(c for c in seen if c.endswith("_s") and c not in fixed)
    middle = sorted(c for c in seen if c not in fixed and c not in theta and c not in times)
    order = ["id", "status", *keys, *FIRST, *theta, *middle, *times, *LAST]
    return [c for c in order if c in seen]


def _column(values: list[Any]) -> pa.Array:
    """One typed column: bool, int64, float64 or text (lists as JSON); missing values are null."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pa.array(values, pa.bool_())
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pa.array(values, pa.int64())
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return pa.array([None if v is None else float(v) for v in values], pa.float64())
    return pa.array([None if v is None else (v if isinstance(v, str) else json.dumps(v)) for v in values],
                    pa.string())


def to_table(rows: list[dict[str, Any]], keys: list[str]) -> pa.Table:
    cols = column_order(rows, keys)
    return pa.table({c: _column([r.get(c) for r in rows]) for c in cols})


def write_table(folder: Path, table: pa.Table) -> tuple[Path, Path]:
    parquet, csv = Path(folder) / "results.parquet", Path(folder) / "results.csv"
    replace_file(parquet, lambda p: pq.write_table(table, p), clean=False)
    replace_file(csv, lambda p: pacsv.write_csv(table, p), clean=False)
    return parquet, csv


def read_table(path: Path) -> list[dict[str, Any]]:
    """results.parquet as a list of row dicts (what the tests and the summary read)."""
    return pq.read_table(path).to_pylist()
