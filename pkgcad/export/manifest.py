"""manifest.json: what a folder holds and what was built, for people and for every reader of outputs
(``pkgcad check``, views, report, thermal, KiCad, sweeps). It is constructed as its schema,
:class:`pkgcad.reader.schema.Manifest` (closed: no key the schema does not name), and written as that model's
dump (:meth:`~pkgcad.reader.schema.Manifest.json_text`)."""

from __future__ import annotations

from typing import NamedTuple

from .. import __version__, claims
from ..layout import Layout, Sites
from ..materials import mass_g
from ..package import Package, Part
from ..reader.schema import (
    ArrayRow,
    ConformalSection,
    Embodiment,
    FileRow,
    LayoutSection,
    Manifest,
    MeshQualityRow,
    PartRow,
    PartsLayout,
    Realized,
    TextureRow,
    TileRow,
    Totals,
    WireRow,
)
from ..roles import Role
from ..tessellate import TiledMesh
from .options import MeshQuality

PARTS_LAYOUT: dict[str, PartsLayout] = {"instanced": "instanced", "whole": "instanced", "parts": "every instance",
                                        "all": "every instance"}
"""How each ``--stl`` mode lays out the part files (see :func:`stl_layout`)."""


class _Laid(NamedTuple):
    """How one part's triangles lie in its group's STL (:func:`stl_layout`): the :class:`PartRow` fields."""

    triangles: int
    placements: list[list[float]]
    tiles: TileRow | None


def part_rows(pkg: Package, meshes: dict[str, TiledMesh] | None = None, stl: bool = False) -> list[PartRow]:
    """One summary row per part definition; ``meshes`` (the parts' meshes) give the boxes, and with ``stl`` the
    rows say how the part's triangles lie in its group's STL (see :func:`stl_layout`)."""
    rows = []
    for p in pkg.parts:
        v = p.volume()
        tm = (meshes or {}).get(p.name)
        lo, hi = p.bbox(tm.bounds if tm is not None else None)
        laid = stl_layout(p, tm) if stl and tm is not None else None
        rows.append(PartRow(
            name=p.name,
            role=p.role,
            material=p.material,
            group=p.group,
            count=p.count,
            instances=[pl.name for pl in p.placements],
            volume_mm3=round(v, 9),
            volume_total_mm3=round(v * p.count, 9),
            mass_g=round(mass_g(p.material, v * p.count), 9),
            bbox_mm=[list(lo), list(hi)],
            triangles=laid.triangles if laid else None,
            placements=laid.placements if laid else None,
            tiles=laid.tiles if laid else None,
        ))
    return rows


def stl_layout(part: Part, tm: TiledMesh) -> _Laid:
    """How ``part``'s triangles lie in ``parts/<group>.stl``, so a reader can judge one instance (or one
    distinct tile) and the shifts instead of walking every triangle. The group's file holds its parts in
    manifest order; with ``parts_layout`` "every instance" each part's instances in ``instances`` order (the
    reader proves them copies), with "instanced" each part's mesh ONCE, at its first placement (a tiled part:
    each distinct piece once, in piece order, at its first use):

    - ``triangles``: per instance, in the same order in every instance;
    - ``placements``: [x, y, z, angle_deg] per instance (mm, degrees): the instance is the part's own mesh turned
      by angle_deg about +z, then shifted by (x, y, z);
    - ``tiles`` (a part meshed in tiles): ``piece_triangles`` per distinct tile piece and ``uses`` [piece, dx, dy]
      in file order: the instance's triangles are those pieces shifted by (dx, dy) mm, one use after the other;
      a piece lacks the faces it shares with its neighbours, whose vertices are welded to theirs.
    """
    return _Laid(
        triangles=tm.triangles,
        placements=[[pl.x, pl.y, pl.z, pl.angle_deg] for pl in part.placements],
        tiles=TileRow(piece_triangles=[len(piece.faces) for piece, _shifts in tm.pieces],
                      uses=[[k, dx, dy] for k, dx, dy in tm.uses]) if tm.tiled else None,
    )


def _array(sites: Sites | None) -> ArrayRow | None:
    if sites is None or sites.grid is None:
        return None
    return ArrayRow(requested=sites.requested, realised=sites.realised, grid=[sites.grid.nx, sites.grid.ny],
                    pitch_mm=sites.grid.pitch, peripheral_rows=sites.grid.rows)


def layout_section(lay: Layout) -> LayoutSection:
    """The layout facts readers use: wire end points, the arrays (requested vs realised), the footprint."""
    return LayoutSection(
        footprint_mm=list(lay.footprint),
        wires=[WireRow(name=w.name, start=list(w.start), end=list(w.end)) for w in lay.wires],
        bumps=_array(lay.bumps),
        balls=_array(lay.balls),
        texture=TextureRow(kind=lay.texture.kind, features=lay.texture.count),
        connecting_portion_mm=list(lay.connecting_portion) if lay.connecting_portion else None,
    )


def manifest(pkg: Package, files: dict[str, int], timings: dict[str, float], quality: MeshQuality,
             meshes: dict[str, TiledMesh] | None = None, step_mode: str = "assembly", *,
             stl: str | None = None, conformal: ConformalSection | None = None) -> Manifest:
    """The manifest of ``pkg``; ``stl`` the ``--stl`` mode the part files were written in (None: none were),
    ``conformal`` the conformal model's record (``--step-mode conformal``)."""
    lay, spec = pkg.layout, pkg.spec
    emb = claims.embodiment(spec)
    rows = part_rows(pkg, meshes, stl is not None)
    return Manifest(
        tool="pkgcad",
        version=__version__,
        name=pkg.name,
        title=spec.meta.title,
        claims=list(claims.embodied(emb)),
        embodiment=Embodiment(**emb.as_dict()),
        parameters=spec,
        realized=Realized(
            wires=pkg.count(Role.WIRE),
            bumps=pkg.count(Role.BUMP),
            balls=pkg.count(Role.BALL),
            leads=sum(p.count for p in pkg.parts if p.name == "lead"),
            texture_features=lay.texture.count,
        ),
        stack_mm=dict(vars(lay.stack)),
        layout=layout_section(lay),
        parts=rows,
        totals=Totals(
            instances=pkg.instance_count(),
            volume_mm3=round(sum(r.volume_total_mm3 for r in rows), 6),
            mass_g=round(sum(r.mass_g for r in rows), 6),
        ),
        mesh_quality=MeshQualityRow(name=quality.name, linear_mm=quality.linear, angular_rad=quality.angular),
        step_mode=step_mode,
        stl=stl,
        parts_layout=PARTS_LAYOUT[stl] if stl is not None else "every instance",
        files=[FileRow(path=p, bytes=n) for p, n in sorted(files.items())],
        timings_s={k: round(v, 3) for k, v in timings.items()},
        conformal=conformal,
    )
