"""A tiny 2D drawing list (filled paths, lines, rectangles, text; pixel units, y down) and its two writers:
SVG text and a Pillow raster. A section is laid out once and written by either, so both show the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import numpy as np
from PIL.PngImagePlugin import PngInfo

from .. import __version__
from ..export.staging import write_file

RGB = tuple[float, float, float]


def hex_color(c: RGB) -> str:
    return "#" + "".join(f"{round(max(0.0, min(1.0, v)) * 255):02x}" for v in c)


def shade(c: RGB, f: float) -> RGB:
    """``c`` darkened (f < 1) or lightened towards white (f > 1)."""
    if f <= 1:
        return (c[0] * f, c[1] * f, c[2] * f)
    t = min(f - 1, 1.0)
    return (c[0] + (1 - c[0]) * t, c[1] + (1 - c[1]) * t, c[2] + (1 - c[2]) * t)


@dataclass
class Paths:
    """Closed loops filled together with the even-odd rule (holes come out right), one region."""

    loops: list[np.ndarray]  # each (n, 2) pixels
    fill: RGB
    stroke: RGB | None = None
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class Line:
    points: list[tuple[float, float]]
    stroke: RGB = (0.0, 0.0, 0.0)
    width: float = 1.0
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class FilledRect:
    x: float
    y: float
    w: float
    h: float
    fill: RGB | None
    stroke: RGB | None = None
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class Text:
    x: float
    y: float  # baseline
    text: str
    size: float = 13.0
    anchor: str = "start"  # start | middle | end
    color: RGB = (0.0, 0.0, 0.0)
    bold: bool = False
    attrs: dict[str, str] = field(default_factory=dict)


Item = Paths | Line | FilledRect | Text


@dataclass
class Figure:
    width: int
    height: int
    items: list[Item] = field(default_factory=list)
    title: str = ""

    def add(self, item: Item) -> None:
        self.items.append(item)


def text_width(text: str, size: float) -> float:
    """A generous estimate of a sans-serif string's width [px] (layout only)."""
    return 0.58 * size * len(text)


# ------------------------------------------------------------------------------------------------ SVG
def _attrs(attrs: dict[str, str]) -> str:
    return "".join(f' {k}="{escape(v)}"' for k, v in attrs.items())


def _loop_d(loop: np.ndarray) -> str:
    pts = " L".join(f"{x:.2f},{y:.2f}" for x, y in loop)
    return f"M{pts} Z"


def to_svg(fig: Figure) -> str:
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{fig.width}" height="{fig.height}" '
        f'viewBox="0 0 {fig.width} {fig.height}" font-family="DejaVu Sans, Arial, Helvetica, sans-serif">',
        f"<!-- generator: pkgcad {__version__} -->",
    ]
    if fig.title:
        out.append(f"<title>{escape(fig.title)}</title>")
    out.append(f'<rect x="0" y="0" width="{fig.width}" height="{fig.height}" fill="#ffffff"/>')
    for it in fig.items:
        if isinstance(it, Paths):
            d = " ".join(_loop_d(lp) for lp in it.loops)
            stroke = (f' stroke="{hex_color(it.stroke)}" stroke-width="0.6" stroke-linejoin="round"'
                      if it.stroke else "")
            out.append(f'<path{_attrs(it.attrs)} fill="{hex_color(it.fill)}" fill-rule="evenodd"{stroke} d="{d}"/>')
        elif isinstance(it, Line):
            pts = " ".join(f"{x:.2f},{y:.2f}" for x, y in it.points)
            out.append(f'<polyline{_attrs(it.attrs)} points="{pts}" fill="none" stroke="{hex_color(it.stroke)}" '
                       f'stroke-width="{it.width:g}"/>')
        elif isinstance(it, FilledRect):
            fill = hex_color(it.fill) if it.fill else "none"
            stroke = f' stroke="{hex_color(it.stroke)}" stroke-width="1"' if it.stroke else ""
            out.append(f'<rect{_attrs(it.attrs)} x="{it.x:.2f}" y="{it.y:.2f}" width="{it.w:.2f}" '
                       f'height="{it.h:.2f}" fill="{fill}"{stroke}/>')
        else:
            weight = ' font-weight="bold"' if it.bold else ""
            out.append(f'<text{_attrs(it.attrs)} x="{it.x:.2f}" y="{it.y:.2f}" font-size="{it.size:g}" '
                       f'text-anchor="{it.anchor}" fill="{hex_color(it.color)}"{weight}>{escape(it.text)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------------------------ PNG
def to_png(fig: Figure, path: Path, supersample: int = 2) -> None:
    """Rasterise ``fig`` with Pillow (drawn ``supersample`` times larger, then reduced: smooth edges)."""
    from PIL import Image, ImageChops, ImageDraw, ImageFont

    s = supersample
    img = Image.new("RGB", (fig.width * s, fig.height * s), (255, 255, 255))
    draw = ImageDraw.Draw(img)

    def col(c: RGB) -> tuple[int, int, int]:
        r, g, b = (round(max(0.0, min(1.0, v)) * 255) for v in c)
        return r, g, b

    fonts: dict[tuple[float, bool], ImageFont.FreeTypeFont | ImageFont.ImageFont] = {}

    def font(size: float, bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        key = (size, bold)
        if key not in fonts:
            name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
            try:
                fonts[key] = ImageFont.truetype(name, size * s)
            except OSError:
                fonts[key] = ImageFont.load_default(size * s)
        return fonts[key]

    for it in fig.items:
        if isinstance(it, Paths):
            mask = Image.new("1", img.size, 0)
            for lp in it.loops:
                one = Image.new("1", img.size, 0)
                ImageDraw.Draw(one).polygon([(x * s, y * s) for x, y in lp], fill=1)
                mask = ImageChops.logical_xor(mask, one)
            img.paste(col(it.fill), (0, 0), mask)
            if it.stroke:
                for lp in it.loops:
                    pts = [(x * s, y * s) for x, y in lp]
                    draw.line([*pts, pts[0]], fill=col(it.stroke), width=max(1, round(0.6 * s)))
        elif isinstance(it, Line):
            draw.line([(x * s, y * s) for x, y in it.points], fill=col(it.stroke), width=max(1, round(it.width * s)))
        elif isinstance(it, FilledRect):
            box = (it.x * s, it.y * s, (it.x + it.w) * s, (it.y + it.h) * s)
            draw.rectangle(box, fill=col(it.fill) if it.fill else None,
                           outline=col(it.stroke) if it.stroke else None, width=s)
        else:
            anchor = {"start": "ls", "middle": "ms", "end": "rs"}[it.anchor]
            draw.text((it.x * s, it.y * s), it.text, fill=col(it.color), font=font(it.size, it.bold), anchor=anchor)
    if s > 1:
        img = img.resize((fig.width, fig.height), Image.Resampling.LANCZOS)
    write_file(Path(path), lambda p: img.save(p, format="PNG", optimize=True, pnginfo=png_info()))


# ---------------------------------------------------------------------------------------------- files
def png_info() -> PngInfo:
    """The text chunk that marks a PNG as pkgcad's (the output guard replaces only files pkgcad wrote)."""
    info = PngInfo()
    info.add_text("Software", f"pkgcad {__version__}")
    return info
