"""The gmsh script beside the conformal STEP: ``<name>.geo`` opens ``<name>.step`` in gmsh with one physical volume
per part and one per material, and the mesh settings that work on the model, from the two files alone (no pkgcad,
no manifest). Millimetres.

gmsh names STEP volumes after products only, never after the items of one non-manifold representation, so the
groups are declared here, by each solid's place in the STEP (``ShapeFromFile`` returns the volumes in file order:
solid i of the model is ``v(i-1)``, the order manifest.json's ``conformal.solids`` records and
:func:`pkgcad.conformal.mesh.load` proves by volume and centroid).

Mesh settings: a size limit and curvature sizing (:data:`CURVATURE`), gmsh's default algorithms (Frontal-Delaunay
faces, Delaunay volumes, optimised). Measured on qfn (gmsh 4.15, load average 10 on 2 cores): 304k tetrahedra,
24.6 s CPU, worst SICN 1.5e-4; 2-D Delaunay instead: 28.3 s, 3.6e-5; HXT volumes without optimisation (what
``--mesh-check`` uses to prove conformity fast): 5.1 s but slivers (SICN 1.5e-16); HXT with optimisation stalled
on qfn (see :mod:`pkgcad.conformal.check`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .model import Solid
from .options import DEFAULT_SIZE

CURVATURE = 6
"""``Mesh.MeshSizeFromCurvature``: elements per 2 pi radius of curvature. With a size limit alone gmsh stops on the
25 um wires ("Invalid boundary mesh (overlapping facets)"); with this it meshes every template."""
MATERIAL_PREFIX = "material:"
"""Physical groups by material are named ``material:<name>`` (part groups by the part's name)."""


def _ranges(indices: Iterable[int]) -> str:
    """0-based ``indices`` as gmsh list items of ``v()``: ``v(3)``, ``v({5:9})``."""
    out: list[str] = []
    run: list[int] = []
    for i in sorted(indices):
        if run and i != run[-1] + 1:
            out.append(f"v({run[0]})" if len(run) == 1 else f"v({{{run[0]}:{run[-1]}}})")
            run = []
        run.append(i)
    if run:
        out.append(f"v({run[0]})" if len(run) == 1 else f"v({{{run[0]}:{run[-1]}}})")
    return ", ".join(out)


def geo_text(step_file: str, solids: Sequence[Solid], header: str, size: float = DEFAULT_SIZE) -> str:
    """The .geo script for ``step_file`` (a name beside it) holding ``solids`` in this order; ``header`` says what the
    model is (one line)."""
    n = len(solids)
    stem = step_file.rsplit(".", 1)[0]
    parts: dict[str, list[int]] = {}
    materials: dict[str, list[int]] = {}
    for i, s in enumerate(solids):
        parts.setdefault(s.part, []).append(i)
        materials.setdefault(s.material, []).append(i)
    lines = [
        f"// {header}",
        f"// The conformal model for gmsh, in millimetres. Open it (gmsh's File > Open, or `gmsh {stem}.geo`), or",
        f"// mesh it: `gmsh {stem}.geo -3 -o {stem}.msh`. Its solids already share their contact faces: do not",
        "// fragment them.",
        f"// Physical volumes: one per part ({len(parts)}, named after the part) and one per material",
        f"// ({len(materials)}, \"{MATERIAL_PREFIX}<name>\"); each solid is in one of each.",
        'SetFactory("OpenCASCADE");',
        f'v() = ShapeFromFile("{step_file}");',
        f"If (#v() != {n})",
        f'  Error("{step_file}: gmsh found %g volumes; this script is for the {n} solids pkgcad wrote", #v());',
        "  Exit(1);",
        "EndIf",
    ]
    lines += [f'Physical Volume("{part}") = {{{_ranges(ix)}}};' for part, ix in parts.items()]
    lines += [f'Physical Volume("{MATERIAL_PREFIX}{m}") = {{{_ranges(ix)}}};' for m, ix in materials.items()]
    lines += [
        f"// Tetrahedra of at most {size:g} mm, finer where faces curve ({CURVATURE} elements per 2 pi radius: the",
        "// wires need it; a size limit alone fails on them with \"Invalid boundary mesh (overlapping facets)\");",
        "// gmsh's default algorithms.",
        f"Mesh.MeshSizeMax = {size:g};",
        f"Mesh.MeshSizeFromCurvature = {CURVATURE};",
        "",
    ]
    return "\n".join(lines)
