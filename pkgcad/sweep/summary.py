"""index.html: one page that summarises a sweep (counts, refusals, plots) and links each variant's folder,
report.html and check.json. Plain HTML with relative links: the folder can be moved or served as it is."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from ..export.staging import replace_file

_STYLE = """body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;font-size:12px}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}th{background:#eee;position:sticky;top:0}
td.t{text-align:left}.ok{color:#070}.fail{color:#b00}.dim{color:#888}img{max-width:100%;border:1px solid #ddd}"""

#: Result columns shown in the page's table (the full table is in results.csv / results.parquet).
_SHOWN = ("claims", "check_pass", "check_failures", "volume_mm3", "mass_g", "seconds")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "PASS" if value else "FAIL"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list | tuple):
        return json.dumps(value)
    return str(value)


def write_summary(folder: Path, title: str, rows: list[dict[str, Any]], keys: list[str],
                  refused: list[tuple[int, str, str]], plots: list[Path]) -> Path:
    """Write ``folder/index.html`` (atomically) and return its path."""
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.get("status", "?")] = counts.get(r.get("status", "?"), 0) + 1
    passed = sum(1 for r in rows if r.get("check_pass") is True)
    theta = sorted({c for r in rows for c in r if c.startswith("theta")})
    cols = [*keys, *_SHOWN[:3], *theta, *_SHOWN[3:]]
    e = html.escape
    out = [f"<!doctype html><meta charset=utf-8><title>{e(title)}</title><style>{_STYLE}</style>",
           f"<h1>{e(title)}</h1>",
           "<p>" + ", ".join(f"{n} {e(s)}" for s, n in sorted(counts.items())) + f"; {passed} pass every claim "
           "element. Lengths mm, volumes mm³, mass g, times s. Full table: <a href=results.csv>results.csv</a>, "
           "<a href=results.parquet>results.parquet</a>.</p>"]
    if refused:
        out.append("<h2>Refused by the rules (not built)</h2><table><tr><th>variants</th><th>key</th>"
                   "<th>example</th></tr>")
        out += [f"<tr><td>{n}</td><td class=t>{e(k)}</td><td class=t>{e(msg)}</td></tr>" for n, k, msg in refused]
        out.append("</table>")
    for p in plots:
        out.append(f"<h2>Against {e(p.stem)}</h2><img src='{e(p.parent.name)}/{e(p.name)}' alt='{e(p.stem)}'>")
    out.append("<h2>Variants</h2><table><tr><th>variant</th><th>status</th>"
               + "".join(f"<th>{e(c)}</th>" for c in cols) + "<th>files</th><th>error</th></tr>")
    for r in rows:
        vid, status = str(r.get("id", "")), str(r.get("status", ""))
        vdir = folder / vid
        links = []
        if status == "ok" and vdir.is_dir():
            links.append(f"<a href='{e(vid)}/'>folder</a>")
            links += [f"<a href='{e(vid)}/{f}'>{f.split('.')[0]}</a>" for f in ("report.html", "check.json")
                      if (vdir / f).is_file()]
        klass = {"ok": "ok" if r.get("check_pass") is not False else "fail", "error": "fail"}.get(status, "dim")
        out.append(f"<tr><td class=t>{e(vid)}</td><td class='t {klass}'>{e(status)}</td>"
                   + "".join(f"<td>{e(_cell(r.get(c)))}</td>" for c in cols)
                   + f"<td class=t>{' '.join(links)}</td><td class=t>{e(str(r.get('error') or ''))}</td></tr>")
    out.append("</table>")
    path = folder / "index.html"
    replace_file(path, "\n".join(out) + "\n", clean=False)
    return path
