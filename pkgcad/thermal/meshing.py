"""gmsh meshing of an OCC model in memory: physical groups per part and the coarse/normal/fine size presets.

Sizes are set by the number of elements across a reference length (the package's largest extent, by default
the model's): coarse 12, normal 24, fine 48, with curvature refinement (12 elements per full circle) so balls
and bumps stay round. Beyond a ``near`` box (the package, when a board block surrounds it) the size grows to
``far_size_mm``. Linear tetrahedra only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

PRESETS: dict[str, int] = {"coarse": 12, "normal": 24, "fine": 48}


def add_part_groups(parts: Mapping[str, Sequence[int]], model: Any = None) -> None:
    """One physical volume group per part, named after it (what ``mesh.from_gmsh`` reads)."""
    model = _model(model)
    for name, tags in parts.items():
        model.addPhysicalGroup(3, list(tags), name=name)


def mesh_size_mm(size: str | float, reference_mm: float) -> float:
    if isinstance(size, str):
        if size not in PRESETS:
            raise ValueError(f"mesh size {size!r} is not one of {', '.join(PRESETS)} or a length in mm")
        return reference_mm / PRESETS[size]
    if not size > 0.0:
        raise ValueError(f"mesh size {size!r} mm must be positive")
    return float(size)


def generate(
    size: str | float = "normal",
    *,
    near: tuple[float, float, float, float, float, float] | None = None,
    far_size_mm: float | None = None,
    refine: tuple[tuple[float, float, float, float, float, float, float], ...] = (),
    threads: int = 2,
    algorithm3d: int = 1,
    model: Any = None,
) -> float:
    """Mesh the current gmsh model with tetrahedra; returns the element size used near the package (mm).

    ``near`` = (xmin, ymin, zmin, xmax, ymax, zmax) of the package: the reference length for presets and the
    box inside which the fine size holds when ``far_size_mm`` is given. ``refine`` = boxes (xmin, ymin, zmin,
    xmax, ymax, zmax, factor) where the size is multiplied by factor < 1 (around a heat source: the P1 error
    of the disk-spreading test at `normal` falls from -8.5 % to -1.9 % with factor 0.3). ``algorithm3d``: gmsh's
    3-D algorithm, 1 = Delaunay (default, deterministic); 10 = HXT, ~3x faster on large meshes here, but with
    2 threads its meshes vary from run to run.
    """
    import gmsh

    model = _model(model)
    if near is None:
        xmin, ymin, zmin, xmax, ymax, zmax = model.getBoundingBox(-1, -1)
    else:
        xmin, ymin, zmin, xmax, ymax, zmax = near
    h = mesh_size_mm(size, max(xmax - xmin, ymax - ymin, zmax - zmin))
    gmsh.option.setNumber("General.NumThreads", threads)
    gmsh.option.setNumber("Mesh.ElementOrder", 1)
    gmsh.option.setNumber("Mesh.Algorithm3D", algorithm3d)
    gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 12)
    gmsh.option.setNumber("Mesh.MeshSizeMin", h / 20)
    outer = h if far_size_mm is None else far_size_mm
    gmsh.option.setNumber("Mesh.MeshSizeMax", outer)
    fields = []
    if far_size_mm is not None:
        fields.append(_box_field(model, (xmin, ymin, zmin, xmax, ymax, zmax), h, far_size_mm,
                                 max(xmax - xmin, ymax - ymin)))
    for *bounds, factor in refine:
        fields.append(_box_field(model, tuple(bounds), h * factor, outer, 0.5 * h))
    if fields:
        smallest = model.mesh.field.add("Min")
        model.mesh.field.setNumbers(smallest, "FieldsList", fields)
        model.mesh.field.setAsBackgroundMesh(smallest)
        gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
    model.mesh.generate(3)
    return h


def _box_field(model: Any, bounds: tuple[float, ...], inside: float, outside: float, thickness: float) -> int:
    box = model.mesh.field.add("Box")
    for key, value in zip(("XMin", "YMin", "ZMin", "XMax", "YMax", "ZMax"), bounds, strict=True):
        model.mesh.field.setNumber(box, key, value)
    for key, value in (("VIn", inside), ("VOut", outside), ("Thickness", thickness)):
        model.mesh.field.setNumber(box, key, value)
    return int(box)


def _model(model: Any) -> Any:
    if model is None:
        import gmsh

        return gmsh.model
    return model
