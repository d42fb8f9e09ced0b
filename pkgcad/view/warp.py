"""The report's warp section: when the model folder holds a `pkgcad warp` result (``warp/warp.json``, as a sweep's
``warp`` step writes it), the warpage and stresses per temperature, the allowance and the deformed picture."""

from __future__ import annotations

import base64
import json
from html import escape
from pathlib import Path
from typing import Any

WARP_JSON = Path("warp") / "warp.json"


def warp_html(root: Path) -> str:
    """The section's HTML, or ``""`` when there is no readable warp result in ``root``."""
    path = root / WARP_JSON
    try:
        doc: dict[str, Any] = json.loads(path.read_text())
        rows = [(f"{t['temperature_c']:g} degC", f"{t['warpage_board_um']:+.1f}", f"{t['warpage_top_um']:+.1f}",
                 f"{t['chip_stress_max_mpa']:.1f}",
                 "n/a" if t["bond_shear_max_mpa"] is None else f"{t['bond_shear_max_mpa']:.1f}")
                for t in doc["temperatures"]]
        allow = doc.get("allowance")
        notes = [doc["sign"], doc["supports"], *doc.get("notes", [])]
        picture = doc.get("picture") or {}
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    head = "".join(f"<th>{h}</th>" for h in ("temperature", "board-side warpage um", "top warpage um",
                                              "chip stress (1st principal) MPa", "bond shear MPa"))
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    allowed = ""
    if allow:
        allowed = (f"<p>Allowance at {allow['ball_pitch_mm']:g} mm ball pitch: {allow['concave_limit_um']:+g} / "
                   f"{allow['convex_limit_um']:+g} um ({escape(allow['source'])}).</p>")
    png = path.parent / str(picture.get("file", "deformed.png"))
    img = ""
    if png.is_file() and png.stat().st_size < 5_000_000:
        data = base64.b64encode(png.read_bytes()).decode()
        img = (f'<figure><img alt="deformed package" src="data:image/png;base64,{data}"><figcaption>deformed '
               f"package, displacement x {picture.get('exaggeration', '?')}, colour: vertical displacement (um)"
               "</figcaption></figure>")
    items = "".join(f"<li>{escape(str(n))}</li>" for n in notes)
    return (f'<h2 id="warp">Warpage and stress (pkgcad warp, stress-free at {doc["stress_free_c"]:g} degC)</h2>\n'
            f"<table><tr>{head}</tr>{body}</table>\n{allowed}{img}\n<ul>{items}</ul>\n")
