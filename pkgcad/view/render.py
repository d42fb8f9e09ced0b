"""An isometric PNG preview of an exported model, drawn offscreen by a small numpy z-buffer rasteriser: no
screen, no GPU, no OpenGL. One quadrant (the one nearest the viewer) can be cut away; where the cut opens a
part, its section is filled with the part's material colour, so the stack reads like a patent figure.

How the cutaway works: fragments inside the removed quadrant are dropped. A ray that then meets the BACK of
a part first must have entered that part through the cut, so the pixel shows the part's section (flat,
full colour, lit as the cut plane); solids never overlap, so no other part can be in between.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import bounds
from ..export.staging import write_file
from ..reader.model import Model
from .figure import png_info
from .planes import default_at, stack_zoom
from .section import color_of

#: where the viewer is: +x, -y, +z (true isometric); the cut removes the x > cx, y < cy quadrant
EYE = np.array([1.0, -1.0, 1.0]) / np.sqrt(3.0)
LIGHT = np.array([-0.25, -0.55, 1.0]) / np.linalg.norm([-0.25, -0.55, 1.0])
BACK_BIAS = 1e-5  # mm: a part's back face wins a tie with a coincident front face (it is the section)
MAX_FRAGS = 3_000_000  # fragments rasterised per chunk (bounds the memory)


@dataclass
class RenderResult:
    width: int
    height: int
    seconds: float
    triangles: int
    cut: bool
    zoom_z: float = 1.0
    visible: dict[str, int] = field(default_factory=dict)  # pixels per part group
    title: str = ""  # the line drawn on the picture


def _camera() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = -EYE  # looking direction
    r = np.cross(d, [0.0, 0.0, 1.0])
    r /= np.linalg.norm(r)
    u = np.cross(r, d)
    return r, u, d


def _fragments(sx: np.ndarray, sy: np.ndarray, w: int, h: int, limited: np.ndarray | None = None,
               lim: tuple[np.ndarray, np.ndarray] | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Scan-convert triangles: every pixel centre inside one, as triangle index, pixel x, pixel y and the
    barycentric weights of corners 1 and 2. ``sx``/``sy``: (n, 3) screen coordinates (pixels, y down).

    Work is proportional to the pixels covered (one span per triangle and row), not to bounding boxes, so
    long thin triangles of a fan-triangulated face cost no more than their area. Triangles flagged
    ``limited`` only cover columns ``lim[0][row]`` to ``lim[1][row]`` of each row."""
    n = len(sx)
    r0 = np.clip(np.ceil(sy.min(axis=1) - 0.5), 0, h).astype(np.int64)
    r1 = np.clip(np.floor(sy.max(axis=1) - 0.5), -1, h - 1).astype(np.int64)
    rows = np.maximum(r1 - r0 + 1, 0)
    t = np.repeat(np.arange(n), rows)
    if not len(t):
        e = np.zeros(0, dtype=np.int64)
        return e, e, e, np.zeros(0), np.zeros(0)
    row = r0[t] + (np.arange(len(t)) - np.repeat(np.cumsum(rows) - rows, rows))
    yc = row + 0.5
    xl = np.full(len(t), np.inf)
    xr = np.full(len(t), -np.inf)
    for i, j in ((0, 1), (1, 2), (2, 0)):
        ya, yb, xa, xb = sy[t, i], sy[t, j], sx[t, i], sx[t, j]
        span = (np.minimum(ya, yb) <= yc) & (yc <= np.maximum(ya, yb)) & (ya != yb)
        x = xa + (yc - ya) * (xb - xa) / np.where(ya != yb, yb - ya, 1.0)
        xl = np.where(span, np.minimum(xl, x), xl)
        xr = np.where(span, np.maximum(xr, x), xr)
    c0 = np.clip(np.ceil(xl - 0.5), 0, w).astype(np.int64)
    c1 = np.clip(np.floor(xr - 0.5), -1, w - 1).astype(np.int64)
    if limited is not None and lim is not None:
        on = limited[t]
        c0 = np.where(on, np.maximum(c0, lim[0][row]), c0)
        c1 = np.where(on, np.minimum(c1, lim[1][row]), c1)
    cols = np.where(np.isfinite(xl), np.maximum(c1 - c0 + 1, 0), 0)
    k = np.repeat(np.arange(len(t)), cols)
    px = c0[k] + (np.arange(len(k)) - np.repeat(np.cumsum(cols) - cols, cols))
    py = row[k]
    tri = t[k]
    ax, ay = sx[tri, 0], sy[tri, 0]
    bx, by = sx[tri, 1], sy[tri, 1]
    qx, qy = sx[tri, 2], sy[tri, 2]
    cx, cy = px + 0.5, py + 0.5
    area = (bx - ax) * (qy - ay) - (by - ay) * (qx - ax)
    w1 = ((cx - ax) * (qy - ay) - (cy - ay) * (qx - ax)) / area
    w2 = ((bx - ax) * (cy - ay) - (by - ay) * (cx - ax)) / area
    return tri, px, py, np.clip(w1, 0, 1), np.clip(w2, 0, 1)


def render(model: Model, path: Path, width: int = 1200, height: int = 900, cut: bool = True,
           zoom_z: float | None = None, supersample: int = 2, title: bool = True) -> RenderResult:
    """Render ``model`` isometrically into the PNG ``path`` (``width`` x ``height`` px), atomically. The front
    quadrant is cut away along the planes :func:`~pkgcad.view.planes.default_at` picks (through a row of
    balls and bumps); ``zoom_z`` None stretches a thin package vertically (:func:`~.planes.stack_zoom`), and the
    title says so."""
    from PIL import Image, ImageDraw, ImageFont

    for side in (width, height):
        bounds.check("render --size", side, f"{width}x{height}")
    if zoom_z is None:
        zoom_z = stack_zoom(model)
    bounds.check("render --zoom-z", zoom_z)
    t0 = time.perf_counter()
    ss = max(1, supersample)
    W, H = width * ss, height * ss
    names = list(model.meshes)
    colors = np.array([color_of(model.materials.get(g) or "unknown") for g in names])
    tris = np.concatenate([model.meshes[g].triangles for g in names]) * [1.0, 1.0, zoom_z]
    owner = np.repeat(np.arange(len(names)), [len(model.meshes[g].faces) for g in names])
    normals = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
    nlen = np.linalg.norm(normals, axis=1)
    keep = nlen > 1e-14
    tris, owner, normals = tris[keep], owner[keep], normals[keep] / nlen[keep, None]
    r, u, d = _camera()
    lo, hi = tris.reshape(-1, 3).min(axis=0), tris.reshape(-1, 3).max(axis=0)
    # cut where the sections cut by default (through a row of balls and bumps), nudged off any mesh vertex
    cx0, cy0 = default_at(model, "yz"), default_at(model, "xz")
    cx, cy = cx0 + 1.3e-4, cy0 - 1.1e-4

    # fit the model's screen box into the image with a margin
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    if cut:  # the removed corner leaves no picture: fit what stays, down to the cut planes' edges
        corners = corners[~((corners[:, 0] > cx) & (corners[:, 1] < cy))]
        corners = np.vstack([corners, *([[cx, lo[1], z], [hi[0], cy, z]] for z in (lo[2], hi[2]))])
    cu, cv = corners @ r, corners @ u
    top_pad = 44 * ss if title else 16 * ss
    pad = 24 * ss
    scale = min((W - 2 * pad) / (cu.max() - cu.min()), (H - pad - top_pad) / (cv.max() - cv.min()))
    ox = W / 2 - scale * (cu.max() + cu.min()) / 2
    oy = top_pad + (H - pad - top_pad) / 2 + scale * (cv.max() + cv.min()) / 2
    sx = ox + scale * (tris @ r)
    sy = oy - scale * (tris @ u)
    depth = tris @ d
    back = normals @ d > 0
    depth = depth - BACK_BIAS * back[:, None]
    # a back face can only be seen through the cut (as a section): rasterise back faces only inside the
    # screen outline of the two cut rectangles, and none at all without a cut
    lim = _opening_rows(ox, oy, scale, r, u, lo, hi, cx, cy, W, H) if cut else None

    zbuf = np.full(W * H, np.inf)
    win = np.full(W * H, -1, dtype=np.int64)
    cap = np.zeros(W * H, dtype=bool)
    on_screen = (sx.max(axis=1) >= 0) & (sx.min(axis=1) < W) & (sy.max(axis=1) >= 0) & (sy.min(axis=1) < H)
    area2 = np.abs((sx[:, 1] - sx[:, 0]) * (sy[:, 2] - sy[:, 0]) - (sy[:, 1] - sy[:, 0]) * (sx[:, 2] - sx[:, 0]))
    wanted = on_screen & (area2 > 1e-12)
    if lim is None:
        wanted &= ~back
    else:
        rows_open = np.nonzero(lim[0] <= lim[1])[0]
        if len(rows_open):
            top_row, bottom_row = rows_open[0], rows_open[-1]
            wanted &= ~back | ((sy.max(axis=1) >= top_row) & (sy.min(axis=1) <= bottom_row + 1))
        else:
            wanted &= ~back
    visible = np.nonzero(wanted)[0]
    # batches of about MAX_FRAGS covered pixels (area + a perimeter's worth of edge pixels)
    cost = np.cumsum(area2[visible] / 2 + (sy[visible].max(axis=1) - sy[visible].min(axis=1)) + 2)
    cuts = np.searchsorted(cost, np.arange(MAX_FRAGS, cost[-1] + MAX_FRAGS, MAX_FRAGS)) if len(cost) else \
        np.zeros(0, dtype=np.int64)
    for idx in np.split(visible, cuts):
        if len(idx):
            t, px, py, w1, w2 = _fragments(sx[idx], sy[idx], W, H, back[idx], lim)
            if not len(t):
                continue
            tri = idx[t]
            w0 = 1 - w1 - w2
            z = w0 * depth[tri, 0] + w1 * depth[tri, 1] + w2 * depth[tri, 2]
            if cut:
                wx = w0 * tris[tri, 0, 0] + w1 * tris[tri, 1, 0] + w2 * tris[tri, 2, 0]
                wy = w0 * tris[tri, 0, 1] + w1 * tris[tri, 1, 1] + w2 * tris[tri, 2, 1]
                ok = ~((wx > cx) & (wy < cy))
                tri, px, py, z = tri[ok], px[ok], py[ok], z[ok]
                if not len(tri):
                    continue
            pix = py * W + px
            np.minimum.at(zbuf, pix, z)
            won = z == zbuf[pix]
            win[pix[won]] = tri[won]
    hit = win >= 0
    cap[hit] = back[win[hit]]

    # shading: lit outer faces; sections flat in full colour, lit as their cut plane
    rgb = np.ones((W * H, 3))
    part = np.full(W * H, -1, dtype=np.int64)
    part[hit] = owner[win[hit]]
    n = np.zeros((W * H, 3))
    n[hit] = normals[win[hit]]
    if cut and cap.any():
        # the plane the ray crossed last on its way out of the removed quadrant towards the eye
        ys, xs = np.divmod(np.nonzero(cap)[0], W)
        n_cap = np.where(_cap_on_x(xs, ys, zbuf[cap], ox, oy, scale, r, u, d, cx, cy)[:, None],
                         [1.0, 0.0, 0.0], [0.0, -1.0, 0.0])
        n[cap] = n_cap
    lambert = np.clip(n @ LIGHT, 0, 1)
    inten = np.where(cap, 0.78 + 0.22 * lambert, 0.32 + 0.68 * lambert)
    rgb[hit] = colors[part[hit]] * inten[hit, None]
    # outlines: where the part, the section flag or the facet normal changes
    img = rgb.reshape(H, W, 3)
    key_p = part.reshape(H, W)
    key_c = cap.reshape(H, W)
    nn = n.reshape(H, W, 3)
    edge = np.zeros((H, W), dtype=bool)
    for dy, dx in ((0, 1), (1, 0)):
        a = (slice(0, H - dy), slice(0, W - dx))
        b = (slice(dy, H), slice(dx, W))
        both = (key_p[a] >= 0) & (key_p[b] >= 0)
        e = (key_p[a] != key_p[b]) | (key_c[a] != key_c[b]) | (both & ((nn[a] * nn[b]).sum(axis=-1) < 0.8))
        edge[a] |= e
    img[edge] *= 0.45
    out = Image.fromarray((np.clip(img, 0, 1) * 255).round().astype(np.uint8), "RGB")
    if ss > 1:
        out = out.resize((width, height), Image.Resampling.LANCZOS)
    name = model.name
    text = f"{name}: isometric" + (f", front quadrant cut away at x = {cx0:g}, y = {cy0:g} mm" if cut else "") + (
        f", vertical ×{zoom_z:g}" if zoom_z != 1 else "")
    if title:
        draw = ImageDraw.Draw(out)
        try:
            font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.truetype("DejaVuSans.ttf", 15)
        except OSError:
            font = ImageFont.load_default(15)
        draw.text((16, 14), text, fill=(20, 20, 20), font=font)
    write_file(Path(path), lambda p: out.save(p, format="PNG", optimize=True, pnginfo=png_info()))
    counts = np.bincount(part[hit], minlength=len(names))
    return RenderResult(width, height, time.perf_counter() - t0, len(tris), cut, zoom_z,
                        {g: int(c) for g, c in zip(names, counts, strict=True)}, text if title else "")


def _opening_rows(ox: float, oy: float, scale: float, r: np.ndarray, u: np.ndarray, lo: np.ndarray,
                  hi: np.ndarray, cx: float, cy: float, w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """Per pixel row, the first and last column of the screen outline of the cut faces (the planes x = cx
    and y = cy across the removed quadrant), widened by 3 px; first > last where a row has none."""
    from PIL import Image, ImageDraw, ImageFilter

    quads = [[(cx, lo[1], lo[2]), (cx, cy, lo[2]), (cx, cy, hi[2]), (cx, lo[1], hi[2])],
             [(cx, cy, lo[2]), (hi[0], cy, lo[2]), (hi[0], cy, hi[2]), (cx, cy, hi[2])]]
    mask = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(mask)
    for q in quads:
        p = np.array(q, dtype=float)
        draw.polygon([(float(a), float(b)) for a, b in zip(ox + scale * (p @ r), oy - scale * (p @ u), strict=True)],
                     fill=255)
    m = np.asarray(mask.filter(ImageFilter.MaxFilter(7))) > 0
    anyc = m.any(axis=1)
    first = np.where(anyc, m.argmax(axis=1), w)
    last = np.where(anyc, w - 1 - m[:, ::-1].argmax(axis=1), -1)
    return first.astype(np.int64), last.astype(np.int64)


def _cap_on_x(xs: np.ndarray, ys: np.ndarray, z: np.ndarray, ox: float, oy: float, scale: float,
              r: np.ndarray, u: np.ndarray, d: np.ndarray, cx: float, cy: float) -> np.ndarray:
    """For section pixels: did the eye ray leave the removed quadrant through the x = cx plane (True) or the
    y = cy plane (False)? Works back from the pixel and its depth to the world point."""
    su = (xs + 0.5 - ox) / scale
    sv = (oy - (ys + 0.5)) / scale
    p = su[:, None] * r + sv[:, None] * u + z[:, None] * d  # world point of the back face
    # towards the eye (-d): x grows, y falls; the ray is in the removed quadrant after both crossings
    tx = (cx - p[:, 0]) / -d[0]
    ty = (cy - p[:, 1]) / -d[1]
    return tx > ty
