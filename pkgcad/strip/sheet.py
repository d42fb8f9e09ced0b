"""The process sheet: ``strip.json`` (for programs) and ``strip.md`` (for people) with the strip's figures:
units per strip, saw path, kerf loss, and the compound, plate and carrier used and wasted (mm^3 and g)."""

from __future__ import annotations

from typing import Any

from .. import __version__
from ..markup import md_text
from .layout import StripLayout
from .model import StripModel, material_use
from .rules import saw_clearance


def strip_section(strip: StripLayout) -> dict[str, Any]:
    """What the strip is, from its layout alone (mm)."""
    gap, part = saw_clearance(strip)
    out: dict[str, Any] = {
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
                "kerf_area_mm2": strip.kerf_area((0.0, 0.0, *strip.size)),
                "clearance_mm": gap, "nearest_part": part,
                "saw_margin_mm": strip.unit.spec.rules.saw_margin},
    }
    if strip.unit.qfn:
        out["lead_frame"] = {"connecting_bar_mm": strip.bar, "lead_reach_mm": strip.lead_reach}
    return out


def sheet(model: StripModel, files: dict[str, int], stages: list[dict[str, Any]], check: dict[str, Any],
          timings: dict[str, float]) -> dict[str, Any]:
    """The contents of ``strip.json``."""
    strip = model.strip
    spec = strip.unit.spec
    use = material_use(model)
    return {
        "tool": "pkgcad",
        "kind": "strip",
        "version": __version__,
        "units_of_measure": {"length": "mm", "area": "mm^2", "volume": "mm^3", "mass": "g"},
        "name": f"{spec.meta.name}-strip",
        "package": spec.meta.name,
        "title": spec.meta.title,
        "strip": strip_section(strip),
        "kerf_loss": {"volume_mm3": sum(r["kerf_mm3"] for r in use), "mass_g": sum(r["kerf_g"] for r in use)},
        "materials": use,
        "stages": stages,
        "unit_check": check,
        "unit_numbers": [{"name": u.name, "row": u.row, "col": u.col, "x": u.x, "y": u.y} for u in strip.units],
        "files": [{"path": p, "bytes": n} for p, n in sorted(files.items())],
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
    }


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def markdown(data: dict[str, Any]) -> str:
    """``strip.md`` from the contents of ``strip.json``."""
    s = data["strip"]
    u = s["units"]
    saw = s["saw"]
    lines = [
        f"# {md_text(data['name'])}: process sheet",
        "",
        f"{md_text(data['title'])}. Made by pkgcad {data['version']} (`pkgcad strip`); all lengths in mm, volumes in "
        "mm^3, masses in g.",
        "",
        "![the strip from above](top.png)",
        "",
        "## The strip",
        "",
        _row(["", "value"]), _row(["---", "---"]),
        _row(["units per strip", f"{u['count']} ({u['columns']} columns x {u['rows']} rows)"]),
        _row(["strip (carrier) outline", f"{s['size_mm'][0]:.4g} x {s['size_mm'][1]:.4g}"]),
        _row(["molded array (mold cap, heat-sink plate)",
              f"{s['array_mm'][2] - s['array_mm'][0]:.4g} x {s['array_mm'][3] - s['array_mm'][1]:.4g}"]),
        _row(["rails (x sides / y sides)", f"{s['rails_mm'][0]:.4g} / {s['rails_mm'][1]:.4g}"]),
        _row(["unit pitch = footprint + street", f"{s['pitch_mm'][0]:.4g} x {s['pitch_mm'][1]:.4g}"]),
        _row(["street / kerf", f"{s['street_mm']:.4g} / {s['kerf_mm']:.4g}"]),
        _row(["sawn unit", f"{s['sawn_unit_mm'][0]:.4g} x {s['sawn_unit_mm'][1]:.4g}"
              + (" (= the package footprint)" if s["rim_mm"] <= 0 else f" (footprint + {2 * s['rim_mm']:.4g}: "
                 "the kerf is narrower than the street)")]),
        _row(["saw lines", f"{saw['lines'][0]} along y + {saw['lines'][1]} along x, across the whole strip"]),
        _row(["saw path", f"{saw['path_mm']:,.1f} mm"]),
        _row(["kerf area", f"{saw['kerf_area_mm2']:,.2f} mm^2"]),
        _row(["kerf loss", f"{data['kerf_loss']['volume_mm3']:,.3f} mm^3, {data['kerf_loss']['mass_g']:.4f} g"]),
        _row(["least distance saw to an inner part", f"{saw['clearance_mm']:.4g} ({saw['nearest_part']}; "
              f"rules.saw_margin {saw['saw_margin_mm']:g})"]),
        _row(["compound flash on the interface layer (stage 3)", f"{s['flash_mm'] * 1000:g} um"]),
    ]
    if "lead_frame" in s:
        lf = s["lead_frame"]
        lines.append(_row(["connecting bars (QFN)", f"{lf['connecting_bar_mm']:.4g} wide on the street centre "
                           f"lines; leads run {lf['lead_reach_mm']:.4g} into the street to meet them"]))
    lines += ["", "## Material used and wasted", "",
              _row(["what", "material", "used mm^3", "in the units", "kerf", "offcuts", "flash", "wasted mm^3",
                    "used g", "wasted g"]),
              _row(["---"] * 10)]
    for r in data["materials"]:
        volumes = [f"{r[k]:,.3f}" for k in ("used_mm3", "in_units_mm3", "kerf_mm3", "offcut_mm3", "flash_mm3",
                                             "wasted_mm3")]
        lines.append(_row([r["layer"], r["material"], *volumes, f"{r['used_g']:.4f}", f"{r['wasted_g']:.4f}"]))
    lines += ["", "Kerf: what the saw took (stage 4 minus stage 5, from the solids). Offcuts: the rails cut into "
              "pieces, and the rims of the outer streets when the kerf is narrower than the street.", "",
              "## The stages", "", _row(["stage", "what", "STEP", "GLB"]), _row(["---"] * 4)]
    for st in data["stages"]:
        lines.append(_row([str(st["number"]), st["title"], f"`{st['step']}` ({st['step_bytes'] / 1e6:.2f} MB)",
                           f"`{st['glb']}` ({st['glb_bytes'] / 1e6:.2f} MB)"]))
    lines += ["", "## A street before and after the saw", "", "![before](street-before.png)", "",
              "![after](street-after.png)", "", "## The sawn unit", ""]
    c = data["unit_check"]
    lines.append(f"One sawn unit is written as a package folder (`{c['folder']}/`) and judged by `pkgcad check`: "
                 f"{c['passed']} of {c['rows']} claim elements pass" + (f", {c['failed']} FAIL." if c["failed"]
                                                                         else "."))
    return "\n".join(lines) + "\n"
