"""``pkgcad screen``: a STEP model read, its solids given roles, every claim element judged, the claim chart
written. One function per step, so tests can take any of them alone."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from ..bounds import DEFAULT_TOL
from .infer import infer_roles
from .judge import judge
from .model import build_model
from .roles import RolesFile, assign_stated, load_roles, parse_materials, roles_toml
from .screening import Screening
from .step import read_step


def screen(path: str | Path, roles_path: str | Path | None = None, materials: list[str] | None = None,
           tol: float = DEFAULT_TOL) -> Screening:
    """Read ``path``, assign roles (roles file, names, geometry), judge every claim element."""
    t0 = time.perf_counter()
    roles = load_roles(roles_path) if roles_path is not None else RolesFile()
    roles = parse_materials(list(materials or ()), roles)
    step = read_step(path)
    t1 = time.perf_counter()
    stated = assign_stated(step, roles)
    assigned = infer_roles(step, stated)
    t2 = time.perf_counter()
    screened = build_model(step, assigned, roles)
    j = judge(screened.model, tol)
    t3 = time.perf_counter()
    return Screening(step, roles, assigned, screened, j, tol, {"read_s": t1 - t0, "roles_s": t2 - t1,
                                                               "judge_s": t3 - t2})


def write_screening(s: Screening, folder: Path) -> list[str]:
    """Everything into ``folder`` (a staged folder): chart.html, chart.md, chart.csv, screen.json, roles.toml."""
    from .chart import write_chart

    t = time.perf_counter()
    files = write_chart(s, folder)
    (folder / "roles.toml").write_text(roles_toml(s.step, s.assigned, s.roles), encoding="utf-8")
    s.timings["chart_s"] = time.perf_counter() - t
    (folder / "screen.json").write_text(json.dumps(s.as_dict(), indent=1, ensure_ascii=False) + "\n",
                                        encoding="utf-8")
    return [*files, "roles.toml", "screen.json"]


def plan_screen(model: Path, output: Path | None, tol: float) -> Path:
    """The folder ``pkgcad screen`` writes into (default ``outputs/<stem>-screen``), judged by the output guard, and
    the tolerance judged by its range: both before the STEP is read. Raises :class:`~pkgcad.errors.InputError`."""
    from .. import bounds
    from ..export.outpath import check_output_folder

    bounds.check("check --tol", tol)
    stem = model.name
    for suffix in (".gz", ".stpz", ".step", ".stp"):
        stem = stem[:-len(suffix)] if stem.lower().endswith(suffix) else stem
    return check_output_folder(output or Path("outputs") / f"{stem or 'model'}-screen", "screen").path


def run_screen(model: Path, dest: Path, roles_path: Path | None = None, materials: list[str] | None = None,
               tol: float = DEFAULT_TOL, progress: Callable[[str], None] | None = None) -> Screening:
    """:func:`screen` ``model`` and write the chart and its files into ``dest`` (staged: replaced whole)."""
    from ..export.staging import staged_dir

    say = progress or (lambda _stage: None)
    res = screen(model, roles_path, materials, tol)
    say(f"writing {dest}")
    with staged_dir(dest, "screen") as tmp:
        write_screening(res, tmp)
    return res


__all__ = ["plan_screen", "run_screen", "screen", "write_screening"]
