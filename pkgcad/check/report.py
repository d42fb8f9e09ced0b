"""Run every claim element on an exported model and present the rows (rich table or JSON)."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from .elements import ELEMENTS, Row
from .loader import Model, load

DEFAULT_TOL = 0.001  # mm


def run_checks(model: Model, tol: float = DEFAULT_TOL) -> list[Row]:
    rows: list[Row] = []
    for element in ELEMENTS:
        rows.extend(element(model, tol))
    return rows


def check_folder(path: str | Path, tol: float = DEFAULT_TOL) -> list[Row]:
    """Load ``path`` (raises CheckInputError) and run every applicable element."""
    return run_checks(load(path), tol)


def as_json(rows: list[Row]) -> str:
    return json.dumps([r.as_dict() for r in rows], indent=2, ensure_ascii=False)


def print_table(rows: list[Row], console: Console, title: str = "") -> None:
    table = Table(title=title or None, show_lines=False)
    for col in ("claims", "element", "measured", "tolerance", "result", "detail"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r.claims, r.element, r.measured, r.tolerance,
                      "[green]PASS[/]" if r.passed else "[bold red]FAIL[/]", r.detail)
    # a pipe or a narrow terminal would wrap every cell; let the table take the width it needs
    if not console.is_terminal:
        table.width = max(console.width, 160)
    console.print(table, crop=False)
    failed = sum(not r.passed for r in rows)
    console.print(f"{len(rows) - failed} of {len(rows)} elements pass" + (f", {failed} FAIL" if failed else ""),
                  markup=False)
