"""Cross-sections of an exported model: the part meshes (parts/<group>.stl, mm) cut by an axis plane into
closed loops per part, laid out as a patent-style figure (material colours, legend, mm scale bar, optional
leader labels, optional vertical zoom for the thin layers) and written as SVG or PNG.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh

from .. import bounds
from ..errors import InputError
from ..export.staging import write_file
from ..materials import MATERIALS
from ..reader.model import Model
from .figure import RGB, Figure, FilledRect, Line, Paths, Text, shade, text_width, to_png, to_svg
from .labels import LANE, lanes_needed, lay_out
from .planes import PLANES, busiest_plane, default_at, plane_range

__all__ = ["PLANES", "Region", "Section", "arrange", "busiest_plane", "cut", "default_at", "plane_range",
           "write_section"]
AXIS_NAMES = "xyz"
UNKNOWN_COLOR: RGB = (0.6, 0.6, 0.6)


@dataclass
class Region:
    """What one part group (one STL file) leaves on the plane: closed loops in drawing coordinates [mm]."""

    group: str
    role: str
    material: str
    color: RGB
    loops: list[np.ndarray]  # each (n, 2): horizontal, vertical [mm]

    @property
    def area_mm2(self) -> float:
        """Even-odd area: outer loops minus holes (loops of one part never cross)."""
        areas = [abs(_signed_area(lp)) for lp in self.loops]
        depth = [sum(_inside(lp[0], other) for j, other in enumerate(self.loops) if j != i)
                 for i, lp in enumerate(self.loops)]
        return float(sum(a if d % 2 == 0 else -a for a, d in zip(areas, depth, strict=True)))

    def anchor(self, frac: float = 0.5) -> tuple[float, float]:
        """A point well inside the region (for a label's leader), on a horizontal line ``frac`` of the way up
        its largest loop: 80 % along the rightmost interior span at least a quarter as wide as the widest."""
        big = max(self.loops, key=lambda lp: abs(_signed_area(lp)))
        v = float(big[:, 1].min() + frac * (big[:, 1].max() - big[:, 1].min()))
        xs: list[float] = []
        for lp in self.loops:
            a, b = lp, np.roll(lp, -1, axis=0)
            cross = (a[:, 1] > v) != (b[:, 1] > v)  # half-open: a corner on the line counts once
            t = (v - a[cross, 1]) / (b[cross, 1] - a[cross, 1])
            xs.extend((a[cross, 0] + t * (b[cross, 0] - a[cross, 0])).tolist())
        xs.sort()
        spans = [(xs[i], xs[i + 1]) for i in range(0, len(xs) - 1, 2)]
        if not spans:
            return float(big[:, 0].mean()), v
        # the rightmost span of a useful width, near its right end: leaders to the label column (on the right)
        # stay short and nearly level, so they rarely cross
        widest = max(s[1] - s[0] for s in spans)
        lo, hi = max((s for s in spans if s[1] - s[0] >= 0.25 * widest), key=lambda s: s[1])
        return lo + 0.8 * (hi - lo), v


@dataclass
class Section:
    name: str
    plane: str
    at: float  # where the user asked [mm]
    at_used: float  # nudged off any mesh vertex, by at most 2e-6 mm
    regions: list[Region]
    bounds: tuple[float, float, float, float]  # hmin, vmin, hmax, vmax of the whole model [mm]

    @property
    def axes(self) -> tuple[str, str, str]:
        n, h, v, _ = PLANES[self.plane]
        return AXIS_NAMES[n], AXIS_NAMES[h], AXIS_NAMES[v]


def _signed_area(loop: np.ndarray) -> float:
    x, y = loop[:, 0], loop[:, 1]
    return float(0.5 * (np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _inside(p: np.ndarray, loop: np.ndarray) -> bool:
    a, b = loop, np.roll(loop, -1, axis=0)
    cross = (a[:, 1] > p[1]) != (b[:, 1] > p[1])
    xs = a[cross, 0] + (p[1] - a[cross, 1]) * (b[cross, 0] - a[cross, 0]) / (b[cross, 1] - a[cross, 1])
    return bool(np.count_nonzero(xs > p[0]) % 2)


def color_of(material: str) -> RGB:
    m = MATERIALS.get(material)
    return m.color if m else UNKNOWN_COLOR


# ------------------------------------------------------------------------------------------- cutting
def _nudged(meshes: list[trimesh.Trimesh], axis: int, at: float) -> float:
    """``at`` moved by up to 2e-6 mm so that no vertex lies on the plane (a plane through a vertex or a face
    gives degenerate segments)."""
    coords = np.concatenate([m.vertices[:, axis] for m in meshes])
    for d in (0.0, 1e-6, -1e-6, 2e-6, -2e-6, 1.5e-6):
        if not np.any(np.abs(coords - (at + d)) < 1e-9):
            return at + d
    return at + 1.3e-6


def slice_loops(mesh: trimesh.Trimesh, axis: int, at: float, h: int, v: int) -> list[np.ndarray]:
    """The closed loops where ``mesh`` meets the plane ``coord[axis] == at``, in (h, v) coordinates."""
    from scipy.sparse import coo_matrix  # here, not at the top: keeps `pkgcad --help` quick
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    normal = np.zeros(3)
    normal[axis] = 1.0
    origin = normal * at
    lo, hi = mesh.bounds
    if not lo[axis] < at < hi[axis]:
        return []
    segs = trimesh.intersections.mesh_plane(mesh, normal, origin)
    if len(segs) == 0:
        return []
    pts = segs[:, :, [h, v]].reshape(-1, 2)
    # weld end points that are the same edge crossing computed from two triangles
    pairs = cKDTree(pts).query_pairs(1e-7, output_type="ndarray")
    n = len(pts)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n)) if len(pairs) else \
        coo_matrix((n, n))
    _, label = connected_components(graph, directed=False)
    ends = label.reshape(-1, 2)
    ends = ends[ends[:, 0] != ends[:, 1]]
    point_of = np.zeros((label.max() + 1, 2))
    point_of[label] = pts
    adj: dict[int, list[int]] = {}
    for a, b in ends.tolist():
        adj.setdefault(a, []).append(b)
        adj.setdefault(b, []).append(a)
    seen: set[int] = set()
    loops: list[np.ndarray] = []
    for start in adj:
        if start in seen:
            continue
        loop, prev, cur = [start], -1, start
        seen.add(start)
        while True:
            nxt = next((q for q in adj[cur] if q != prev and q not in seen), None)
            if nxt is None:
                break
            seen.add(nxt)
            loop.append(nxt)
            prev, cur = cur, nxt
        if len(loop) >= 3:
            arr = point_of[loop]
            if abs(_signed_area(arr)) > 1e-12:
                loops.append(arr)
    return loops


def cut(model: Model, plane: str, at: float) -> Section:
    """Cut every part of ``model`` with ``plane`` (xz | yz | xy) at ``at`` mm along its normal axis."""
    if plane not in PLANES:
        raise InputError("--plane", plane, f"choose one of {' | '.join(PLANES)}")
    axis, h, v, _ = PLANES[plane]
    lo, hi = plane_range(model, plane)
    if not lo < at < hi:
        raise InputError("--at", at, f"the {plane} plane must cross the model: {AXIS_NAMES[axis]} strictly "
                         f"between {lo:.4f} and {hi:.4f} mm")
    meshes = list(model.meshes.values())
    used = _nudged(meshes, axis, at)
    regions = []
    for group, mesh in model.meshes.items():
        loops = slice_loops(mesh, axis, used, h, v)
        if not loops:
            continue
        mat = model.materials.get(group) or "unknown"
        regions.append(Region(group, model.roles[group], mat, color_of(mat), loops))
    blo, bhi = model.scene.bounds
    return Section(model.name, plane, at, used, regions,
                   (float(blo[h]), float(blo[v]), float(bhi[h]), float(bhi[v])))


# -------------------------------------------------------------------------------------------- layout
def nice_length(target: float) -> float:
    """The 1-2-5 length nearest below ``target`` (for scale bars)."""
    if target <= 0:
        return 1.0
    k = 10 ** np.floor(np.log10(target))
    return float(max(m * k for m in (1, 2, 5) if m * k <= target))


def _fmt_mm(x: float) -> str:
    return f"{x:g} mm" if x >= 0.01 else f"{x * 1000:g} µm"


def _anchors(sec: Section, px: Callable[[np.ndarray], np.ndarray]) -> list[tuple[float, float]]:
    """Each region's leader anchor in pixels, nudged up or down inside the region where two would sit level
    (two leaders at one height would run on top of each other)."""
    out: list[tuple[float, float]] = []
    for r in sec.regions:
        for frac in (0.5, 0.35, 0.65, 0.2, 0.8, 0.1, 0.9):
            a = px(np.array([r.anchor(frac)]))[0]
            if all(abs(a[1] - b[1]) >= 3.0 for b in out):
                break
        out.append((float(a[0]), float(a[1])))
    return out


def arrange(sec: Section, width: int = 1200, zoom_z: float = 1.0, labels: bool = False) -> Figure:
    """The figure of ``sec``: ``width`` px wide, height following from the model's aspect; the vertical axis
    stretched ``zoom_z`` times (a short vertical scale bar beside the horizontal one then shows it).

    Layout, top to bottom: title; drawing (with leader labels in a column on its right, never crossing, see
    :mod:`.labels`); scale bars; legend. Everything below the drawing starts below the lowest label too, so a
    label never lies on the legend."""
    bounds.check("section --zoom-z", zoom_z)
    bounds.check("section --width", width)
    vert = sec.plane != "xy"
    zoom = zoom_z if vert else 1.0
    hmin, vmin, hmax, vmax = sec.bounds
    margin, top, gap = 40.0, 52.0, 18.0
    names = {r.group: r.group.replace("_", " ") + f" ({r.material})" for r in sec.regions}
    text_w = max((text_width(t, 13) for t in names.values()), default=0.0)
    gutter = 40.0
    label_w = 0.0
    if labels and names:
        # lanes for the leaders: sized on a first guess of the drawing, then the drawing shrinks to make room
        guess_s = (width - 2 * margin - text_w - gutter) / max(hmax - hmin, 1e-9)
        guess = [top + (vmax - r.anchor()[1]) * guess_s * zoom for r in sec.regions]
        n = lanes_needed(guess, top, top + (vmax - vmin) * guess_s * zoom, gap)
        gutter = max(gutter, 2 * LANE + LANE * n + 8)
        label_w = gutter + text_w + 8
    draw_w = width - 2 * margin - label_w
    s = draw_w / max(hmax - hmin, 1e-9)  # px per mm
    max_h = 1.6 * width
    if (vmax - vmin) * s * zoom > max_h:  # a tall top view: shrink to fit
        s = max_h / ((vmax - vmin) * zoom)
    draw_h = (vmax - vmin) * s * zoom
    x0 = margin

    def px(p: np.ndarray) -> np.ndarray:
        return np.column_stack([x0 + (p[:, 0] - hmin) * s, top + (vmax - p[:, 1]) * s * zoom])

    n_ax, h_ax, v_ax = sec.axes
    title = (f"{sec.name}: section {sec.plane} at {n_ax} = {sec.at:g} mm (seen from {PLANES[sec.plane][3]})"
             + (f", vertical ×{zoom:g}" if zoom != 1 else ""))
    items: list[Paths | Line | FilledRect | Text] = [Text(margin, 28, title, 15, bold=True)]
    for r in sec.regions:
        items.append(Paths([px(lp) for lp in r.loops], r.color, shade(r.color, 0.55),
                           {"class": "region", "data-part": r.group, "data-role": r.role, "data-material": r.material}))
    right = x0 + draw_w
    items.append(Text(right, top + draw_h + 18, f"{h_ax} →", 11, anchor="end", color=(0.35, 0.35, 0.35)))
    low = top + draw_h  # the lowest thing drawn so far
    if labels and sec.regions:
        anchors = _anchors(sec, px)
        tx = right + gutter
        for (ax, ay), r, lead in zip(anchors, sec.regions, lay_out(anchors, top, top + draw_h, (right, tx - 4), gap),
                                     strict=True):
            items.append(Line(lead.points, (1.0, 1.0, 1.0), 2.6))  # a white halo keeps it visible over dark mold
            items.append(Line(lead.points, (0.1, 0.1, 0.1), 0.9, {"class": "leader", "data-part": r.group}))
            items.append(FilledRect(ax - 2.5, ay - 2.5, 5, 5, (1.0, 1.0, 1.0)))
            items.append(FilledRect(ax - 1.5, ay - 1.5, 3, 3, (0.1, 0.1, 0.1)))
            items.append(Text(tx, lead.label_y + 4, names[r.group], 13, attrs={"class": "label", "data-part": r.group}))
            low = max(low, lead.label_y + 6)
    # scale bars: horizontal, and (zoomed) a short vertical one standing on its left end, about 40-80 px tall
    bar = nice_length((hmax - hmin) / 4)
    vbar = nice_length(80 / (s * zoom)) if zoom != 1 else 0.0
    base = low + 40 + vbar * s * zoom
    bx = x0
    items += [FilledRect(bx, base - 4, bar * s / 2, 6, (0, 0, 0), (0, 0, 0), {"class": "scale-h"}),
              FilledRect(bx + bar * s / 2, base - 4, bar * s / 2, 6, (1, 1, 1), (0, 0, 0), {"class": "scale-h"}),
              Text(bx, base + 16, "0", 11, anchor="middle"),
              Text(bx + bar * s, base + 16, _fmt_mm(bar), 11, anchor="middle"),
              Text(bx + bar * s + 40, base + 2, f"scale: {_fmt_mm(bar)} = {bar * s:.0f} px", 11,
                   color=(0.35, 0.35, 0.35))]
    if zoom != 1:
        vh = vbar * s * zoom
        items += [FilledRect(bx, base - 4 - vh, 6, vh, (0, 0, 0), (0, 0, 0), {"class": "scale-v"}),
                  Text(bx + 12, base - vh + 8, f"{v_ax} {_fmt_mm(vbar)} (×{zoom:g})", 11)]
    # legend: swatch + part + material, three columns
    ly = base + 44
    col_w = (width - 2 * margin) / 3
    for i, r in enumerate(sec.regions):
        cx, cy = margin + (i % 3) * col_w, ly + (i // 3) * 24
        items.append(FilledRect(cx, cy - 12, 22, 14, r.color, shade(r.color, 0.55),
                          {"class": "swatch", "data-part": r.group}))
        items.append(Text(cx + 30, cy, f"{r.group.replace('_', ' ')} — {r.material}", 12, attrs={"class": "legend"}))
    if not sec.regions:
        items.append(Text(margin, ly, "no part crosses this plane", 12))
    rows = int(np.ceil(len(sec.regions) / 3)) if sec.regions else 1
    fig = Figure(width, int(np.ceil(ly + 24 * (rows - 1) + 16)), title=title)
    for it in items:
        fig.add(it)
    return fig


# --------------------------------------------------------------------------------------------- write
FORMATS = (".svg", ".png")


def write_section(sec: Section, path: Path, width: int = 1200, zoom_z: float = 1.0, labels: bool = False) -> Figure:
    """Write the figure of ``sec`` to ``path`` (.svg or .png, chosen by the suffix), atomically."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError("-o", str(path), f"the file must end in {' or '.join(FORMATS)}")
    fig = arrange(sec, width, zoom_z, labels)
    if suffix == ".svg":
        write_file(Path(path), to_svg(fig))
    else:
        to_png(fig, Path(path))
    return fig
