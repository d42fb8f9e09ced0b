"""One self-contained HTML report of an exported model: an interactive 3D view of the GLB (three.js, bundled
from npm by ``make viewer`` into assets/viewer.js, committed and shipped in every wheel, inlined here), the
isometric preview, the sections, the parameter, part and check tables. Everything is inside the file:
nothing is fetched when it opens (a Content-Security-Policy in the page forbids it too).
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__, interrupts
from ..bounds import DEFAULT_TOL
from ..check.run import run_checks
from ..errors import NO_VALUE, InputError
from ..export.staging import write_file
from ..params import describe
from ..reader.folder import OutputFolder
from ..spec import PackageSpec
from .figure import hex_color, to_svg
from .planes import default_at, plane_range
from .render import render
from .section import arrange, color_of, cut
from .thermal import thermal_html
from .warp import warp_html

ASSETS = Path(__file__).parent / "assets"
VIEWER_JS = ASSETS / "viewer.js"
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; "
       "connect-src 'none'; worker-src 'none'; base-uri 'none'; form-action 'none'")


@dataclass
class ReportResult:
    path: Path
    bytes: int
    seconds: float
    checks: int
    failed: int
    timings: dict[str, float] = field(default_factory=dict)


def viewer_bundle() -> str:
    """The bundled three.js viewer (committed; rebuilt by ``make viewer``: npm ci + esbuild in web/)."""
    if not VIEWER_JS.is_file():
        raise InputError(str(VIEWER_JS), NO_VALUE, "the 3D viewer bundle is missing",
                         "restore it (`git checkout -- pkgcad/view/assets/viewer.js`, or reinstall pkgcad) or "
                         "rebuild it with `make viewer` (npm ci and esbuild in web/)")
    return VIEWER_JS.read_text(encoding="utf-8")


def _glb_path(model: OutputFolder) -> Path:
    name = model.manifest.get("name", "")
    p = model.root / f"{name}.glb"
    if p.is_file():
        return p
    found = sorted(model.root.glob("*.glb"))
    if not found:
        raise InputError(str(model.root), NO_VALUE, "no .glb in the folder", "build it with `pkgcad build`")
    return found[0]


def _script_safe(text: str) -> str:
    return text.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT")


def _table(head: list[str], rows: list[list[str]], attrs: str = "", row_class: str = "",
           row_classes: list[str] | None = None) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = []
    for i, r in enumerate(rows):
        cls = " ".join(c for c in (row_class, (row_classes or [""] * len(rows))[i]) if c)
        body.append(f'<tr class="{cls}">' + "".join(f"<td>{c}</td>" for c in r) + "</tr>")
    return f"<table {attrs}><thead><tr>{th}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def column_format(values: list[float], significant: int = 3, most: int = 9) -> str:
    """ONE fixed-point format for a column of numbers: enough decimals that its smallest non-zero value shows
    ``significant`` digits (at most ``most`` decimals, at least 3), thousands separated: a column reads down."""
    small = min((abs(v) for v in values if v), default=1.0)
    decimals = int(min(most, max(3, significant - 1 - np.floor(np.log10(small)))))
    return f",.{decimals}f"


# ---------------------------------------------------------------------------------------------- parts
def _parameter_rows(spec: PackageSpec) -> list[list[str]]:
    return [[f"<code>{escape(r.key)}</code>", escape(r.value_text), escape(r.unit), escape(r.allowed),
             escape(r.meaning + ("" if r.used else " (not used here)"))] for r in describe(spec)]


def _part_rows(manifest: dict[str, Any]) -> list[list[str]]:
    """The part table's rows; each number column in one format (see :func:`column_format`)."""
    parts, tot = manifest["parts"], manifest.get("totals", {})
    each = column_format([r["volume_mm3"] for r in parts])
    vol = column_format([r["volume_total_mm3"] for r in parts] + [tot.get("volume_mm3", 0.0)])
    mass = column_format([r["mass_g"] for r in parts] + [tot.get("mass_g", 0.0)])
    rows = []
    for r in parts:
        sw = f'<span class="swatch" style="background:{hex_color(color_of(r["material"]))}"></span>'
        rows.append([f"{sw}<code>{escape(r['name'])}</code>", escape(r["role"]), escape(r["material"]),
                     escape(r.get("group", r["name"])), str(r["count"]), format(r["volume_mm3"], each),
                     format(r["volume_total_mm3"], vol), format(r["mass_g"], mass)])
    rows.append(["<b>total</b>", "", "", "", str(tot.get("instances", "")), "",
                 format(tot.get("volume_mm3", 0.0), vol), f"<b>{format(tot.get('mass_g', 0.0), mass)}</b>"])
    return rows


def section_views(model: OutputFolder) -> list[tuple[str, str]]:
    """The report's sections: (caption, svg). Front and side views where ``pkgcad section`` cuts by default
    (:func:`~pkgcad.view.planes.default_at`: through the interconnect row nearest the centre), one vertically
    zoomed for the thin layers, the top view through the chip's mid-height, and for a flip chip a top view
    through the bumps too."""
    (x0, x1), (_y0, _y1), (z0, z1) = (plane_range(model, p) for p in ("yz", "xz", "xy"))
    cy, cx, zc = (default_at(model, p) for p in ("xz", "yz", "xy"))
    zoom = float(max(1, min(20, round(0.35 * (x1 - x0) / max(z1 - z0, 1e-9)))))
    specs = [("xz", cy, 1.0, 1100, f"front section, y = {cy:g} mm, true scale"),
             ("xz", cy, zoom, 1100, f"the same, vertical ×{zoom:g} to show the thin layers (interface layer, "
              "adhesive)"),
             ("yz", cx, zoom, 1100, f"side section, x = {cx:g} mm, vertical ×{zoom:g}"),
             ("xy", zc, 1.0, 760, f"top section through the middle of the chip, z = {zc:.4g} mm")]
    if model.has("bump"):
        lo, hi = model.bounds("bump")[:, 2]
        specs.append(("xy", (lo + hi) / 2, 1.0, 760, f"top section through the bumps, z = {(lo + hi) / 2:.4g} mm"))
    views = []
    for plane, at, z, width, caption in specs:
        sec = cut(model, plane, at)
        views.append((caption, to_svg(arrange(sec, width, z, labels=True))))
    return views


# --------------------------------------------------------------------------------------------- report
def write_report(model: OutputFolder, path: Path | None = None, tol: float = DEFAULT_TOL) -> ReportResult:
    """Write ``report.html`` (default: inside the model folder) and return what it holds."""
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    js = viewer_bundle()
    glb = _glb_path(model).read_bytes()
    out = Path(path) if path else model.root / "report.html"
    m = model.manifest
    name = m.get("name", model.root.name)

    t = time.perf_counter()
    rows = run_checks(model, tol)
    timings["checks_s"] = time.perf_counter() - t
    failed = sum(not r.passed for r in rows)

    t = time.perf_counter()
    views = section_views(model)
    timings["sections_s"] = time.perf_counter() - t

    t = time.perf_counter()
    png = out.parent / f".{out.name}.render.png"
    interrupts.register(png)  # removed on Ctrl-C too
    try:
        render(model, png, 960, 640)
        iso = base64.b64encode(png.read_bytes()).decode()
    finally:
        png.unlink(missing_ok=True)
        interrupts.unregister(png)
    timings["render_s"] = time.perf_counter() - t

    groups: dict[str, dict[str, Any]] = {}
    instances: dict[str, str] = {}
    for r in m["parts"]:
        g = r.get("group", r["name"])
        entry = groups.setdefault(g, {"name": g, "role": r["role"], "material": r["material"],
                                      "color": list(color_of(r["material"])), "count": 0})
        entry["count"] += r["count"]
        for inst in r.get("instances", [r["name"]]):
            instances[inst] = g
    data = {"name": name, "groups": list(groups.values()), "instances": instances}

    check_rows = [[escape(r.claims), escape(r.element), escape(r.measured), escape(r.tolerance),
                   f'<span class="{"pass" if r.passed else "fail"}">{r.status}</span>', escape(r.detail)]
                  for r in rows]
    emb = m.get("embodiment", {})
    facts = [("claims", ", ".join(str(c) for c in m.get("claims", []))),
             *((k.replace("_", " "), str(v)) for k, v in emb.items()),
             ("parts / instances", f"{len(m['parts'])} / {m.get('totals', {}).get('instances', '')}"),
             ("mass", f"{m.get('totals', {}).get('mass_g', 0):.4f} g"),
             ("generator", f"pkgcad {m.get('version', '?')} (report by pkgcad {__version__})")]
    files = "".join(f"<li><code>{escape(f['path'])}</code> {f['bytes'] / 1e3:,.1f} kB</li>"
                    for f in m.get("files", []))
    verdict = (f'<span class="pass">all {len(rows)} claim elements pass</span>' if not failed else
               f'<span class="fail">{failed} of {len(rows)} claim elements FAIL</span>')
    section_html = "".join(f'<figure class="section">{svg}<figcaption>{escape(cap)}</figcaption></figure>'
                           for cap, svg in views)
    data_json = json.dumps(data).replace("<", "\\u003c")
    html = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="pkgcad {__version__}">
<title>{escape(name)} — pkgcad report</title>
<style>
body {{ font: 14px/1.45 "DejaVu Sans", system-ui, sans-serif; margin: 0 auto; max-width: 1180px;
       padding: 16px 24px; color: #1c1d20; background: #fff; }}
h1 {{ font-size: 22px; margin: 8px 0 2px; }}
h2 {{ font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; }}
.sub {{ color: #555; margin: 0 0 12px; }}
dl.facts {{ display: grid; grid-template-columns: max-content auto; gap: 2px 16px; margin: 8px 0; }}
dl.facts dt {{ color: #666; }} dl.facts dd {{ margin: 0; }}
#view3d {{ display: grid; grid-template-columns: 1fr 240px; gap: 12px; }}
#viewer {{ height: 520px; border: 1px solid #ccc; border-radius: 4px; background: #f4f5f7; overflow: hidden; }}
#viewer canvas {{ display: block; }}
#parts label {{ display: block; white-space: nowrap; }} #parts small {{ color: #777; }}
.swatch {{ display: inline-block; width: 12px; height: 12px; border: 1px solid #0005; margin: 0 4px;
           vertical-align: -1px; }}
#viewer-status {{ color: #666; font-size: 12px; }}
table {{ border-collapse: collapse; width: 100%; font-size: 13px; }}
th, td {{ border-bottom: 1px solid #e3e3e3; padding: 3px 8px; text-align: left; vertical-align: top; }}
th {{ background: #f2f3f5; }} td:nth-child(n+5) {{ font-variant-numeric: tabular-nums; }}
.pass {{ color: #137333; font-weight: bold; }} .fail {{ color: #b3261e; font-weight: bold; }}
figure {{ margin: 12px 0; }} figure svg, figure img {{ max-width: 100%; height: auto; border: 1px solid #eee; }}
figure.preview img {{ width: 720px; }}
figcaption {{ color: #555; font-size: 13px; }}
code {{ font-size: 12.5px; }}
</style>
</head>
<body>
<h1>{escape(name)}</h1>
<p class="sub">{escape(m.get("title", ""))} — US 6,844,622 B2 — all lengths in mm</p>
<dl class="facts">{"".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts)}
<dt>pkgcad check</dt><dd>{verdict}</dd></dl>

<h2 id="model">3D model</h2>
<div id="view3d">
  <div id="viewer"></div>
  <div>
    <b>parts</b>
    <div id="parts"></div>
    <p><label><input type="checkbox" id="cut-toggle"> cut away y &lt; centre</label><br>
    <button type="button" id="reset-view">reset view</button></p>
    <p id="viewer-status">loading the model…</p>
  </div>
</div>
<figure class="preview"><img alt="isometric preview with the front quadrant cut away" src="data:image/png;base64,{iso}">
<figcaption>isometric preview (pkgcad render), front quadrant cut away: sections in material colours
</figcaption></figure>

<h2 id="sections">Sections</h2>
{section_html}

{thermal_html(model.root)}
{warp_html(model.root)}
<h2 id="checks-title">Claim check (pkgcad check, tolerance {tol:g} mm)</h2>
<p>{verdict}</p>
{_table(["claims", "element", "measured", "tolerance", "result", "detail"], check_rows, 'id="checks"', "check-row",
        ["passed" if r.passed else "failed" for r in rows])}

<h2 id="parts-title">Parts</h2>
{_table(["part", "role", "material", "file group", "count", "volume each (mm³)", "volume (mm³)", "mass (g)"],
        _part_rows(m), 'id="part-table"', "part-row")}

<h2 id="params-title">Parameters</h2>
{_table(["parameter", "value", "unit", "allowed", "meaning"], _parameter_rows(model.schema.parameters), 'id="params"',
        "param-row")}

<h2>Files</h2>
<ul>{files}</ul>

<script type="application/json" id="pkgcad-data">{data_json}</script>
<script type="application/octet-stream" id="pkgcad-glb">{base64.b64encode(glb).decode()}</script>
<script>{_script_safe(js)}</script>
</body>
</html>
"""
    write_file(out, html)
    return ReportResult(out, out.stat().st_size, time.perf_counter() - t0, len(rows), failed, timings)
