"""Run every claim element on an exported model and present the rows (rich table or JSON).

Each row carries the id of the element it proves; its ``claims`` are the claims the model embodies that list
that element in :data:`pkgcad.claims.CLAIMS`. An element that proves nothing the model embodies is not shown
(a flat first surface has no texture row); file hygiene rows prove no claim and show "-".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..bounds import DEFAULT_TOL
from ..claims import claims_of
from ..reader.folder import load_output
from ..reader.model import Model
from . import inside, outside
from .hygiene import hygiene
from .rows import Row

ELEMENTS: tuple[Callable[[Model, float], list[Row]], ...] = (
    hygiene, inside.carrier, outside.interface_contact, outside.interface_exposure, outside.side_exposure,
    outside.coplanarity, outside.footprint, inside.stack_order, inside.wire_connection, inside.bump_connection,
    inside.attachment, inside.buffer_pad_cte, inside.encapsulation, inside.fill, outside.interface_material,
    outside.texture,
)


def run_checks(model: Model, tol: float = DEFAULT_TOL) -> list[Row]:
    """Every element's rows, each with the embodied claims it proves; rows that prove none are dropped."""
    rows: list[Row] = []
    for element in ELEMENTS:
        for row in element(model, tol):
            if not row.id:
                row.claims = "-"
            else:
                row.claims = ", ".join(str(c) for c in claims_of(row.id, model.claims))
                if not row.claims:
                    continue
            rows.append(row)
    return rows


def check_folder(path: str | Path, tol: float = DEFAULT_TOL) -> list[Row]:
    """Load ``path`` (raises :class:`~pkgcad.errors.InputError`) and run every applicable element."""
    return run_checks(load_output(path), tol)


def as_json(rows: list[Row]) -> str:
    return json.dumps([r.as_dict() for r in rows], indent=2, ensure_ascii=False)


TABLE_WIDTH = 100
"""Widest the table is printed (columns): the details of failing rows follow it; every row's are in --json."""


def print_table(rows: list[Row], console: Console, title: str = "") -> None:
    table = Table(title=title or None, show_lines=False, width=min(console.width, TABLE_WIDTH)
                  if console.is_terminal else TABLE_WIDTH)
    for col in ("claims", "element", "measured", "tolerance", "result"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r.claims, r.element, r.measured, r.tolerance,
                      "[green]PASS[/]" if r.passed else "[bold red]FAIL[/]")
    console.print(table, crop=False)
    for r in rows:
        if not r.passed and r.detail:
            console.print(f"FAIL {r.element}: {r.detail}", markup=False, width=TABLE_WIDTH)
    failed = sum(not r.passed for r in rows)
    console.print(f"{len(rows) - failed} of {len(rows)} elements pass" + (f", {failed} FAIL" if failed else "")
                  + "; every row's details: --json", markup=False)
