"""The process sheet: ``strip.json`` (for programs) and ``strip.md`` (for people) with the strip's figures:
units per strip, saw path, kerf loss, and the compound, plate and carrier used and wasted (mm^3 and g)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .. import __version__
from ..markup import md_text
from ..rect import Corners
from .layout import StripLayout
from .model import MaterialUse, StripModel
from .rules import saw_clearance


@dataclass(frozen=True)
class StageFiles:
    """One stage as written: its STEP and GLB (paths in the folder, bytes) and the instances in it."""

    number: int
    key: str
    title: str
    step: str
    glb: str
    step_bytes: int
    glb_bytes: int
    unit_instances: int
    strip_instances: int


@dataclass(frozen=True)
class UnitCheck:
    """``pkgcad check`` of the sawn unit's folder: rows, passed, and the elements that failed."""

    folder: str
    rows: int
    failing: tuple[str, ...]

    @property
    def failed(self) -> int:
        return len(self.failing)

    @property
    def passed(self) -> int:
        return self.rows - self.failed

    def record(self) -> dict[str, object]:
        return {"folder": self.folder, "rows": self.rows, "passed": self.passed, "failed": self.failed,
                "failing": list(self.failing)}


@dataclass(frozen=True)
class StripSheet:
    """The process sheet of a written strip: ``strip.json`` (:meth:`record`) and ``strip.md`` (:func:`markdown`)
    are made from it, and ``pkgcad strip`` prints from it. Lengths mm, volumes mm^3, masses g, times s."""

    model: StripModel
    materials: tuple[MaterialUse, ...]
    stages: tuple[StageFiles, ...]
    unit_check: UnitCheck
    files: dict[str, int]  # path in the folder -> bytes
    timings_s: dict[str, float]

    @property
    def strip(self) -> StripLayout:
        return self.model.strip

    @property
    def name(self) -> str:
        return f"{self.strip.unit.spec.meta.name}-strip"

    @property
    def kerf_loss_mm3(self) -> float:
        return sum(r.kerf_mm3 for r in self.materials)

    @property
    def kerf_loss_g(self) -> float:
        return sum(r.grams(r.kerf_mm3) for r in self.materials)

    @property
    def bytes(self) -> int:
        return sum(self.files.values())

    def record(self) -> dict[str, object]:
        """The contents of ``strip.json``."""
        strip, spec = self.strip, self.strip.unit.spec
        return {
            "tool": "pkgcad",
            "kind": "strip",
            "version": __version__,
            "units_of_measure": {"length": "mm", "area": "mm^2", "volume": "mm^3", "mass": "g"},
            "name": self.name,
            "package": spec.meta.name,
            "title": spec.meta.title,
            "strip": strip_section(strip),
            "kerf_loss": {"volume_mm3": self.kerf_loss_mm3, "mass_g": self.kerf_loss_g},
            "materials": [r.record() for r in self.materials],
            "stages": [asdict(st) for st in self.stages],
            "unit_check": self.unit_check.record(),
            "unit_numbers": [{"name": u.name, "row": u.row, "col": u.col, "x": u.x, "y": u.y} for u in strip.units],
            "files": [{"path": p, "bytes": n} for p, n in sorted(self.files.items())],
            "timings_s": {k: round(v, 3) for k, v in self.timings_s.items()},
        }


def strip_section(strip: StripLayout) -> dict[str, object]:
    """What the strip is, from its layout alone (mm)."""
    gap, part = saw_clearance(strip)
    out: dict[str, object] = {
        "units": {"columns": strip.nx, "rows": strip.ny, "count": strip.count},
        "size_mm": list(strip.size),
        "array_mm": list(strip.array),
        "rails_mm": list(strip.rails),
        "footprint_mm": list(strip.footprint),
        "pitch_mm": list(strip.pitch),
        "street_mm": strip.street,
        "kerf_mm": strip.kerf,
        "rim_mm": strip.rim,
        "sawn_unit_mm": list(strip.body),
        "flash_mm": strip.flash,
        "saw": {"lines": list(strip.saw_lines), "path_mm": strip.saw_length,
                "kerf_area_mm2": strip.kerf_area(Corners(0.0, 0.0, *strip.size)),
                "clearance_mm": gap, "nearest_part": part,
                "saw_margin_mm": strip.unit.spec.rules.saw_margin},
    }
    if strip.unit.qfn:
        out["lead_frame"] = {"connecting_bar_mm": strip.bar, "lead_reach_mm": strip.lead_reach}
    return out


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def markdown(sheet: StripSheet) -> str:
    """``strip.md``: the process sheet for people."""
    strip = sheet.strip
    spec = strip.unit.spec
    gap, part = saw_clearance(strip)
    x0, y0, x1, y1 = strip.array
    lines = [
        f"# {md_text(sheet.name)}: process sheet",
        "",
        f"{md_text(spec.meta.title)}. Made by pkgcad {__version__} (`pkgcad strip`); all lengths in mm, volumes in "
        "mm^3, masses in g.",
        "",
        "![the strip from above](top.png)",
        "",
        "## The strip",
        "",
        _row(["", "value"]), _row(["---", "---"]),
        _row(["units per strip", f"{strip.count} ({strip.nx} columns x {strip.ny} rows)"]),
        _row(["strip (carrier) outline", f"{strip.size[0]:.4g} x {strip.size[1]:.4g}"]),
        _row(["molded array (mold cap, heat-sink plate)", f"{x1 - x0:.4g} x {y1 - y0:.4g}"]),
        _row(["rails (x sides / y sides)", f"{strip.rails[0]:.4g} / {strip.rails[1]:.4g}"]),
        _row(["unit pitch = footprint + street", f"{strip.pitch[0]:.4g} x {strip.pitch[1]:.4g}"]),
        _row(["street / kerf", f"{strip.street:.4g} / {strip.kerf:.4g}"]),
        _row(["sawn unit", f"{strip.body[0]:.4g} x {strip.body[1]:.4g}"
              + (" (= the package footprint)" if strip.rim <= 0 else f" (footprint + {2 * strip.rim:.4g}: "
                 "the kerf is narrower than the street)")]),
        _row(["saw lines", f"{strip.saw_lines[0]} along y + {strip.saw_lines[1]} along x, across the whole strip"]),
        _row(["saw path", f"{strip.saw_length:,.1f} mm"]),
        _row(["kerf area", f"{strip.kerf_area(Corners(0.0, 0.0, *strip.size)):,.2f} mm^2"]),
        _row(["kerf loss", f"{sheet.kerf_loss_mm3:,.3f} mm^3, {sheet.kerf_loss_g:.4f} g"]),
        _row(["least distance saw to an inner part", f"{gap:.4g} ({part}; "
              f"rules.saw_margin {spec.rules.saw_margin:g})"]),
        _row(["compound flash on the interface layer (stage 3)", f"{strip.flash * 1000:g} um"]),
    ]
    if strip.unit.qfn:
        lines.append(_row(["connecting bars (QFN)", f"{strip.bar:.4g} wide on the street centre "
                           f"lines; leads run {strip.lead_reach:.4g} into the street to meet them"]))
    lines += ["", "## Material used and wasted", "",
              _row(["what", "material", "used mm^3", "in the units", "kerf", "offcuts", "flash", "wasted mm^3",
                    "used g", "wasted g"]),
              _row(["---"] * 10)]
    for r in sheet.materials:
        volumes = [f"{v:,.3f}" for v in (r.used_mm3, r.in_units_mm3, r.kerf_mm3, r.offcut_mm3, r.flash_mm3,
                                         r.wasted_mm3)]
        lines.append(_row([r.layer, r.material, *volumes, f"{r.grams(r.used_mm3):.4f}",
                           f"{r.grams(r.wasted_mm3):.4f}"]))
    lines += ["", "Kerf: what the saw took (stage 4 minus stage 5, from the solids). Offcuts: the rails cut into "
              "pieces, and the rims of the outer streets when the kerf is narrower than the street.", "",
              "## The stages", "", _row(["stage", "what", "STEP", "GLB"]), _row(["---"] * 4)]
    for st in sheet.stages:
        lines.append(_row([str(st.number), st.title, f"`{st.step}` ({st.step_bytes / 1e6:.2f} MB)",
                           f"`{st.glb}` ({st.glb_bytes / 1e6:.2f} MB)"]))
    lines += ["", "## A street before and after the saw", "", "![before](street-before.png)", "",
              "![after](street-after.png)", "", "## The sawn unit", ""]
    c = sheet.unit_check
    lines.append(f"One sawn unit is written as a package folder (`{c.folder}/`) and judged by `pkgcad check`: "
                 f"{c.passed} of {c.rows} claim elements pass" + (f", {c.failed} FAIL." if c.failed else "."))
    return "\n".join(lines) + "\n"
