"""The one library call behind ``pkgcad strip``: options -> judged strip layout -> model -> folder."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..export.options import mesh_quality
from ..templates import load_layout
from .layout import StripLayout, strip_layout
from .rules import judge, judge_options, parse_pair

if TYPE_CHECKING:
    from .sheet import StripSheet

DEFAULT_STREET = 0.3  # mm: a typical package saw blade
DEFAULT_RAIL = 2.0  # mm
DEFAULT_FLASH = 0.005  # mm


def plan_strip(template: str, sets: Sequence[str], units: str, street: float = DEFAULT_STREET,
               kerf: float | None = None, rail: float = DEFAULT_RAIL, size: str | None = None,
               flash: float = DEFAULT_FLASH) -> StripLayout:
    """The judged layout of a strip of ``units`` ("NxM": columns x rows) of the template's package. ``kerf``
    defaults to the street (the sawn units are then the package); ``size`` ("WxH" mm) fixes the strip outline
    and the rails take what is left, at least ``rail``. Raises :class:`InputError` (exit 2)."""
    nx, ny = (int(v) for v in parse_pair("--units", units, integer=True))
    kerf = street if kerf is None else kerf
    judge_options(street, kerf, rail, flash)
    outline = parse_pair("--size", size, integer=False) if size is not None else None
    lay = load_layout(template, sets)
    strip = strip_layout(lay, (nx, ny), street, kerf, rail, outline, flash)
    judge(strip, rail, outline)
    return strip


def run_strip(strip: StripLayout, out: Path, quality: str = "normal", all_stages: bool = False,
              progress: Callable[[str], None] | None = None) -> StripSheet:
    """Build every stage of ``strip`` and write them, the sawn unit and the process sheet into ``out``."""
    from ..export.outpath import check_output_folder
    from .model import make_strip
    from .write import write_strip

    mesh = mesh_quality(quality)
    check_output_folder(out, "strip")  # before any work: the output guard
    model = make_strip(strip, progress)
    return write_strip(model, out, mesh, all_stages, progress)
