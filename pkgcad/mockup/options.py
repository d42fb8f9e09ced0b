"""What a print kit is asked for: scale, least printable feature, printer bed, cutaway and layout.

Kept free of the geometry kernel so the CLI can validate its options before anything heavy is imported.
Every length is in millimetres; ``scale`` multiplies the model, and ``min_feature`` and ``bed`` are sizes
ON THE PRINT (after scaling).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from .. import bounds
from ..errors import InputError
from ..layout import Layout

SCALE_RANGE = (bounds.BOUNDS["mockup --scale"].lo, bounds.BOUNDS["mockup --scale"].hi)
#: Bambu X1/P1 class; holds the 12 mm BGA templates at 20x (240 mm).
DEFAULT_BED = "256x256"
DEFAULT_SCALE = 20.0
DEFAULT_MIN_FEATURE = 0.4
#: Space between pieces laid out on the bed, and between plates of an exploded layout [mm, printed].
PIECE_GAP = 5.0
Cut = Literal["none", "quarter", "half"]


@dataclass(frozen=True)
class Bed:
    """Printable area [mm]: width (x) and depth (y); ``height`` (z) only when the user gave one."""

    width: float
    depth: float
    height: float | None = None

    def text(self) -> str:
        dims = [self.width, self.depth] + ([self.height] if self.height is not None else [])
        return "x".join(f"{d:g}" for d in dims)


@dataclass(frozen=True)
class MockupOptions:
    scale: float = DEFAULT_SCALE
    min_feature: float = DEFAULT_MIN_FEATURE  # mm on the print
    bed: Bed = Bed(256.0, 256.0)
    cut: Cut = "none"
    exploded: bool = False

    @property
    def model_min(self) -> float:
        """The least feature size in MODEL millimetres."""
        return self.min_feature / self.scale


def parse_bed(text: str) -> Bed:
    """``WxD`` or ``WxDxH`` in mm, e.g. ``250x210`` or ``256x256x256`` (:func:`pkgcad.bounds.parse_dims`)."""
    dims = bounds.parse_dims("--bed", text, "WIDTHxDEPTH[xHEIGHT]", "lengths in mm", "250x210", counts=(2, 3),
                             bound="mockup --bed")
    return Bed(dims[0], dims[1], dims[2] if len(dims) == 3 else None)


def make_options(scale: float, min_feature: float, bed: str, cutaway: bool, section: bool,
                 exploded: bool) -> MockupOptions:
    """Validated options; raises :class:`InputError` naming the option, the value and the allowed range."""
    bounds.check("mockup --scale", scale)
    bounds.check("mockup --min-feature", min_feature)
    if section and not cutaway:
        raise InputError("--section", True, "needs --cutaway (it cuts away a half instead of a quarter)")
    cut: Cut = ("half" if section else "quarter") if cutaway else "none"
    return MockupOptions(scale, min_feature, parse_bed(bed), cut, exploded)


def largest_fitting_scale(footprints: list[tuple[float, float, float]], scale: float, bed: Bed) -> float:
    """The largest scale at which every piece of ``footprints`` (x, y, z extents printed at ``scale``) fits
    the bed, turned by 90 degrees where that helps; rounded down to 0.1."""
    best = math.inf
    for w, d, h in footprints:
        k = max(min(bed.width / w, bed.depth / d), min(bed.width / d, bed.depth / w))
        if bed.height is not None:
            k = min(k, bed.height / h)
        best = min(best, k)
    return math.floor(scale * best * 10 + 1e-9) / 10


def fits(w: float, d: float, h: float, bed: Bed, tol: float = 1e-6) -> bool:
    flat = (w <= bed.width + tol and d <= bed.depth + tol) or (d <= bed.width + tol and w <= bed.depth + tol)
    return flat and (bed.height is None or h <= bed.height + tol)


def check_bed(lay: Layout, options: MockupOptions) -> None:
    """Before any geometry: the biggest piece is the carrier's footprint (heat sink, encapsulant, substrate
    share it), so it must fit the bed at this scale. Raises :class:`InputError` with the largest scale that fits."""
    s = options.scale
    _cx, _cy, fx, fy = lay.footprint
    w, d = fx * s, fy * s
    if not fits(w, d, 0.0, options.bed):
        best = largest_fitting_scale([(w, d, 1.0)], s, options.bed)
        raise InputError("--scale", s, f"the {fx:g} x {fy:g} mm package "
                        f"prints {w:g} x {d:g} mm, larger than the {options.bed.text()} mm bed; the largest "
                        f"scale that fits is {best:g}")
