"""Pictures of an exported model, without a CAD program: sections (SVG/PNG), an isometric preview (PNG) and
a self-contained HTML report. Each function reads the output folder (manifest.json + parts/*.stl, mm), writes
one file atomically and returns a one-line summary; bad input raises :class:`~pkgcad.errors.InputError` with a
one-line message naming the option, the value and what is allowed.
"""

from __future__ import annotations

import time
from pathlib import Path

from .. import bounds
from ..errors import InputError
from ..export.outpath import check_output_file
from ..reader.folder import load_output
from .planes import default_at
from .section import FORMATS, PLANES, cut, write_section

__all__ = ["parse_size", "render_folder", "report_folder", "require_viewer", "section_folder"]


def require_viewer() -> None:
    """Raise (one line saying how to build it) when the report's 3D viewer bundle is missing."""
    from .html import viewer_bundle

    viewer_bundle()


def parse_size(text: str) -> tuple[int, int]:
    """``render --size``: ``WIDTHxHEIGHT`` in pixels (:func:`pkgcad.bounds.parse_dims`; the range is judged by the
    renderer)."""
    w, h = bounds.parse_dims("--size", text, "WIDTHxHEIGHT", "two whole numbers of pixels", "1024x768", integer=True)
    return int(w), int(h)


def section_folder(folder: Path, plane: str = "xz", at: float | None = None, out: Path | None = None,
                   width: int = 1200, zoom_z: float = 1.0, labels: bool = False) -> str:
    """Cut the model in ``folder`` with ``plane`` at ``at`` mm into ``out`` (.svg or .png; default
    ``folder/section_<plane>.svg``). Default ``at``: :func:`pkgcad.view.planes.default_at` (a vertical plane
    through the interconnect row nearest the centre, the top view through the chip's mid-height)."""
    if plane not in PLANES:
        raise InputError("--plane", plane, f"choose one of {' | '.join(PLANES)}")
    dest = check_output_file(out if out is not None else Path(folder) / f"section_{plane}.svg", suffixes=FORMATS)
    t0 = time.perf_counter()
    model = load_output(folder)
    if at is None:
        at = default_at(model, plane)
    sec = cut(model, plane, at)
    fig = write_section(sec, dest, width, zoom_z, labels)
    parts = ", ".join(r.group for r in sec.regions) or "none"
    return (f"{dest}: section {plane} at {sec.axes[0]} = {at:g} mm, {fig.width}x{fig.height} px, "
            f"{dest.stat().st_size / 1e3:.1f} kB, {time.perf_counter() - t0:.2f} s; parts cut: {parts}")


def render_folder(folder: Path, out: Path | None = None, size: str = "1024x768", cut_away: bool = True,
                  zoom_z: float | None = None) -> str:
    """Render the model in ``folder`` isometrically into the PNG ``out`` (default ``folder/render.png``);
    ``zoom_z`` None stretches a thin package so its stack shows (:func:`pkgcad.view.planes.stack_zoom`)."""
    from .render import render

    w, h = parse_size(size)
    dest = check_output_file(out if out is not None else Path(folder) / "render.png", suffixes=(".png",))
    t0 = time.perf_counter()
    res = render(load_output(folder), dest, w, h, cut=cut_away, zoom_z=zoom_z)
    return (f"{dest}: {w}x{h} px, vertical ×{res.zoom_z:g}, {dest.stat().st_size / 1e3:.1f} kB, {res.triangles} "
            f"triangles, {time.perf_counter() - t0:.2f} s")


def report_folder(folder: Path, out: Path | None = None, tol: float | None = None) -> tuple[str, int]:
    """Write the HTML report of ``folder`` (default ``folder/report.html``). Returns the summary line and the
    number of failing claim elements."""
    from ..bounds import DEFAULT_TOL
    from .html import write_report

    require_viewer()  # fail early, before any work, when the bundle is missing
    dest = check_output_file(out if out is not None else Path(folder) / "report.html", suffixes=(".html", ".htm"))
    t0 = time.perf_counter()
    res = write_report(load_output(folder), dest, tol if tol is not None else DEFAULT_TOL)
    verdict = "all pass" if not res.failed else f"{res.failed} FAIL"
    return (f"{res.path}: {res.bytes / 1e6:.2f} MB, {res.checks} claim elements ({verdict}), "
            f"{time.perf_counter() - t0:.1f} s"), res.failed
