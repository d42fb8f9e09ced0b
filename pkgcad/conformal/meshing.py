"""The solver mesh of a :class:`~pkgcad.conformal.fem.FemModel`: its conformal solids into gmsh (no fragment: the
faces are already shared), one physical volume group per part, linear tetrahedra, read back as a
:class:`~pkgcad.conformal.femmesh.FemMesh`. Millimetres.

Sizes (:func:`generate`): ``h`` = the package's largest extent / ``preset.across`` (coarse 12, normal 24, fine
48), ``preset.near_chip`` x h in the model's refinement boxes (round the chip), curvature refinement (12
elements per full circle) so balls and bumps stay round, at least h / 20; beyond the package (a board block) the
size grows to ``preset.far_mm``. gmsh's Delaunay 3-D on one thread: the same input gives the same mesh.

Sizes driven by the geometry (issue 25): where heat and stress crowd, at the rims the model names
(:attr:`~pkgcad.conformal.fem.FemModel.edges`: the outline of each thin layer inside the package, e.g. the
adhesive's edge where it is smaller than the chip; a joint's pad circles if a model names them), the size is
``preset.edge`` x the near-chip size (normal: 0.25 x 0.5 h), growing by ``preset.grading`` mm per mm away
(gmsh Distance + Threshold fields on those curves, found in the gmsh model from the parts' volumes: a layer's
horizontal curves that bound one of its pieces, not on the package's outline). A thin layer with such a rim
gets a graded structured grid: every in-plane edge of its pieces follows gmsh's "Bump" law, about the rim
size at both ends and the layer's size in the middle (a piece's inner ends are refined too: a few cells more).

Thin layers (:func:`structure`): each piece of a thin layer is a box (the fuse cut it so); it is meshed
transfinite: ``preset.through`` elements through its thickness (2 by default), its faces a structured grid of
the local size h (the refinement size when the whole layer lies in a refinement box), each grid cell six
tetrahedra. The 25 um die attach under wirebond-bga's 6 mm chip costs 6 x 24^2 x 2 = 6,912 tetrahedra at
normal; the layer's through-thickness conduction is exact for P1, its shear compliance is meshed (a test
shears a 25 um layer between rigid plates: within 0.1 % of t / (G A)), and its neighbours' faces on it take the
same grid.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .femmesh import FemMesh, from_gmsh
from .mesh import MeshCheckError, session
from .options import PRESETS, MeshPreset

if TYPE_CHECKING:
    from .fem import FemModel

Box = tuple[float, float, float, float, float, float]

CURVATURE_SEGMENTS = 12
"""Elements per full circle on curved faces (balls, bumps, dimples)."""
MIN_FRACTION = 1 / 20
"""The smallest element is this fraction of the preset size."""


def preset_of(mesh: str | MeshPreset) -> MeshPreset:
    if isinstance(mesh, MeshPreset):
        return mesh
    if mesh not in PRESETS:
        raise ValueError(f"mesh preset {mesh!r} is not one of {', '.join(PRESETS)}")
    return PRESETS[mesh]


def mesh_model(model: FemModel, mesh: str | MeshPreset = "normal", *, threads: int = 1,
               progress: Callable[[str], None] | None = None) -> tuple[FemMesh, dict[str, float]]:
    """Mesh ``model`` with the preset ``mesh``; returns the mesh and the seconds it took (``gmsh_load``,
    ``generate``, ``read``). gmsh failures raise :class:`~pkgcad.conformal.MeshCheckError`."""
    preset = preset_of(mesh)
    say = progress or (lambda _s: None)
    seconds: dict[str, float] = {}
    with session(threads) as gmsh:
        t0 = time.perf_counter()
        model.conformal.to_gmsh(gmsh)
        t1 = time.perf_counter()
        seconds["gmsh_load"] = t1 - t0
        groups = model.conformal.groups()
        thin = [groups[p.name] for p in model.thin_parts()]
        board = model.options.board is not None
        say(f"meshing {len(model.conformal)} solids ({preset.name})")
        try:
            generate(gmsh, preset, near=model.bounds, refine=model.refine, thin=thin,
                     far_size_mm=preset.far_mm if board else None,
                     edges=[groups[p] for p in model.edges if p in groups])
        except Exception as exc:
            if type(exc) is not Exception:
                raise  # not gmsh's failure (gmsh raises plain Exception): a bug, reported as one
            raise MeshCheckError(f"gmsh could not mesh {model.name}: {exc}") from None
        t2 = time.perf_counter()
        seconds["generate"] = t2 - t1
        fm = from_gmsh(gmsh.model)
        seconds["read"] = time.perf_counter() - t2
    return fm, seconds


def generate(gmsh: Any, mesh: str | MeshPreset | float = "normal", *, near: Box | None = None,
             refine: Sequence[Box] = (), refine_factor: float | None = None, thin: Iterable[Sequence[int]] = (),
             far_size_mm: float | None = None, edges: Iterable[Sequence[int]] = ()) -> float:
    """Mesh the current gmsh model with linear tetrahedra (see the module notes); returns the size h used near
    the package [mm]. ``mesh``: a preset (name) or h itself in mm (then refinement boxes use 0.5 h and thin
    layers 2 elements). ``near``: the package box (default: the model's), the reference length of a preset and,
    with ``far_size_mm``, where h holds. ``refine``: boxes where the size is ``refine_factor`` x h (default: the
    preset's ``near_chip``). ``thin``: the volume tags of each thin layer, meshed structured through their
    thickness."""
    model = gmsh.model
    box = near if near is not None else tuple(model.getBoundingBox(-1, -1))
    xmin, ymin, zmin, xmax, ymax, zmax = box
    if isinstance(mesh, int | float):
        if not mesh > 0:
            raise ValueError(f"mesh size {mesh!r} mm must be positive")
        preset, h = MeshPreset(f"{mesh:g} mm", 1), float(mesh)
    else:
        preset = preset_of(mesh)
        h = preset.size_mm(max(xmax - xmin, ymax - ymin, zmax - zmin))
    gmsh.option.setNumber("Mesh.ElementOrder", 1)
    gmsh.option.setNumber("Mesh.Algorithm3D", 1)
    gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", CURVATURE_SEGMENTS)
    gmsh.option.setNumber("Mesh.MeshSizeMin", h * MIN_FRACTION)
    outer = h if far_size_mm is None else far_size_mm
    gmsh.option.setNumber("Mesh.MeshSizeMax", outer)
    fields = []
    if far_size_mm is not None:
        fields.append(_box_field(model, (xmin, ymin, zmin, xmax, ymax, zmax), h, far_size_mm,
                                 max(xmax - xmin, ymax - ymin)))
    near_h = h * (preset.near_chip if refine_factor is None else refine_factor)
    for bounds in refine:
        fields.append(_box_field(model, bounds, near_h, outer, 0.5 * h))
    rims = _rims(model, edges, box) if preset.edge > 0 else []
    edge_h = preset.edge * near_h
    if rims:
        fields.append(_rim_field(model, rims, edge_h, h, preset.grading))
    if fields:
        smallest = model.mesh.field.add("Min")
        model.mesh.field.setNumbers(smallest, "FieldsList", fields)
        model.mesh.field.setAsBackgroundMesh(smallest)
        gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
    rim_set = set(rims)
    for layer in thin:
        structure(gmsh, layer, h, near_h, refine, preset.through, edge_h if rim_set else None, rim_set)
    model.mesh.generate(3)
    return h


def structure(gmsh: Any, volumes: Sequence[int], h: float, h_near: float, refine: Sequence[Box],
              through: int, edge_h: float | None = None, rims: set[int] | frozenset[int] = frozenset()) -> None:
    """Make the volumes of one thin layer (each a box) transfinite: ``through`` elements across the thickness
    (z), a grid of size ``h`` in plan (``h_near`` when the whole layer lies inside a refinement box). A curve
    two pieces share gets the same count from both (counts follow lengths). When one of the layer's curves is
    in ``rims``, its in-plane edges are graded from ``edge_h`` at their ends. Raises MeshCheckError for a volume
    that is no box."""
    if through < 1:
        raise ValueError(f"elements through a thin layer: {through!r}, at least 1")
    model = gmsh.model
    if not volumes:
        return
    boxes = [model.getBoundingBox(3, v) for v in volumes]
    whole = [min(b[i] for b in boxes) for i in range(3)] + [max(b[i] for b in boxes) for i in range(3, 6)]
    size = h_near if any(_inside(whole, r) for r in refine) else h
    layer_faces = model.getBoundary([(3, v) for v in volumes], combined=False, oriented=False)
    layer_curves = {abs(c) for _d, c in model.getBoundary(layer_faces, combined=False, oriented=False)}
    graded = edge_h is not None and edge_h < size and bool(layer_curves & rims)
    for v in volumes:
        faces = model.getBoundary([(3, v)], oriented=False)
        curves = {abs(c) for _d, c in model.getBoundary(faces, combined=False, oriented=False)}
        if len(faces) != 6 or len(curves) != 12:
            raise MeshCheckError(f"thin layer volume {v} ({model.getEntityName(3, v) or 'unnamed'}) has "
                                 f"{len(faces)} faces and {len(curves)} edges, not a box: it cannot be meshed "
                                 "structured through its thickness")
        for c in curves:
            x0, y0, z0, x1, y1, z1 = model.getBoundingBox(1, c)  # gmsh pads OCC boxes by ~1e-7 mm
            if z1 - z0 > max(x1 - x0, y1 - y0):  # a box edge: along z, through the thickness
                n = through
                model.mesh.setTransfiniteCurve(c, n + 1)
            elif graded:
                assert edge_h is not None
                length = max(x1 - x0, y1 - y0)
                n = max(1, math.ceil(_bump_count(length, size, edge_h) - 1e-6))
                model.mesh.setTransfiniteCurve(c, n + 1, "Bump", edge_h / size)
            else:
                n = max(1, math.ceil(max(x1 - x0, y1 - y0) / size - 1e-6))
                model.mesh.setTransfiniteCurve(c, n + 1)
        for _d, f in faces:
            model.mesh.setTransfiniteSurface(f)
        model.mesh.setTransfiniteVolume(v)


def _bump_count(length: float, middle: float, end: float) -> float:
    """Elements on a curve of ``length`` whose size grows parabolically from ``end`` at both ends to ``middle``
    half way (gmsh's "Bump" law): the integral of 1 / size."""
    d = middle - end
    if d <= 0.0:
        return length / middle
    return length / math.sqrt(middle * d) * math.atanh(math.sqrt(d / middle))


def _rims(model: Any, groups: Iterable[Sequence[int]], box: Sequence[float], tol: float = 1e-6) -> list[int]:
    """The rim curves of each group of volumes: its horizontal curves that bound only one of its volumes (the
    outline of a layer cut into boxes, the circles of a joint; not the cut lines between its pieces), except
    those on the sides of ``box`` (the package's outline, where no heat crowds)."""
    out: list[int] = []
    for volumes in groups:
        uses: dict[int, int] = {}
        for v in volumes:
            faces = model.getBoundary([(3, v)], oriented=False)
            for c in {abs(c) for _d, c in model.getBoundary(faces, combined=False, oriented=False)}:
                uses[c] = uses.get(c, 0) + 1
        for c, n in uses.items():
            x0, y0, z0, x1, y1, z1 = model.getBoundingBox(1, c)
            if n != 1 or z1 - z0 > tol:
                continue
            on_side = ((x1 - x0 < tol and (abs(x0 - box[0]) < tol or abs(x1 - box[3]) < tol))
                       or (y1 - y0 < tol and (abs(y0 - box[1]) < tol or abs(y1 - box[4]) < tol)))
            if not on_side:
                out.append(c)
    return sorted(set(out))


def _rim_field(model: Any, curves: Sequence[int], size: float, outside: float, grading: float) -> int:
    """Size ``size`` on ``curves`` (and within half of it), growing by ``grading`` mm per mm of distance up to
    ``outside``; no bound beyond."""
    lengths = [max(b[3] - b[0], b[4] - b[1]) for b in (model.getBoundingBox(1, c) for c in curves)]
    dist = model.mesh.field.add("Distance")
    model.mesh.field.setNumbers(dist, "CurvesList", list(curves))
    model.mesh.field.setNumber(dist, "Sampling", max(20, math.ceil(2 * max(lengths) / size)))
    thr = model.mesh.field.add("Threshold")
    model.mesh.field.setNumber(thr, "InField", dist)
    for key, value in (("SizeMin", size), ("SizeMax", outside), ("DistMin", 0.5 * size),
                        ("DistMax", 0.5 * size + max(outside - size, 0.0) / grading)):
        model.mesh.field.setNumber(thr, key, value)
    model.mesh.field.setNumber(thr, "StopAtDistMax", 1)
    return int(thr)


def _inside(box: Sequence[float], region: Sequence[float], tol: float = 1e-9) -> bool:
    return all(box[i] >= region[i] - tol for i in range(3)) and all(box[i] <= region[i] + tol for i in range(3, 6))


def _box_field(model: Any, bounds: Sequence[float], inside: float, outside: float, thickness: float) -> int:
    box = model.mesh.field.add("Box")
    for key, value in zip(("XMin", "YMin", "ZMin", "XMax", "YMax", "ZMax"), bounds, strict=True):
        model.mesh.field.setNumber(box, key, value)
    for key, value in (("VIn", inside), ("VOut", outside), ("Thickness", thickness)):
        model.mesh.field.setNumber(box, key, value)
    return int(box)
