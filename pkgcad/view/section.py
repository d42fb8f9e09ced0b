"""Cross-sections of an exported model: the part meshes (parts/<group>.stl, mm) cut by an axis plane into
closed loops per part, laid out as a patent-style figure (material colours, legend, mm scale bar, optional
leader labels, optional vertical zoom for the thin layers) and written as SVG or PNG.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh

from ..errors import InputError
from ..materials import MATERIALS
from ..reader.folder import OutputFolder as Model
from .figure import RGB, Figure, Line, Paths, Rect, Text, shade, text_width, to_png, to_svg, write_atomic

#: plane name -> (axis normal to the plane, horizontal drawing axis, vertical drawing axis, looking from)
PLANES: dict[str, tuple[int, int, int, str]] = {
    "xz": (1, 0, 2, "-y"),  # front view: x to the right, z up
    "yz": (0, 1, 2, "+x"),  # side view: y to the right, z up
    "xy": (2, 0, 1, "+z"),  # top view: x to the right, y up
}
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

    def anchor(self) -> tuple[float, float]:
        """A point well inside the region (for a label's leader), on a horizontal line through the middle of
        its largest loop: 80 % along the rightmost interior span at least a quarter as wide as the widest."""
        big = max(self.loops, key=lambda lp: abs(_signed_area(lp)))
        v = float((big[:, 1].min() + big[:, 1].max()) / 2)
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
def plane_range(model: Model, plane: str) -> tuple[float, float]:
    axis = PLANES[plane][0]
    lo, hi = model.scene.bounds
    return float(lo[axis]), float(hi[axis])


def busiest_plane(model: Model, plane: str, near: float, span: float = 0.6, steps: int = 121) -> float:
    """The position within ``near`` ± ``span`` mm where the plane crosses the most part groups (the nearest to
    ``near`` among equals): a plane through the centre of a 20 x 20 bump array runs between two rows, one a
    half pitch away cuts a whole row."""
    axis = PLANES[plane][0]
    lo, hi = plane_range(model, plane)
    cand = np.clip(near + np.linspace(-span, span, steps), lo + 1e-6, hi - 1e-6)
    cand = cand[np.argsort(np.abs(cand - near), kind="stable")]
    counts = np.zeros(len(cand), dtype=np.int64)
    for mesh in model.meshes.values():
        c = mesh.triangles[:, :, axis]
        tmin, tmax = np.sort(c.min(axis=1)), np.sort(c.max(axis=1))
        # triangles with tmin < at minus those with tmax <= at: how many straddle each candidate
        straddle = np.searchsorted(tmin, cand, side="left") - np.searchsorted(tmax, cand, side="right")
        counts += straddle > 0
    return float(cand[int(np.argmax(counts))])


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
        rows = model.part_rows(group)
        mat = rows[0]["material"] if rows else "unknown"
        regions.append(Region(group, model.roles[group], mat, color_of(mat), loops))
    blo, bhi = model.scene.bounds
    return Section(model.manifest.get("name", model.root.name), plane, at, used, regions,
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


def arrange(sec: Section, width: int = 1200, zoom_z: float = 1.0, labels: bool = False) -> Figure:
    """The figure of ``sec``: ``width`` px wide, height following from the model's aspect; the vertical axis
    stretched ``zoom_z`` times (a vertical scale bar then shows it)."""
    if not 1 <= zoom_z <= 100:
        raise InputError("--zoom-z", zoom_z, "allowed 1 to 100 (vertical exaggeration)")
    if not 200 <= width <= 8000:
        raise InputError("--width", width, "allowed 200 to 8000 px")
    vert = sec.plane != "xy"
    zoom = zoom_z if vert else 1.0
    hmin, vmin, hmax, vmax = sec.bounds
    margin, top = 40.0, 52.0
    names = {r.group: r.group.replace("_", " ") + f" ({r.material})" for r in sec.regions}
    label_w = (max(text_width(t, 13) for t in names.values()) + 70) if labels and names else 0.0
    draw_w = width - 2 * margin - label_w - (60 if zoom != 1 else 0)
    s = draw_w / max(hmax - hmin, 1e-9)  # px per mm
    max_h = 1.6 * width
    if (vmax - vmin) * s * zoom > max_h:  # a tall top view: shrink to fit
        s = max_h / ((vmax - vmin) * zoom)
    draw_h = (vmax - vmin) * s * zoom
    x0 = margin + (60 if zoom != 1 else 0)

    def px(p: np.ndarray) -> np.ndarray:
        return np.column_stack([x0 + (p[:, 0] - hmin) * s, top + (vmax - p[:, 1]) * s * zoom])

    n_ax, h_ax, v_ax = sec.axes
    title = (f"{sec.name}: section {sec.plane} at {n_ax} = {sec.at:g} mm (seen from {PLANES[sec.plane][3]})"
             + (f", vertical ×{zoom:g}" if zoom != 1 else ""))
    legend_rows = int(np.ceil(len(sec.regions) / 3)) if sec.regions else 1
    height = int(np.ceil(top + draw_h + 70 + 24 * legend_rows + 16))
    fig = Figure(width, height, title=title)
    fig.add(Text(margin, 28, title, 15, bold=True))
    for r in sec.regions:
        fig.add(Paths([px(lp) for lp in r.loops], r.color, shade(r.color, 0.55),
                      {"class": "region", "data-part": r.group, "data-role": r.role, "data-material": r.material}))
    # axes hint
    fig.add(Text(x0 + draw_w, top + draw_h + 18, f"{h_ax} →", 11, anchor="end", color=(0.35, 0.35, 0.35)))
    # leader labels, stacked down the right side in the order of their anchors
    if labels and sec.regions:
        anchors = []
        for r in sec.regions:
            a = px(np.array([r.anchor()]))[0]
            anchors.append((a[1], a[0], r))
        anchors.sort(key=lambda t: t[0])
        tx = x0 + draw_w + 40
        # each label level with its anchor where it can be, at least 18 px apart, all within the drawing's height
        gap, ys = 18.0, list[float]()
        for ay, _, _ in anchors:
            ys.append(max(ay, ys[-1] + gap) if ys else ay)
        limit = max(top + draw_h, top + gap * len(anchors))
        for i in range(len(ys) - 1, -1, -1):
            ys[i] = min(ys[i], limit - (len(ys) - 1 - i) * gap)
        for (ay, ax, r), ty in zip(anchors, ys, strict=True):
            leader = [(ax, ay), (x0 + draw_w + 14, ty), (tx - 4, ty)]
            fig.add(Line(leader, (1.0, 1.0, 1.0), 2.6))  # a white halo keeps it visible over dark mold
            fig.add(Line(leader, (0.1, 0.1, 0.1), 0.9))
            fig.add(Rect(ax - 2.5, ay - 2.5, 5, 5, (1.0, 1.0, 1.0)))
            fig.add(Rect(ax - 1.5, ay - 1.5, 3, 3, (0.1, 0.1, 0.1)))
            fig.add(Text(tx, ty + 4, names[r.group], 13))
    # horizontal scale bar [mm]
    base = top + draw_h + 40
    bar = nice_length((hmax - hmin) / 4)
    bx = x0
    fig.add(Rect(bx, base - 4, bar * s / 2, 6, (0, 0, 0), (0, 0, 0)))
    fig.add(Rect(bx + bar * s / 2, base - 4, bar * s / 2, 6, (1, 1, 1), (0, 0, 0)))
    fig.add(Text(bx, base - 9, "0", 11, anchor="middle"))
    fig.add(Text(bx + bar * s, base - 9, _fmt_mm(bar), 11, anchor="middle"))
    fig.add(Text(bx + bar * s + 40, base + 2, f"scale: {_fmt_mm(bar)} = {bar * s:.0f} px", 11,
                 color=(0.35, 0.35, 0.35)))
    if zoom != 1:  # vertical bar shows the exaggeration
        vbar = nice_length((vmax - vmin) / 2)
        vx = margin + 20
        y1 = top + draw_h
        fig.add(Rect(vx - 3, y1 - vbar * s * zoom, 6, vbar * s * zoom, (0, 0, 0), (0, 0, 0)))
        fig.add(Text(vx - 6, y1 + 16, f"{v_ax} {_fmt_mm(vbar)}", 11, anchor="start"))
        fig.add(Text(vx - 6, y1 + 30, f"(×{zoom:g})", 11, anchor="start"))
    # legend: swatch + part + material, three columns
    ly = base + 30
    col_w = (width - 2 * margin) / 3
    for i, r in enumerate(sec.regions):
        cx, cy = margin + (i % 3) * col_w, ly + (i // 3) * 24
        fig.add(Rect(cx, cy - 12, 22, 14, r.color, shade(r.color, 0.55),
                     {"class": "swatch", "data-part": r.group}))
        fig.add(Text(cx + 30, cy, f"{r.group.replace('_', ' ')} — {r.material}", 12))
    if not sec.regions:
        fig.add(Text(margin, ly, "no part crosses this plane", 12))
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
        write_atomic(Path(path), to_svg(fig))
    else:
        to_png(fig, Path(path))
    return fig
