"""Faces named by part and side ("top face of interface_layer", "bottom faces of ball*"), found geometrically.

A ``Face`` picks facets of the mesh on the boundary of a group of parts (part names, shell patterns allowed):
facets with exactly one side in the group, whose outward normal points along ``side``. With ``extreme`` (the
default) only the facets on each matched part's outermost plane in that direction count (the ball ends, the
package top); ``exposed`` keeps only facets on the outside of the whole model; ``where`` filters by facet
centroid (x, y, z in mm); ``excluding`` removes other faces. Nothing here knows about pkgcad's geometry: the
FEM model (:mod:`pkgcad.conformal.fem`) names the faces solvers need as Face values.

A :class:`PlaneFacets` picks facets by place alone, whatever parts they bound: every facet (inside the model or
on its outside) lying in the plane z = ``z_mm`` within a rectangle: where a board's copper plane lies between two
slabs (:attr:`pkgcad.conformal.fem.FemModel.planes`).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .femmesh import FemMesh

DIRECTIONS: dict[str, tuple[float, float, float]] = {
    "top": (0.0, 0.0, 1.0),
    "bottom": (0.0, 0.0, -1.0),
    "+x": (1.0, 0.0, 0.0),
    "-x": (-1.0, 0.0, 0.0),
    "+y": (0.0, 1.0, 0.0),
    "-y": (0.0, -1.0, 0.0),
}
SIDES = (*DIRECTIONS, "any")
NORMAL_COS = 0.99  # a facet faces `side` when its unit normal is within ~8 degrees of it
PLANE_TOL = 1e-6  # relative to the model's bounding-box diagonal: "on the outermost plane"


@dataclass(frozen=True)
class Face:
    """A face of a group of parts: ``Face("interface_layer", "top")``, ``Face(("ball*",), "bottom")``."""

    parts: tuple[str, ...] | str
    side: str = "any"
    extreme: bool = True
    exposed: bool = False
    where: Callable[[np.ndarray], np.ndarray] | None = None
    label: str = ""
    excluding: tuple[Face, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.parts, str):
            object.__setattr__(self, "parts", (self.parts,))
        if self.side not in SIDES:
            raise ValueError(f"face side {self.side!r} is not one of {', '.join(SIDES)}")

    @property
    def patterns(self) -> tuple[str, ...]:
        return self.parts if isinstance(self.parts, tuple) else (self.parts,)

    def describe(self) -> str:
        if self.label:
            return self.label
        names = ", ".join(self.patterns)
        side = "outer" if self.side == "any" else self.side
        where = " (filtered)" if self.where is not None else ""
        exposed = " exposed" if self.exposed else ""
        return f"{side}{exposed} faces of {names}{where}"


@dataclass(frozen=True)
class PlaneFacets:
    """The facets in the plane z = ``z_mm`` whose centroids lie inside ``rect`` = (xmin, ymin, xmax, ymax) [mm]."""

    z_mm: float
    rect: tuple[float, float, float, float]
    label: str = ""

    def describe(self) -> str:
        x0, y0, x1, y1 = self.rect
        return self.label or f"plane z = {self.z_mm:g} mm over x {x0:g} to {x1:g}, y {y0:g} to {y1:g} mm"


def select_plane(tm: FemMesh, plane: PlaneFacets) -> np.ndarray:
    """Facet indices of ``plane``; ValueError saying which plane when none lies there."""
    p, f = tm.mesh.p, tm.mesh.facets
    tol = PLANE_TOL * float(np.linalg.norm(p.max(axis=1) - p.min(axis=1)))
    flat = np.all(np.abs(p[2, f] - plane.z_mm) <= tol, axis=0)
    c = p[:2, f].mean(axis=1)
    x0, y0, x1, y1 = plane.rect
    inside = (c[0] >= x0 - tol) & (c[0] <= x1 + tol) & (c[1] >= y0 - tol) & (c[1] <= y1 + tol)
    chosen = np.flatnonzero(flat & inside)
    if chosen.size == 0:
        raise ValueError(f"no mesh facets on the {plane.describe()}: the model has no face there")
    return chosen


def match_parts(tm: FemMesh, patterns: tuple[str, ...]) -> list[int]:
    """Indices of the parts whose names match any pattern; ValueError listing the parts when none does."""
    found = [i for i, name in enumerate(tm.part_names) if any(fnmatch.fnmatchcase(name, p) for p in patterns)]
    if not found:
        raise ValueError(f"no part matches {', '.join(patterns)}; parts: {', '.join(tm.part_names)}")
    return found


def facet_normals(tm: FemMesh, facets: np.ndarray, owners: np.ndarray) -> np.ndarray:
    """(3, n) unit normals of `facets`, pointing out of the element `owners` (one per facet)."""
    p, f, t = tm.mesh.p, tm.mesh.facets[:, facets], tm.mesh.t[:, owners]
    n = np.cross(p[:, f[1]] - p[:, f[0]], p[:, f[2]] - p[:, f[0]], axis=0)
    n /= np.linalg.norm(n, axis=0)
    inward = p[:, t].mean(axis=1) - p[:, f].mean(axis=1)
    return n * np.where(np.einsum("ij,ij->j", n, inward) > 0.0, -1.0, 1.0)


def facet_areas(tm: FemMesh, facets: np.ndarray) -> np.ndarray:
    p, f = tm.mesh.p, tm.mesh.facets[:, facets]
    return 0.5 * np.linalg.norm(np.cross(p[:, f[1]] - p[:, f[0]], p[:, f[2]] - p[:, f[0]], axis=0), axis=0)


def boundary_of(tm: FemMesh, part_ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Facets with exactly one side in the parts, and the element on that side."""
    in_group = np.isin(tm.part_of_element, part_ids)
    f2t = tm.mesh.f2t
    side0 = in_group[f2t[0]]
    side1 = np.where(f2t[1] >= 0, in_group[np.maximum(f2t[1], 0)], False)
    facets = np.flatnonzero(side0 ^ side1)
    owners = np.where(side0[facets], f2t[0, facets], f2t[1, facets])
    return facets, owners


def select(tm: FemMesh, face: Face) -> np.ndarray:
    """Facet indices of `face` in `tm`; ValueError saying which face when nothing matches."""
    part_ids = match_parts(tm, face.patterns)
    facets, owners = boundary_of(tm, part_ids)
    keep = np.ones(facets.size, dtype=bool)
    if face.exposed:
        keep &= tm.exterior[facets]
    if face.side != "any":
        d = np.array(DIRECTIONS[face.side])
        keep &= d @ facet_normals(tm, facets, owners) > NORMAL_COS
        if face.extreme:
            keep &= _on_outer_plane(tm, facets, owners, d)
    if face.where is not None:
        centroids = tm.mesh.p[:, tm.mesh.facets[:, facets]].mean(axis=1)
        keep &= np.asarray(face.where(centroids), dtype=bool)
    chosen = facets[keep]
    for other in face.excluding:
        chosen = np.setdiff1d(chosen, select(tm, other))
    if chosen.size == 0:
        raise ValueError(f"no mesh facets on the {face.describe()}: check the part names and the side")
    return chosen


def _on_outer_plane(tm: FemMesh, facets: np.ndarray, owners: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Facets lying on their own part's outermost plane along d (each matched part has its own plane)."""
    p = tm.mesh.p
    tol = PLANE_TOL * float(np.linalg.norm(p.max(axis=1) - p.min(axis=1)))
    height = d @ p  # signed coordinate of every node along d
    owner_part = tm.part_of_element[owners]
    outer = np.full(len(tm.part_names), -np.inf)
    np.maximum.at(outer, tm.part_of_element, height[tm.mesh.t].max(axis=0))
    lowest = height[tm.mesh.facets[:, facets]].min(axis=0)
    return lowest >= outer[owner_part] - tol


def interface(tm: FemMesh, a: tuple[str, ...], b: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Facets shared by an element of parts `a` and one of parts `b`, with the `a` element of each."""
    ids_a, ids_b = match_parts(tm, a), match_parts(tm, b)
    if set(ids_a) & set(ids_b):
        raise ValueError(f"parts {a} and {b} overlap: an interface needs two distinct groups of parts")
    f2t = tm.mesh.f2t
    inner = np.flatnonzero(f2t[1] >= 0)
    e0, e1 = f2t[0, inner], f2t[1, inner]
    p0, p1 = tm.part_of_element[e0], tm.part_of_element[e1]
    a0 = np.isin(p0, ids_a) & np.isin(p1, ids_b)
    a1 = np.isin(p1, ids_a) & np.isin(p0, ids_b)
    keep = a0 | a1
    return inner[keep], np.where(a0[keep], e0[keep], e1[keep])
