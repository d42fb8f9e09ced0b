"""gmsh geometries for the thermal tests: boxes and cylinders in mm, made conformal by one occ.fragment."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import gmsh

from pkgcad.thermal import meshing
from pkgcad.thermal.conductivity import MaterialSpec
from pkgcad.thermal.mesh import ThermalMesh, from_gmsh

Shape = Callable[[], int]  # adds one OCC volume to the current model and returns its tag


def mesh_parts(
    shapes: Mapping[str, list[Shape]], materials: Mapping[str, MaterialSpec], size: str | float,
    *, fragment: bool = True, near: tuple[float, float, float, float, float, float] | None = None,
    refine: tuple[tuple[float, float, float, float, float, float, float], ...] = (),
) -> ThermalMesh:
    """Build the named volumes, fragment them (shared faces), mesh and read back as a ThermalMesh.

    Later names win where volumes overlap (a cylinder inside a mold block belongs to the cylinder's part).
    """
    gmsh.initialize()
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        occ = gmsh.model.occ
        tags = {name: [make() for make in makers] for name, makers in shapes.items()}
        parts: dict[str, list[int]] = {}
        if fragment and sum(len(ts) for ts in tags.values()) > 1:
            order = [(name, t) for name, ts in tags.items() for t in ts]
            _, mapping = occ.fragment([(3, t) for _, t in order], [])
            occ.synchronize()
            owner: dict[int, str] = {}
            for (name, _), pieces in zip(order, mapping, strict=True):
                for _, piece in pieces:
                    owner[piece] = name  # later names win
            for piece, name in owner.items():
                parts.setdefault(name, []).append(piece)
        else:
            occ.synchronize()
            parts = tags
        meshing.add_part_groups(parts)
        meshing.generate(size, near=near, refine=refine)
        return from_gmsh(materials)
    finally:
        gmsh.finalize()


def box(x: float, y: float, z: float, dx: float, dy: float, dz: float) -> Shape:
    return lambda: gmsh.model.occ.addBox(x, y, z, dx, dy, dz)


def cylinder(x: float, y: float, z: float, height: float, radius: float) -> Shape:
    return lambda: gmsh.model.occ.addCylinder(x, y, z, 0.0, 0.0, height, radius)


def disk_on_cylinder(radius: float, height: float, disk_radius: float) -> Shape:
    """A cylinder (base at z = 0) whose top face is split by a concentric disk of `disk_radius` (the source)."""

    def make() -> int:
        occ = gmsh.model.occ
        body = occ.addCylinder(0, 0, 0, 0, 0, height, radius)
        disk = occ.addDisk(0, 0, height, disk_radius, disk_radius)
        out, _ = occ.fragment([(3, body)], [(2, disk)])
        return next(tag for dim, tag in out if dim == 3)

    return make
