"""What a build will cost before it starts: triangles, bytes written and memory, from the Layout's counts and
the triangles one instance of each repeated part tessellates into (pure maths, no geometry kernel).

OCCT meshes a circle of radius r in ``n = 2 pi / step`` segments, ``step = min(angular, 2 acos(1 - linear / r))``
(the angular deflection, or the chord that deviates ``linear`` from the arc). A sphere cap of height h then has
about ``1.7 n^2 h / (2 r)`` triangles plus ``2 n`` per flat face; a bonding wire about ``2 n (14 + 11.4 / angular)``
(its sweep is cut along its length by the angular deflection, whatever its length). Calibrated against
``pkgcad show --sizes`` (``python bench/estimate.py`` prints estimate vs measured): within -15 % / +35 % on the
bundled templates at every quality, -13 % / +3 % with 2,500 bumps.

Every part held by the encapsulant leaves its cavity in the encapsulant's mesh (as many triangles again), and
every STL triangle is written twice (``parts/<group>.stl`` and the whole-package ``<name>.stl``), 50 bytes each.
Peak memory is about 110 bytes per triangle (measured: 20,000 bumps at ``--quality fine``, 54 M triangles,
5.4 GB written, 5.9 GB resident).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import InputError
from ..layout import Layout
from .options import MeshQuality

STL_BYTES_PER_TRIANGLE = 2 * 50  # per-part file + whole-package file
RAM_BYTES_PER_TRIANGLE = 110
FLAT_TRIANGLES = 5_000  # carrier, chip, plates, the mold's outer faces, tile seams: a generous constant
MAX_UNASKED_BYTES = 2_000_000_000
"""Largest estimated output (STL + GLB + STEP) built without ``--yes``."""


@dataclass(frozen=True)
class SizeEstimate:
    quality: str
    triangles: int
    bytes: int  # written: STL files, GLB, STEP
    memory: int  # peak resident

    def text(self) -> str:
        return (f"about {_size(self.bytes)} written and {_size(self.memory)} of memory "
                f"({self.triangles / 1e6:.1f} M triangles at --quality {self.quality})")


def _size(n: float) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def segments(radius: float, q: MeshQuality) -> int:
    """Segments OCCT puts around a circle of ``radius`` mm at quality ``q``."""
    ratio = min(q.linear / radius, 1.0) if radius > 0 else 1.0
    step = min(q.angular, 2 * math.acos(1 - ratio))
    return max(3, math.ceil(2 * math.pi / step))


def cap_triangles(diameter: float, height: float, q: MeshQuality, flats: int = 1) -> int:
    """A sphere of ``diameter`` cut to ``height`` (a bump, ball, asperity or dimple), ``flats`` flat faces."""
    n = segments(diameter / 2, q)
    return math.ceil(1.7 * n * n * min(height / diameter, 1.0)) + 2 * n * flats


def wire_triangles(diameter: float, q: MeshQuality) -> int:
    return math.ceil(2 * segments(diameter / 2, q) * (14 + 11.4 / q.angular))


def estimate(lay: Layout, q: MeshQuality) -> SizeEstimate:
    """The triangles, bytes and memory a build of ``lay`` at quality ``q`` will take (see the module doc)."""
    spec = lay.spec
    held = 0  # triangles of the parts inside the mold: the encapsulant's cavities repeat them
    if lay.bumps is not None:
        b = spec.bumps
        held += lay.bumps.realised * cap_triangles(b.diameter, b.height, q, flats=2)
    held += len(lay.wires) * wire_triangles(spec.wires.diameter, q)
    held += 12 * (len(lay.fingers) + len(lay.leads))
    rest = 0
    if lay.balls is not None:
        rest += lay.balls.realised * cap_triangles(spec.balls.diameter, spec.balls.height, q)
    tex = lay.texture
    hs = spec.heat_sink
    if tex.kind == "roughened":
        r = hs.roughened
        held += tex.count * cap_triangles(r.diameter, r.height, q)
    elif tex.kind == "uneven":
        u = hs.uneven
        held += tex.count * (cap_triangles(u.size, u.depth, q) if u.style == "dimples" else 12)
    elif tex.kind == "corrugated":
        held += 12 * tex.count
    triangles = 2 * held + rest + FLAT_TRIANGLES
    stl = STL_BYTES_PER_TRIANGLE * triangles
    return SizeEstimate(q.name, triangles, int(stl * 1.1), RAM_BYTES_PER_TRIANGLE * triangles)


def check_size(lay: Layout, q: MeshQuality, yes: bool, qualities: dict[str, MeshQuality]) -> SizeEstimate:
    """Refuse (:class:`InputError`, exit 2) a build estimated to write more than :data:`MAX_UNASKED_BYTES`
    unless ``yes``; the message names the estimate and the qualities that stay under the limit."""
    est = estimate(lay, q)
    if est.bytes <= MAX_UNASKED_BYTES or yes:
        return est
    lower = [e for e in (estimate(lay, other) for other in qualities.values())
             if e.bytes <= MAX_UNASKED_BYTES and e.triangles < est.triangles]
    fix = f"use --quality {lower[-1].quality} ({_size(lower[-1].bytes)})" if lower else "reduce the counts"
    raise InputError("--quality", q.name, f"{spec_name(lay)} would need {est.text()}, over the "
                     f"{_size(MAX_UNASKED_BYTES)} pkgcad builds unasked; add --yes to build it anyway, or {fix}")


def check_measure(lay: Layout, yes: bool, qualities: dict[str, MeshQuality]) -> None:
    """``pkgcad show --sizes`` writes every quality into a temporary folder: refuse more than
    :data:`MAX_UNASKED_BYTES` in all unless ``yes``."""
    ests = [estimate(lay, q) for q in qualities.values()]
    total = sum(e.bytes for e in ests)
    if total <= MAX_UNASKED_BYTES or yes:
        return
    raise InputError("--sizes", True, f"measuring {spec_name(lay)} at every --quality would write about "
                     f"{_size(total)} into a temporary folder and need {_size(max(e.memory for e in ests))} of "
                     f"memory, over the {_size(MAX_UNASKED_BYTES)} pkgcad does unasked",
                     "add --yes to measure anyway; `pkgcad build` estimates without building")


def spec_name(lay: Layout) -> str:
    return lay.spec.meta.name
