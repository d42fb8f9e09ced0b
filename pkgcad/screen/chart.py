"""The claim chart of a screened STEP: ``chart.html`` (self-contained: every picture inline SVG), ``chart.md``
(pictures in ``pictures/``) and ``chart.csv``. Per claim its words (:data:`CLAIMS_TEXT`, kept in the package),
each element with its verdict and measured evidence; per element a section of the model with the solids it
speaks of highlighted (:mod:`pkgcad.view.section`, the same cut as ``pkgcad section``).

Everything the STEP file says (names, products, paths) is hostile input: escaped for HTML, for Markdown and
against spreadsheet formulas in the CSV.
"""

from __future__ import annotations

import csv
import html
import io
import re
import time
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..claims import CLAIMS
from ..reader.model import Model
from ..view.figure import RGB, to_svg
from ..view.planes import busiest_plane, plane_range, stack_zoom
from ..view.section import Region, Section, arrange, cut
from .judge import CANNOT_TELL, ELEMENT_NAMES, MET, NOT_MET, Element

if TYPE_CHECKING:
    from .screening import Screening

CLAIMS_FILE = Path(__file__).with_name("claims.txt")
VERDICT_WORDS = {MET: "met", NOT_MET: "not met", CANNOT_TELL: "cannot tell"}
GREY: RGB = (0.87, 0.87, 0.87)
#: The highlight colours: one per role, vivid against the grey of everything else.
HIGHLIGHT: dict[str, RGB] = {
    "heat_sink": (0.88, 0.45, 0.12), "interface_layer": (0.98, 0.80, 0.05), "encapsulant": (0.18, 0.42, 0.86),
    "chip": (0.58, 0.22, 0.78), "carrier": (0.12, 0.62, 0.30), "die_attach": (0.92, 0.20, 0.50),
    "adhesive": (0.92, 0.20, 0.50), "buffer_pad_attach": (0.92, 0.20, 0.50), "buffer_pad": (0.05, 0.72, 0.76),
    "bump": (0.85, 0.10, 0.10), "ball": (0.85, 0.10, 0.10), "wire": (0.85, 0.10, 0.10),
    "bond_finger": (0.35, 0.85, 0.20), "unknown": (0.45, 0.45, 0.45),
}
WIDTH = 760


@cache
def claims_text() -> dict[int, str]:
    """Claim number -> its words (lines joined), from ``claims.txt`` in the package."""
    out: dict[int, list[str]] = {}
    n = 0
    for line in CLAIMS_FILE.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^(\d+)\. (.*)$", line)
        if m:
            n = int(m.group(1))
            out[n] = [m.group(2)]
        elif n and line.strip() and not line.startswith("#"):
            out[n].append(line.strip())
    return {k: "\n".join(v) for k, v in out.items()}


# ------------------------------------------------------------------------------------------ pictures
@dataclass
class Picture:
    element: str
    svg: str
    plane: str
    shown: list[str]  # highlighted roles the plane crosses


class Sections:
    """The model cut once per plane; each element's picture recolours the cut."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.cuts: dict[str, Section] = {}
        self.zoom = stack_zoom(model)
        self.planes = self._planes()

    def _planes(self) -> dict[str, tuple[str, float]]:
        m = self.model
        out: dict[str, tuple[str, float]] = {}
        for plane in ("xz", "yz"):
            lo, hi = plane_range(m, plane)
            out[plane] = (plane, busiest_plane(m, plane, (lo + hi) / 2))
        for role in ("chip", "carrier"):
            if m.has(role):
                z0, z1 = m.bounds(role)[:, 2]
                out[f"xy-{role}"] = ("xy", float(z0 + 0.5 * (z1 - z0)))
        return out

    def cut(self, key: str) -> Section:
        if key not in self.cuts:
            plane, at = self.planes[key]
            self.cuts[key] = cut(self.model, plane, at)
        return self.cuts[key]

    def picture(self, e: Element) -> Picture | None:
        roles = list(e.roles)
        if not roles:
            return None
        best: tuple[int, str] | None = None
        for key in self.planes:
            crossed = {r.role for r in self.cut(key).regions}
            n = sum(r in crossed for r in roles)
            if best is None or n > best[0]:
                best = (n, key)
        assert best is not None
        sec = self.cut(best[1])
        regions = [Region(r.group, r.role, r.material if r.material != "unknown" else "material not stated",
                          HIGHLIGHT.get(r.role, (0.4, 0.4, 0.4)) if r.role in roles else GREY, r.loops)
                   for r in sec.regions]
        shown = [r.role for r in regions if r.role in roles]
        fig = arrange(replace(sec, regions=regions), WIDTH, self.zoom if sec.plane != "xy" else 1.0)
        return Picture(e.id, to_svg(fig), sec.plane, shown)


# --------------------------------------------------------------------------------------- escaping
_MD = re.compile(r"([\\`*_{}\[\]()#+!|~-])")


def md(s: object) -> str:
    """``s`` safe in a Markdown table cell: one line, HTML entities, Markdown punctuation escaped."""
    text = " ".join(str(s).split())
    return html.escape(_MD.sub(r"\\\1", text), quote=False)


def h(s: object) -> str:
    return html.escape(str(s), quote=True)


def csv_cell(s: object) -> str:
    """A spreadsheet must not run a cell as a formula: a leading = + - @ (or tab, CR) gets a quote mark."""
    text = str(s)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _solids(s: Screening, roles: tuple[str, ...]) -> str:
    parts = []
    for role in roles:
        members = s.screened.members.get(role, [])
        if not members:
            continue
        names = [m.name for m in members[:3]]
        more = f" and {len(members) - 3} more" if len(members) > 3 else ""
        parts.append(f"{role}: " + ", ".join(repr(n) for n in names) + more)
    return "; ".join(parts)


# ------------------------------------------------------------------------------------------ writers
def write_chart(s: Screening, folder: Path) -> list[str]:
    t = time.perf_counter()
    j = s.judgement
    secs = Sections(s.screened.model)
    used = {e.id: j.elements[e.id] for c in j.claims for e in c.elements}  # each element once, as judged
    pictures = {eid: p for eid, e in used.items() if (p := secs.picture(e)) is not None}
    (folder / "pictures").mkdir()
    for eid, p in pictures.items():
        (folder / "pictures" / f"{eid}.svg").write_text(p.svg, encoding="utf-8")
    (folder / "chart.html").write_text(chart_html(s, used, pictures, time.perf_counter() - t), encoding="utf-8")
    (folder / "chart.md").write_text(chart_md(s, used, pictures), encoding="utf-8")
    (folder / "chart.csv").write_text(chart_csv(s), encoding="utf-8", newline="")
    return ["chart.html", "chart.md", "chart.csv", *(f"pictures/{k}.svg" for k in pictures)]


def chart_csv(s: Screening) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["claim", "claim_verdict", "element", "element_name", "element_verdict", "evidence", "solids"])
    for c in s.judgement.claims:
        for e in c.elements:
            w.writerow([csv_cell(x) for x in (c.claim, c.verdict, e.id, ELEMENT_NAMES.get(e.id, e.id), e.verdict,
                                              e.evidence, _solids(s, e.roles))])
    return buf.getvalue()


def chart_md(s: Screening, used: dict[str, Element], pictures: dict[str, Picture]) -> str:
    j = s.judgement
    words = claims_text()
    out = [f"# Claim chart: {md(s.step.name)}", "",
           f"US 6,844,622 B2 against `{md(s.step.path.name)}` ({len(s.step.solids)} solids), pkgcad {__version__}, "
           f"tolerance {s.tol:g} mm. Lengths in mm.", "", "| claim | verdict | note |", "|---|---|---|"]
    out += [f"| {c.claim} | {VERDICT_WORDS[c.verdict]} | {md(c.note)} |" for c in j.claims]
    if j.undecided:
        out += ["", "## What the file cannot decide", ""]
        out += [f"- {md(ELEMENT_NAMES.get(e, e))}: {md(what)}" for e, what in j.undecided]
    for c in j.claims:
        out += ["", f"## Claim {c.claim}: {VERDICT_WORDS[c.verdict]}" + (f" ({md(c.note)})" if c.note else ""), ""]
        out += ["> " + md(line) for line in words.get(c.claim, "").splitlines()]
        out += ["", "| element | verdict | evidence |", "|---|---|---|"]
        out += [f"| [{md(ELEMENT_NAMES.get(e.id, e.id))}](#{e.id}) | {VERDICT_WORDS[e.verdict]} | {md(e.evidence)} |"
                for e in c.elements]
    out += ["", "## Elements", ""]
    for eid, e in used.items():
        out += [f'<a id="{eid}"></a>', f"### {md(ELEMENT_NAMES.get(eid, eid))}: {VERDICT_WORDS[e.verdict]}", "",
                md(e.evidence), ""]
        if eid in pictures:
            out += [f"![{md(ELEMENT_NAMES.get(eid, eid))}](pictures/{eid}.svg)", "",
                    f"Highlighted: {md(_solids(s, e.roles))}", ""]
    out += ["## Roles", "", "| # | name | role | decided by | reason | confidence |", "|---|---|---|---|---|---|"]
    for s_ in s.step.solids:
        a = s.assigned[s_.index]
        out.append(f"| {s_.index} | {md(s_.name)} | {md(a.role)} | {md(a.how)} | {md(a.reason)} | "
                   f"{a.confidence:.2f} |")
    return "\n".join(out) + "\n"


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#1d1f22;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ccd}h3{font-size:15px}
table{border-collapse:collapse;width:100%;margin:8px 0}td,th{border:1px solid #d5d8de;padding:4px 6px;
vertical-align:top;text-align:left}th{background:#f1f3f6}.met{color:#0a6b2d;font-weight:600}
.not_met{color:#b3151b;font-weight:600}.cannot_tell{color:#8a5a00;font-weight:600}
blockquote{margin:8px 0;padding:6px 12px;border-left:4px solid #aab;background:#f6f7f9;white-space:pre-wrap}
.element{border:1px solid #d5d8de;border-radius:6px;padding:8px 12px;margin:12px 0}
.picture svg{width:100%;height:auto;max-width:760px}code{font-size:12px}small{color:#555}
"""


def _badge(v: str) -> str:
    return f'<span class="{v}">{VERDICT_WORDS[v]}</span>'


def chart_html(s: Screening, used: dict[str, Element], pictures: dict[str, Picture], seconds: float) -> str:
    j = s.judgement
    words = claims_text()
    p: list[str] = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">',
        f'<meta name="generator" content="pkgcad {h(__version__)} screen">',
        f"<title>Claim chart: {h(s.step.name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Claim chart: <code>{h(s.step.name)}</code> against US 6,844,622 B2</h1>",
        f"<p>File <code>{h(s.step.path.name)}</code>: {len(s.step.solids)} solids, {s.step.proven.entities:,} "
        f"entities. pkgcad {h(__version__)}, tolerance {s.tol:g} mm; lengths in mm. Verdicts: "
        f"{_badge(MET)}, {_badge(NOT_MET)}, {_badge(CANNOT_TELL)} (the file does not hold it).</p>",
        '<h2 id="summary">Claims</h2><table id="claims"><thead><tr><th>claim</th><th>in short</th><th>verdict</th>'
        "<th>why</th></tr></thead><tbody>"]
    p += [f'<tr class="claim-row" data-claim="{c.claim}" data-verdict="{c.verdict}"><td><a href="#claim-{c.claim}">'
          f"{c.claim}</a></td><td><small>{h(CLAIMS[c.claim].text)}</small></td><td>{_badge(c.verdict)}</td>"
          f"<td>{h(c.note)}</td></tr>" for c in j.claims]
    p.append("</tbody></table>")
    p.append("<h2>What the model shows</h2><ul>")
    for k, v in j.embodiment.items():
        p.append(f"<li>{h(k.replace('_', ' '))}: <b>{h(v.replace('_', ' '))}</b> <small>{h(j.found.get(k, ''))}"
                 "</small></li>")
    stated = [f"{r.replace('_', ' ')}: {m}" for r, m in s.roles.materials.items()]
    stated += [f"{r.replace('_', ' ')}: {c:g} ppm/K" for r, c in s.roles.cte.items()]
    p.append(f"<li>materials stated (a STEP file holds none): <b>{h(', '.join(stated) or 'none')}</b></li></ul>")
    if j.undecided:
        p.append('<h2 id="undecided">What the file cannot decide</h2><ul>')
        p += [f"<li>{h(ELEMENT_NAMES.get(e, e))}: {h(what)}</li>" for e, what in j.undecided]
        p.append("</ul>")
    for c in j.claims:
        p.append(f'<h2 id="claim-{c.claim}">Claim {c.claim}: {_badge(c.verdict)}'
                 + (f" <small>({h(c.note)})</small>" if c.note else "") + "</h2>")
        p.append(f"<blockquote>{h(words.get(c.claim, ''))}</blockquote>")
        p.append('<table class="claim-elements"><thead><tr><th>element</th><th>verdict</th><th>evidence</th></tr>'
                 "</thead><tbody>")
        p += [f'<tr data-element="{h(e.id)}"><td><a href="#el-{h(e.id)}">{h(ELEMENT_NAMES.get(e.id, e.id))}</a></td>'
              f"<td>{_badge(e.verdict)}</td><td>{h(e.evidence)}<br><small>solids: {h(_solids(s, e.roles) or 'none')}"
              "</small></td></tr>" for e in c.elements]
        p.append("</tbody></table>")
    p.append('<h2 id="elements">Elements, with the solids they speak of highlighted</h2>')
    for eid, e in used.items():
        pic = pictures.get(eid)
        p.append(f'<div class="element" id="el-{h(eid)}" data-element="{h(eid)}" data-verdict="{e.verdict}" '
                 f'data-highlight="{h(" ".join(pic.shown if pic else []))}">')
        supports = ", ".join(str(c.claim) for c in j.claims if any(x.id == eid for x in c.elements))
        p.append(f"<h3>{h(ELEMENT_NAMES.get(eid, eid))}: {_badge(e.verdict)}</h3><p><small>an element of claims "
                 f"{supports}</small></p><p>{h(e.evidence)}</p>")
        if e.rows:
            p.append("<table><thead><tr><th>check</th><th>measured</th><th>tolerance</th><th>result</th>"
                     "<th>detail</th></tr></thead><tbody>")
            p += [f"<tr><td>{h(r.element)}</td><td>{h(r.measured)}</td><td>{h(r.tolerance)}</td>"
                  f"<td>{'pass' if r.passed else 'FAIL'}</td><td>{h(r.detail)}</td></tr>" for r in e.rows]
            p.append("</tbody></table>")
        if pic:
            p.append(f'<div class="picture" data-plane="{pic.plane}">{pic.svg}</div>')
            p.append(f"<p><small>Highlighted: {h(_solids(s, e.roles)) or 'none of them crosses this plane'}"
                     "</small></p>")
        p.append("</div>")
    p.append('<h2 id="roles">Roles</h2><p>How each solid got its role; <code>roles.toml</code> beside this chart '
             "lists them to correct and rerun with <code>--roles</code>.</p>")
    p.append('<table id="roles-table"><thead><tr><th>#</th><th>name</th><th>product</th><th>role</th>'
             "<th>decided by</th><th>reason</th><th>confidence</th></tr></thead><tbody>")
    for st in s.step.solids:
        a = s.assigned[st.index]
        p.append(f'<tr class="role-row"><td>{st.index}</td><td>{h(st.name)}</td><td>{h(st.product)}</td>'
                 f"<td>{h(a.role)}</td><td>{h(a.how)}</td><td>{h(a.reason)}</td><td>{a.confidence:.2f}</td></tr>")
    p.append("</tbody></table>")
    if j.hygiene:
        p.append('<h2 id="hygiene">Meshes</h2>')
        p += [f"<p><small>{h(n)}</small></p>" for n in s.step.notes]
        p.append('<table><thead><tr><th>group</th><th>volume (vs the STEP solids)</th>'
                 "<th>result</th><th>detail</th></tr></thead><tbody>")
        p += [f"<tr><td>{h(r.element)}</td><td>{h(r.measured)}</td><td>{'pass' if r.passed else 'FAIL'}</td>"
              f"<td>{h(r.detail)}</td></tr>" for r in j.hygiene]
        p.append("</tbody></table>")
    p.append(f"<p><small>Written in {seconds:.1f} s. Claims 1-{max(CLAIMS)} of US 6,844,622 B2, their words quoted "
             "from the patent.</small></p></body></html>")
    return "\n".join(p) + "\n"
