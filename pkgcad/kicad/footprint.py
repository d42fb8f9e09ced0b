"""A :class:`~.land.Land` as a KiCad 6 footprint file (``.kicad_mod``, s-expression, format 20211014).

Millimetres, KiCad's frame (y down). Text sizes and line widths are the KiCad library's (KLC): 1 mm / 0.15 mm
text, fabrication 0.10, silkscreen 0.12, courtyard 0.05 mm lines. One model line per 3D model of the packages
that share the land pattern: the first shown, the others hidden (``hide``; KiCad's Footprint Properties > 3D
Models shows them all, a tick picks the one drawn).
"""

from __future__ import annotations

import itertools

from .land import CRTYD_W, FAB_W, SILK_W, Land, Pad


def n(v: float) -> str:
    """A coordinate as KiCad writes it: up to 6 decimals (nm), no trailing zeros, no -0."""
    s = f"{v:.6f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(kind: str, text: str, x: float, y: float, layer: str, size: float = 1.0) -> str:
    return (f"  (fp_text {kind} {q(text)} (at {n(x)} {n(y)}) (layer {q(layer)})\n"
            f"    (effects (font (size {n(size)} {n(size)}) (thickness {n(round(0.15 * size, 3))})))\n  )")


def _lines(points: list[tuple[float, float]], layer: str, width: float) -> list[str]:
    return [f"  (fp_line (start {n(a[0])} {n(a[1])}) (end {n(b[0])} {n(b[1])}) (layer {q(layer)}) (width {n(width)}))"
            for a, b in itertools.pairwise(points)]


def _pad(p: Pad) -> str:
    layers = " ".join(q(layer) for layer in p.layers)
    s = f"  (pad {q(p.number)} {p.kind} {p.shape} (at {n(p.x)} {n(p.y)}) (size {n(p.sx)} {n(p.sy)})"
    if p.kind == "thru_hole":
        s += f" (drill {n(p.drill)})"
    s += f" (layers {layers})"
    if p.shape == "roundrect":
        s += f" (roundrect_rratio {n(round(p.rratio, 4))})"
        if p.chamfer:
            s += f" (chamfer_ratio {n(p.chamfer_ratio)}) (chamfer {' '.join(p.chamfer)})"
    if p.mask_margin is not None:
        s += f" (solder_mask_margin {n(p.mask_margin)})"
    return s + ")"


def kicad_mod(land: Land, models: list[str]) -> str:
    """The footprint file's text; ``models`` are the paths of its model lines (offset 0, scale 1, rotation 0: each
    model is drawn in the footprint's own frame), the first shown, the rest hidden."""
    if not models:
        raise ValueError(f"{land.name}: a footprint needs a 3D model")
    x0, y0, x1, y1 = land.courtyard
    fab_size = min(1.0, round(min(land.body) / 4.3, 2))
    out = [
        f"(footprint {q(land.name)} (version 20211014) (generator pkgcad)",
        '  (layer "F.Cu")',
        f"  (descr {q(land.description)})",
        f"  (tags {q(land.tags)})",
        "  (attr smd)",
        _text("reference", "REF**", 0.0, y0 - 0.8, "F.SilkS"),
        _text("value", land.name, 0.0, y1 + 0.8, "F.Fab"),
        _text("user", "${REFERENCE}", 0.0, 0.0, "F.Fab", fab_size),
    ]
    for poly in land.fab:
        out += _lines(poly, "F.Fab", FAB_W)
    for poly in land.silk:
        out += _lines(poly, "F.SilkS", SILK_W)
    out += _lines([(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)], "F.CrtYd", CRTYD_W)
    out += [_pad(p) for p in land.pads]
    for k, path in enumerate(models):
        out.append(f"  (model {q(path)}{' hide' if k else ''}\n    (offset (xyz 0 0 0))\n    (scale (xyz 1 1 1))\n"
                   f"    (rotate (xyz 0 0 0))\n  )")
    out.append(")")
    return "\n".join(out) + "\n"
