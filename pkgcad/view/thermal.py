"""The report's thermal section: when the model folder holds a `pkgcad thermal` result (``thermal/thermal.json``,
as a sweep's ``thermal`` step writes it), its figures, boundary conditions and section picture (degC)."""

from __future__ import annotations

import base64
import json
from html import escape
from pathlib import Path
from typing import Any

THERMAL_JSON = Path("thermal") / "thermal.json"


def thermal_html(root: Path) -> str:
    """The section's HTML, or ``""`` when there is no readable thermal result in ``root``."""
    path = root / THERMAL_JSON
    try:
        doc = json.loads(path.read_text())
        s: dict[str, Any] = doc["summary"]
        rows = [("power", f"{s['power_W']:g} W"),
                ("Tj max (top cold plate at 25 degC)", f"{s['Tj_max_C']:.2f} degC"),
                ("theta-JC(top)", f"{s['theta_jc_top_K_W']:.3f} K/W")]
        if s.get("theta_jc_bot_K_W") is not None:
            rows.append(("theta-JC(bot) (exposed pad)", f"{s['theta_jc_bot_K_W']:.3f} K/W"))
        if s["theta_jb_K_W"] is not None:
            rows += [("theta-JB (JESD51-8, ring cold plate)", f"{s['theta_jb_K_W']:.3f} K/W"),
                     ("heat to the top / board (both held)", f"{s['heat_split_dual_plate']['top']:.1%} / "
                      f"{s['heat_split_dual_plate']['board']:.1%}")]
        rows += [("mesh", f"{s['mesh']['preset']}: {s['mesh']['tetrahedra']:,} tetrahedra"),
                 ("energy balance (worst)", f"{s['solver']['worst_energy_balance']:.1e}")]
        bcs = [*(f"{k}: {v}" for k, v in s["boundary_conditions"].items() if isinstance(v, str)),
               *s["boundary_conditions"].get("contacts", []), *s.get("model_notes", [])]
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    png = path.parent / "section_theta_jc_top.png"
    img = ""
    if png.is_file() and png.stat().st_size < 5_000_000:
        data = base64.b64encode(png.read_bytes()).decode()
        img = (f'<figure><img alt="temperature section, theta-JC(top) scenario" src="data:image/png;base64,{data}">'
               "<figcaption>temperature (degC), theta-JC(top) scenario: top cold plate, all else adiabatic"
               "</figcaption></figure>")
    facts = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    items = "".join(f"<li>{escape(b)}</li>" for b in bcs)
    return (f'<h2 id="thermal">Thermal (pkgcad thermal, finite elements)</h2>\n<dl class="facts">{facts}</dl>\n'
            f"{img}\n<ul>{items}</ul>\n")
