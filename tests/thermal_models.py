"""gmsh geometries for the solver tests: boxes and cylinders in mm, made conformal by one occ.fragment, meshed by
the FEM pipeline's mesher (:func:`pkgcad.conformal.meshing.generate`) inside its gmsh session, and each part
given a conductivity (a material name, one value or three, W/m K)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from pkgcad.conformal.femmesh import FemMesh, from_gmsh
from pkgcad.conformal.mesh import session
from pkgcad.conformal.meshing import generate
from pkgcad.solvers.conduction import System, prepare
from pkgcad.thermal.conductivity import Conductivity, MaterialSpec, resolve

Shape = Callable[[], int]  # adds one OCC volume to the current model and returns its tag


@dataclass(frozen=True, eq=False)
class Meshed:
    """A test mesh and each part's conductivity."""

    tm: FemMesh
    conductivities: dict[str, Conductivity]

    def k(self) -> np.ndarray:
        return self.tm.per_element([self.conductivities[n].values for n in self.tm.part_names])

    def system(self) -> System:
        return prepare(self.tm, self.k())


def mesh_parts(
    shapes: Mapping[str, list[Shape]], materials: Mapping[str, MaterialSpec], size: str | float,
    *, fragment: bool = True, near: tuple[float, float, float, float, float, float] | None = None,
    refine: tuple[tuple[float, float, float, float, float, float], ...] = (), refine_factor: float | None = None,
    thin: Sequence[str] = (),
) -> Meshed:
    """Build the named volumes, fragment them (shared faces), mesh (``thin``: parts meshed structured through
    their thickness, 2 elements) and read back. Later names win where volumes overlap (a cylinder inside a mold
    block belongs to the cylinder's part)."""
    with session(1) as gmsh:
        gmsh.model.add("test")
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
        for name, vols in parts.items():
            gmsh.model.addPhysicalGroup(3, vols, name=name)
        generate(gmsh, size, near=near, refine=refine, refine_factor=refine_factor, thin=[parts[n] for n in thin])
        tm = from_gmsh(gmsh.model)
    missing = [n for n in tm.part_names if n not in materials]
    if missing:
        raise ValueError(f"no material for part(s) {', '.join(missing)}")
    return Meshed(tm, {n: resolve(materials[n], part=n) for n in tm.part_names})


def box(x: float, y: float, z: float, dx: float, dy: float, dz: float) -> Shape:
    import gmsh

    return lambda: gmsh.model.occ.addBox(x, y, z, dx, dy, dz)


def cylinder(x: float, y: float, z: float, height: float, radius: float) -> Shape:
    import gmsh

    return lambda: gmsh.model.occ.addCylinder(x, y, z, 0.0, 0.0, height, radius)


def disk_on_cylinder(radius: float, height: float, disk_radius: float) -> Shape:
    """A cylinder (base at z = 0) whose top face is split by a concentric disk of `disk_radius` (the source)."""

    def make() -> int:
        import gmsh

        occ = gmsh.model.occ
        body = occ.addCylinder(0, 0, 0, 0, 0, height, radius)
        disk = occ.addDisk(0, 0, height, disk_radius, disk_radius)
        out, _ = occ.fragment([(3, body)], [(2, disk)])
        return next(tag for dim, tag in out if dim == 3)

    return make
