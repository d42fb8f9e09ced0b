"""The process sheet's pictures, drawn with the view package's primitives (:mod:`pkgcad.view.figure`,
:mod:`pkgcad.view.section`): the strip from above with its streets, saw lines and unit numbers (from the strip
layout), and a section through a street before and after sawing (the stage meshes cut by a plane)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import trimesh

from ..export.glb import Meshes
from ..export.staging import write_file
from ..materials import material
from ..package import Part
from ..view.figure import RGB, Figure, FilledRect, Line, Text, shade, to_png, to_svg
from ..view.section import Region, Section, nice_length, slice_loops, write_section
from .layout import StripLayout
from .model import Stage

SAW: RGB = (0.85, 0.1, 0.1)
STREET: RGB = (0.93, 0.93, 0.90)


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def top_view(strip: StripLayout, title: str, width: int = 1400) -> Figure:
    """The strip from above: carrier and rails, unit bodies (the interface layer on the heat sink), streets,
    the saw's kerf and centre lines, every unit's number; a mm scale bar and a legend."""
    w, h = strip.size
    margin, top = 30.0, 56.0
    s = (width - 2 * margin) / w
    height = int(top + h * s + 90)
    fig = Figure(width, height, title=title)

    def x(v: float) -> float:
        return margin + v * s

    def y(v: float) -> float:
        return top + (h - v) * s

    lay = strip.unit
    carrier = material("copper" if lay.qfn else "bt-laminate").color
    face = material(lay.spec.interface_layer.material).color
    fig.add(Text(margin, 24, title, 15, bold=True))
    fig.add(Text(margin, 44, f"{strip.nx} x {strip.ny} = {strip.count} units, pitch {_fmt(strip.pitch[0])} x "
                 f"{_fmt(strip.pitch[1])} mm, street {_fmt(strip.street)} mm, kerf {_fmt(strip.kerf)} mm, rails "
                 f"{_fmt(strip.rails[0])} / {_fmt(strip.rails[1])} mm; numbered row by row from the top-left", 12))
    fig.add(FilledRect(x(0), y(h), w * s, h * s, shade(carrier, 1.25), shade(carrier, 0.6)))
    x0, y0, x1, y1 = strip.array
    fig.add(FilledRect(x(x0), y(y1), (x1 - x0) * s, (y1 - y0) * s, STREET, (0.3, 0.3, 0.3)))
    bx, by = strip.body
    fx, fy = strip.footprint
    size = max(6.0, min(13.0, 0.32 * min(fx, fy) * s))
    digits = len(str(strip.count))
    label = size * 0.58 * digits < 0.9 * fx * s
    for u in strip.units:
        fig.add(FilledRect(x(u.x - bx / 2), y(u.y + by / 2), bx * s, by * s, face, shade(face, 0.6),
                     {"class": "unit", "data-unit": u.name}))
        if label:
            fig.add(Text(x(u.x), y(u.y) + size * 0.35, str(int(u.name.split("_")[1])), size, anchor="middle"))
    for axis in (0, 1):
        for lo, hi in strip.kerf_bands(axis):
            c = (lo + hi) / 2
            if axis == 0:
                fig.add(Line([(x(c), y(0)), (x(c), y(h))], SAW, max(0.6, (hi - lo) * s)))
            else:
                fig.add(Line([(x(0), y(c)), (x(w), y(c))], SAW, max(0.6, (hi - lo) * s)))
    base = y(0) + 34
    bar = nice_length(w / 5)
    fig.add(FilledRect(x(0), base - 5, bar * s, 6, (0, 0, 0), (0, 0, 0)))
    fig.add(Text(x(0), base - 10, "0", 11, anchor="middle"))
    fig.add(Text(x(bar), base - 10, f"{bar:g} mm", 11, anchor="middle"))
    legend = [(shade(carrier, 1.25), f"carrier strip ({'lead frame' if lay.qfn else 'substrate panel'}) and rails"),
              (STREET, "street"), (face, f"unit (interface layer on the heat sink), {_fmt(bx)} x {_fmt(by)} mm"),
              (SAW, f"saw line and kerf ({strip.saw_lines[0] + strip.saw_lines[1]} lines, "
                    f"{strip.saw_length:,.0f} mm)")]
    lx = x(bar) + 80
    for i, (color, text) in enumerate(legend):
        cx = lx + (i % 2) * (width - lx) / 2
        cy = base + (i // 2) * 22 - 6
        fig.add(FilledRect(cx, cy - 11, 20, 12, color, shade(color, 0.6)))
        fig.add(Text(cx + 28, cy, text, 12))
    return fig


# ------------------------------------------------------------------------------------------ sections
def _clip(loop: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """The polygon ``loop`` (n, 2) cut to ``lo <= x <= hi`` (Sutherland-Hodgman, two edges)."""
    pts = loop
    for bound, side in ((lo, 1.0), (hi, -1.0)):  # keep side * x >= side * bound
        if len(pts) == 0:
            break
        out = []
        for i in range(len(pts)):
            a, b = pts[i - 1], pts[i]
            if side * b[0] >= side * bound:
                if not side * a[0] >= side * bound:
                    out.append(a + (b - a) * (bound - a[0]) / (b[0] - a[0]))
                out.append(b)
            elif side * a[0] >= side * bound:
                out.append(a + (b - a) * (bound - a[0]) / (b[0] - a[0]))
        pts = np.array(out).reshape(-1, 2)
    return pts


def street_section(stage: Stage, strip: StripLayout, meshes: Meshes, mark_kerf: bool = False) -> Section:
    """The stage cut by an xz plane through the street right of unit 1, between the centres of the two units
    beside it (or unit 1 and the rail), through a lead, wire or bump of unit 1's right-hand side; with
    ``mark_kerf`` the kerf's edges drawn as red hairlines."""
    u = strip.units[0]
    lay = strip.unit
    xa, xb = u.x, u.x + strip.pitch[0]
    at = u.y + _offset(strip)
    regions: dict[str, Region] = {}
    near = [v for v in strip.units if v.row == u.row and xa - strip.pitch[0] < v.x < xb + strip.pitch[0]]
    items: list[tuple[Part, float, float]] = [(p, v.x, v.y) for v in near for p in stage.unit_parts]
    items += [(p, 0.0, 0.0) for p in stage.strip_parts]
    for part, dx, dy in items:
        loops = [c for mesh in _local(part, meshes, dx, dy, (xa, at, xb)) for lp in slice_loops(mesh, 1, at, 0, 2)
                 if len(c := _clip(lp, xa, xb)) >= 3 and np.ptp(c[:, 0]) > 1e-9]
        if not loops:
            continue
        key = part.name.removeprefix("offcut_")
        if key not in regions:
            regions[key] = Region(key, str(part.role), part.material, material(part.material).color, [])
        regions[key].loops.extend(loops)
    top = lay.stack.interface_top + (strip.flash if stage.key == "molded" else 0.0)
    if mark_kerf:  # hairlines at the kerf's edges: where the saw will cut
        mid = (xa + xb) / 2
        hair = strip.pitch[0] / 500
        marks = [np.array([(e - hair / 2, 0.0), (e + hair / 2, 0.0), (e + hair / 2, top), (e - hair / 2, top)])
                 for e in (mid - strip.kerf / 2, mid + strip.kerf / 2)]
        regions["saw kerf"] = Region("saw kerf", "saw", f"edges, {strip.kerf:g} mm apart", SAW, marks)
    zlo = min(0.0, lay.seating_plane)
    name = f"{lay.spec.meta.name} strip, stage {stage.number} ({stage.key})"
    return Section(name, "xz", at, at, list(regions.values()), (xa, zlo, xb, top))


def _local(part: Part, meshes: Meshes, dx: float, dy: float, window: tuple[float, float, float]) -> \
        list[trimesh.Trimesh]:
    """``part`` placed at ``(dx, dy)``, only what lies near the window; a tiled part as its tiles there, one mesh
    each (tiles share faces: sliced together, their loops would run into each other)."""
    xa, at, xb = window
    uses = [(part.shape, 0.0, 0.0)] if part.tiling is None else \
        [(part.tiling.shapes[k], tx, ty) for k, tx, ty in part.tiling.uses]
    out = []
    for shape, tx, ty in uses:
        one = meshes.merged(part) if part.tiling is None else meshes.of(shape)
        lo, hi = one.bounds
        if lo[0] + tx + dx < xb and hi[0] + tx + dx > xa and lo[1] + ty + dy < at < hi[1] + ty + dy:
            out.append(one.copy().apply_translation((tx + dx, ty + dy, 0.0)))
    return out


def _offset(strip: StripLayout) -> float:
    """Where the section crosses unit 1, relative to its centre: through the lead, wire end or bump on its
    right-hand side nearest the middle (a plane through nothing but compound says little)."""
    lay = strip.unit
    ys: Sequence[float] = []
    if lay.leads:
        ys = [ld.rect[1] for ld in lay.leads if ld.side == 0]
    elif lay.wires:
        ys = [w.end[1] for w in lay.wires if w.end[0] > abs(w.end[1])]
    elif lay.bumps is not None and len(lay.bumps.points):
        ys = sorted(set(np.round(lay.bumps.points[:, 1], 9).tolist()))
    return float(min(ys, key=abs)) + 1.3e-6 if len(ys) else 1.3e-6


def write_figures(strip: StripLayout, before: Stage, after: Stage, meshes: Meshes, folder: Path,
                  title: str) -> list[str]:
    """top.svg/.png and street-before/after.svg/.png into ``folder``; returns the file names."""
    fig = top_view(strip, title)
    write_file(folder / "top.svg", to_svg(fig))
    to_png(fig, folder / "top.png")
    names = ["top.svg", "top.png"]
    zoom = 2.0
    for stage, stem in ((before, "street-before"), (after, "street-after")):
        sec = street_section(stage, strip, meshes, mark_kerf=stage is before)
        for ext in (".svg", ".png"):
            write_section(sec, folder / f"{stem}{ext}", 1200, zoom, labels=True)
            names.append(f"{stem}{ext}")
    return names
