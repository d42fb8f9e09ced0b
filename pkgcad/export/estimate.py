"""What a build will cost before it starts: triangles, bytes written and memory, from the Layout's counts and
the triangles one instance of each repeated part tessellates into (pure maths, no geometry kernel).

OCCT meshes a circle of radius r in ``n = 2 pi / step`` segments, ``step = min(angular, 2 acos(1 - linear / r))``
(the angular deflection, or the chord that deviates ``linear`` from the arc). A sphere cap of height h then has
about ``1.7 n^2 h / (2 r)`` triangles plus ``2 n`` per flat face; a bonding wire about ``2 n (14 + 11.4 / angular)``
(its sweep is cut along its length by the angular deflection, whatever its length). Every part held by the
encapsulant leaves its cavity in the encapsulant's mesh (as many triangles again).

The bytes, file by file (``--stl`` decides the STL files, see :data:`.options.STL_MODES`):

* STL, 50 bytes a triangle: the instanced part files hold each distinct mesh once (a bump, a ball, a wire shape,
  and of an encapsulant cut in tiles its distinct tiles: a regular array's tiles come in 3 x 3 kinds, corner,
  edge and inner, :data:`TILE_KINDS`); the every-instance part files and the whole-package file every triangle;
* STEP: an occurrence per instance (a part placed more than 5,000 times: per line of its array) and per tile,
  and the B-rep faces of the distinct solids; GLB: a node per instance and tile, and the distinct meshes; 3MF:
  the distinct meshes and a component per instance and tile; manifest.json: a placement and a name per instance.

Calibrated against real exports (``python bench/estimate.py`` prints estimate vs measured per file, for the
bundled templates and the flip chips of ``bench/scale.py``). Peak memory: the kernel and the libraries (~600 MB),
a few kB per instance, and ~110 bytes per triangle held at once (every-instance STL files hold every triangle;
measured: 20,000 bumps at ``--quality fine`` with every instance written, 54 M triangles, 5.9 GB resident).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import InputError
from ..layout import Layout
from .options import DEFAULT_STL, MeshQuality

STL_BYTES = 50  # per triangle
RAM_BYTES_PER_TRIANGLE = 110
FLAT_TRIANGLES = 5_000  # carrier, chip, plates, the mold's outer faces, tile seams: a generous constant
TILE_KINDS = 9
"""Distinct tiles of an encapsulant cut in tiles (corner, edge and inner along each axis of a regular array)."""
TOOLS_PER_TILE = 25  # as pkgcad.geometry.tiles cuts them (that module loads the kernel)
MIN_TILED = 150
STEP_OCCURRENCE = 700  # bytes: NAUO, its shape representation relationship, transformation, placement
STEP_FACE = 550  # bytes per B-rep face of a distinct solid (surface, loops, edges, points)
STEP_BASE = 100_000
LINES_OVER = 5_000  # as pkgcad.export.step writes a part placed more often than this: per line of its array
GLB_NODE = 135
GLB_TRIANGLE = 17
MF_COMPONENT = 9  # deflated
MF_TRIANGLE = 9
MANIFEST_INSTANCE = 115
MANIFEST_WIRE = 110
MANIFEST_BASE = 25_000
RAM_BASE = 600_000_000
RAM_INSTANCE = 3_000
MAX_UNASKED_BYTES = 2_000_000_000
"""Largest estimated output (STL + GLB + STEP + 3MF + manifest) built without ``--yes``."""


@dataclass(frozen=True)
class SizeEstimate:
    quality: str
    triangles: int  # of the whole model, every instance
    bytes: int  # written: every file of the build (see the module notes)
    memory: int  # peak resident
    stl: str = DEFAULT_STL
    files: tuple[tuple[str, int], ...] = ()  # bytes per kind of file: stl, step, glb, 3mf, manifest

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


@dataclass(frozen=True)
class Held:
    """A kind of part the encapsulant holds: how many, the triangles (and B-rep faces) of one, and of how many
    distinct shapes."""

    count: int
    triangles: int
    faces: int
    distinct: int = 1


def estimate(lay: Layout, q: MeshQuality, *, stl: str = DEFAULT_STL) -> SizeEstimate:
    """The triangles, bytes and memory a build of ``lay`` at quality ``q`` with ``--stl stl`` will take (see the
    module notes)."""
    spec = lay.spec
    held: list[Held] = []  # the parts inside the mold: the encapsulant's cavities repeat them
    if lay.bumps is not None:
        b = spec.bumps
        held.append(Held(lay.bumps.realised, cap_triangles(b.diameter, b.height, q, flats=2), 3))
    if lay.wires:
        held.append(Held(len(lay.wires), wire_triangles(spec.wires.diameter, q), 15,  # B-spline faces: large
                         len({w.path.key() for w in lay.wires})))
    if lay.fingers or lay.leads:
        held.append(Held(len(lay.fingers) + len(lay.leads), 12, 6))
    tex, hs = lay.texture, spec.heat_sink
    texture = Held(0, 0, 0)
    if tex.kind == "roughened":
        texture = Held(tex.count, cap_triangles(hs.roughened.diameter, hs.roughened.height, q), 2)
    elif tex.kind == "uneven":
        u = hs.uneven
        texture = Held(tex.count, cap_triangles(u.size, u.depth, q) if u.style == "dimples" else 12, 5)
    elif tex.kind == "corrugated":
        texture = Held(tex.count, 12, 5)
    held.append(texture)
    cavities = sum(h.count * h.triangles for h in held)
    balls = lay.balls.realised if lay.balls is not None else 0
    ball = cap_triangles(spec.balls.diameter, spec.balls.height, q) if balls else 0
    # every instance: the held parts, their cavities, the balls, the heat sink's texture (one solid)
    every = 2 * cavities + balls * ball + FLAT_TRIANGLES
    # each distinct mesh once; an encapsulant of many parts cut in tiles, of which TILE_KINDS are distinct
    tools = sum(h.count for h in held)
    tiles = tools / TOOLS_PER_TILE if tools >= MIN_TILED else 1.0
    share = min(1.0, TILE_KINDS / tiles) if tiles >= 2 else 1.0
    distinct = (sum(h.distinct * h.triangles for h in held if h is not texture) + texture.count * texture.triangles
                + ball + round(share * cavities) + FLAT_TRIANGLES)
    instances = sum(h.count for h in held if h is not texture) + balls + 10
    tile_uses = round(tiles) if tiles >= 2 else 0
    occurrences = sum(h.count if h.count <= LINES_OVER else math.isqrt(h.count) for h in held if h is not texture)
    occurrences += (balls if balls <= LINES_OVER else math.isqrt(balls)) + tile_uses + 10
    faces = texture.count * texture.faces + round(share * sum(h.count * h.faces for h in held)) \
        + sum(h.distinct * h.faces for h in held)
    files = {
        "stl": STL_BYTES * ({"instanced": distinct, "parts": every, "whole": distinct + every, "all": 2 * every}[stl]),
        "step": STEP_BASE + STEP_OCCURRENCE * occurrences + STEP_FACE * faces,
        "glb": GLB_NODE * (instances + tile_uses) + GLB_TRIANGLE * distinct,
        "3mf": MF_COMPONENT * (instances + tile_uses) + MF_TRIANGLE * distinct,
        "manifest": MANIFEST_BASE + MANIFEST_INSTANCE * instances + MANIFEST_WIRE * len(lay.wires),
    }
    held_at_once = every if stl != "instanced" and stl != "whole" else distinct
    if stl == "whole":
        held_at_once = max(distinct, min(every, 2 * (cavities + FLAT_TRIANGLES)))  # the encapsulant made whole
    memory = RAM_BASE + RAM_INSTANCE * instances + RAM_BYTES_PER_TRIANGLE * held_at_once
    return SizeEstimate(q.name, every, sum(files.values()), memory, stl, tuple(files.items()))


def check_size(lay: Layout, q: MeshQuality, yes: bool, qualities: dict[str, MeshQuality], *,
               stl: str = DEFAULT_STL) -> SizeEstimate:
    """Refuse (:class:`InputError`, exit 2) a build estimated to write more than :data:`MAX_UNASKED_BYTES`
    unless ``yes``; the message names the estimate and the qualities (or the ``--stl`` mode) that stay under
    the limit."""
    est = estimate(lay, q, stl=stl)
    if est.bytes <= MAX_UNASKED_BYTES or yes:
        return est
    lower = [e for e in (estimate(lay, other, stl=stl) for other in qualities.values())
             if e.bytes <= MAX_UNASKED_BYTES and e.triangles < est.triangles]
    instanced = estimate(lay, q, stl=DEFAULT_STL)
    fix = (f"use --quality {lower[-1].quality} ({_size(lower[-1].bytes)})" if lower
           else f"use --stl {DEFAULT_STL} ({_size(instanced.bytes)})" if instanced.bytes <= MAX_UNASKED_BYTES
           else "reduce the counts")
    key, value = ("--quality", q.name) if lower or stl == DEFAULT_STL else ("--stl", stl)
    raise InputError(key, value, f"{spec_name(lay)} would need {est.text()}, over the "
                     f"{_size(MAX_UNASKED_BYTES)} pkgcad builds unasked; add --yes to build it anyway, or {fix}")


def check_measure(lay: Layout, yes: bool, qualities: dict[str, MeshQuality]) -> None:
    """``pkgcad show --sizes`` writes every quality into a temporary folder: refuse more than
    :data:`MAX_UNASKED_BYTES` in all unless ``yes``."""
    ests = [estimate(lay, q, stl="all") for q in qualities.values()]
    total = sum(e.bytes for e in ests)
    if total <= MAX_UNASKED_BYTES or yes:
        return
    raise InputError("--sizes", True, f"measuring {spec_name(lay)} at every --quality would write about "
                     f"{_size(total)} into a temporary folder and need {_size(max(e.memory for e in ests))} of "
                     f"memory, over the {_size(MAX_UNASKED_BYTES)} pkgcad does unasked",
                     "add --yes to measure anyway; `pkgcad build` estimates without building")


def spec_name(lay: Layout) -> str:
    return lay.spec.meta.name
