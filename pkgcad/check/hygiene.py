"""File hygiene: every part mesh closed, consistently wound, with the volume its source states."""

from __future__ import annotations

from ..reader.blocks import seams
from ..reader.model import Model
from .rows import Row

#: Small round parts lose volume to tessellation: a mesh inscribed in a sphere whose chords stray at most
#: r (1 - cos(a / 2)) from it holds about 1.2 times that fraction less volume. Every quality meshes with an angle
#: a <= 0.5 rad (see ``export.options.QUALITIES``): at most 3.1 % of the radius, measured -2.6 to -3.8 % on
#: balls and bumps (-0.6 % at fine), so 5 % holds with margin and still catches a wrong or damaged part file.
CURVED_VOL_TOL = {"wire": 0.05, "ball": 0.05, "bump": 0.05}


def hygiene(m: Model, tol: float, vol_tol: float = 0.01) -> list[Row]:
    """Every part file watertight, consistently wound, positive volume equal to the one its source states (the
    manifest's, or the exact solids' of a STEP; 1 %; 5 % for wires, balls and bumps, whose tessellation is coarse
    relative to their size).

    Judged on the group's blocks (:mod:`pkgcad.reader.blocks`): each copy of a repeated part or tile piece was
    proven equal to the first, so one copy's edges and the tile seams across all copies decide."""
    rows = []
    for group, blocks in m.blocks.items():
        vtol = CURVED_VOL_TOL.get(m.roles[group], vol_tol)
        want = m.volumes[group]
        vol = sum(b.volume() for b in blocks)
        alone, crowded, doubled = seams(blocks)
        alone += sum(len(b.open_edges) for b in blocks if not b.tiled)
        crowded += sum(b.crowded for b in blocks)
        doubled += sum(b.doubled for b in blocks)
        problems = []
        if alone or crowded:
            problems.append("not watertight" + (f" ({alone} open edges)" if alone else "")
                            + (f" ({crowded} edges shared by more than two faces)" if crowded else ""))
        if doubled:
            problems.append(f"inconsistent winding ({doubled} edges run the same way in two faces)")
        if vol <= 0:
            problems.append("volume not positive")
        rel = (vol - want) / want if want else float("inf")
        if abs(rel) > vtol:
            problems.append(f"volume {vol:.6f} vs {m.volumes_from} {want:.6f} mm³")
        pct = round(rel * 100, 2) + 0.0  # signed (a mesh inscribed in a curved part holds less); no "-0.00"
        notes = [b.note for b in blocks if b.note]
        rows.append(Row("", f"mesh {group}", f"{vol:.5f} mm³ ({pct:+.2f} %)", f"{vtol * 100:.0f} %",
                        not problems, "; ".join(problems + notes) or "watertight, consistent winding"))
    return rows
