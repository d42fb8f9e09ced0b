"""Mesh intake: a tetrahedral mesh with one named group per part -> a scikit-fem MeshTet plus per-element data.

The source is a gmsh model in memory (``from_gmsh``: linear tetrahedra, one physical volume group per part,
named after the part) or plain arrays (``from_arrays``, e.g. from meshio). Each part gets a conductivity from
a material spec (``conductivity.resolve``). Coordinates are millimetres.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from skfem import MeshTet

from pkgcad.thermal.conductivity import Conductivity, MaterialSpec, resolve

GMSH_TET4 = 4  # gmsh element type of the 4-node tetrahedron


@dataclass(frozen=True)
class PartInfo:
    name: str
    conductivity: Conductivity


@dataclass(frozen=True, eq=False)
class ThermalMesh:
    """A conformal P1 tetrahedral mesh, the part of every element and every part's conductivity.

    ``node_origin`` maps each node to the node it was copied from (itself unless an interface was split by
    ``contact.split``); ``exterior`` flags the facets on the outside of the model (split interfaces are inside).
    """

    mesh: MeshTet
    part_of_element: np.ndarray
    parts: tuple[PartInfo, ...]
    node_origin: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    exterior: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __post_init__(self) -> None:
        if self.node_origin.size == 0:
            object.__setattr__(self, "node_origin", np.arange(self.mesh.p.shape[1], dtype=np.int64))
        if self.exterior.size == 0:
            object.__setattr__(self, "exterior", self.mesh.f2t[1] == -1)

    @property
    def part_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parts)

    @property
    def n_nodes(self) -> int:
        return int(self.mesh.p.shape[1])

    @property
    def n_elements(self) -> int:
        return int(self.mesh.t.shape[1])

    def conductivity_w_mk(self) -> np.ndarray:
        """(3, n_elements) conductivity along x, y, z of every element, W/(m K)."""
        table = np.array([p.conductivity.values for p in self.parts], dtype=float).T
        return table[:, self.part_of_element]

    def volumes_mm3(self) -> dict[str, float]:
        """Meshed volume of each part (mm3), from the tetrahedra."""
        p, t = self.mesh.p, self.mesh.t
        a, b, c, d = (p[:, t[i]] for i in range(4))
        vol = np.abs(np.einsum("ij,ij->j", np.cross(b - a, c - a, axis=0), d - a)) / 6.0
        sums = np.bincount(self.part_of_element, weights=vol, minlength=len(self.parts))
        return {part.name: float(v) for part, v in zip(self.parts, sums, strict=True)}


def from_arrays(
    points: np.ndarray,
    tets: np.ndarray,
    part_of_element: Sequence[int] | np.ndarray,
    part_names: Sequence[str],
    materials: Mapping[str, MaterialSpec],
) -> ThermalMesh:
    """ThermalMesh from points (n, 3) mm, tetrahedra (m, 4) node indices and each element's part index."""
    points = np.asarray(points, dtype=float)
    tets = np.asarray(tets, dtype=np.int64)
    ids = np.asarray(part_of_element, dtype=np.int64)
    if points.ndim != 2 or points.shape[1] != 3 or tets.ndim != 2 or tets.shape[1] != 4:
        raise ValueError(f"need points (n, 3) and tetrahedra (m, 4); got {points.shape} and {tets.shape}")
    if ids.shape != (tets.shape[0],) or (ids.size and (ids.min() < 0 or ids.max() >= len(part_names))):
        raise ValueError("every tetrahedron needs a part index into part_names")
    missing = [n for n in part_names if n not in materials]
    if missing:
        raise ValueError(f"no material for part(s) {', '.join(missing)}: give each part a material or conductivity")
    used = np.unique(tets)
    remap = np.full(points.shape[0], -1, dtype=np.int64)
    remap[used] = np.arange(used.size)
    mesh = MeshTet(np.ascontiguousarray(points[used].T), np.ascontiguousarray(remap[tets].T))
    parts = tuple(PartInfo(n, resolve(materials[n], part=n)) for n in part_names)
    return ThermalMesh(mesh, ids, parts)


def from_gmsh(materials: Mapping[str, MaterialSpec], model: Any = None) -> ThermalMesh:
    """ThermalMesh from the meshed gmsh model in memory (default: ``gmsh.model``, the current model).

    Every 3-D entity with elements must belong to exactly one physical volume group; the group's name is the
    part name and keys ``materials``. Only linear tetrahedra are accepted (no recombination, order 1).
    """
    if model is None:
        import gmsh

        model = gmsh.model
    groups = model.getPhysicalGroups(3)
    if not groups:
        raise ValueError("the gmsh model has no physical volume groups: add one per part, named after the part")
    names: list[str] = []
    owner: dict[int, str] = {}
    for _, tag in groups:
        name = model.getPhysicalName(3, tag) or f"volume_group_{tag}"
        if name in names:
            raise ValueError(f"two physical volume groups are named {name!r}: part names must be unique")
        names.append(name)
        for entity in model.getEntitiesForPhysicalGroup(3, tag):
            if int(entity) in owner:
                raise ValueError(f"volume {entity} is in both {owner[int(entity)]!r} and {name!r}: one part each")
            owner[int(entity)] = name
    tet_blocks: list[np.ndarray] = []
    id_blocks: list[np.ndarray] = []
    for _, entity in model.getEntities(3):
        types, _, node_tags = model.mesh.getElements(3, entity)
        if not len(types):
            continue
        if int(entity) not in owner:
            raise ValueError(f"meshed volume {entity} is in no physical group: every volume must belong to a part")
        for etype, nodes in zip(types, node_tags, strict=True):
            if int(etype) != GMSH_TET4:
                raise ValueError(
                    f"volume {entity} has gmsh element type {etype}: linear tetrahedra only (order 1, no recombine)"
                )
            block = np.asarray(nodes, dtype=np.int64).reshape(-1, 4)
            tet_blocks.append(block)
            id_blocks.append(np.full(block.shape[0], names.index(owner[int(entity)]), dtype=np.int64))
    if not tet_blocks:
        raise ValueError("the gmsh model has no tetrahedra: generate the 3-D mesh first")
    node_tags_all, coords, _ = model.mesh.getNodes(returnParametricCoord=False)
    node_tags_all = np.asarray(node_tags_all, dtype=np.int64)
    index = np.full(int(node_tags_all.max()) + 1, -1, dtype=np.int64)
    index[node_tags_all] = np.arange(node_tags_all.size)
    tets = index[np.concatenate(tet_blocks)]
    points = np.asarray(coords, dtype=float).reshape(-1, 3)
    ids = np.concatenate(id_blocks)
    used = np.unique(ids)  # groups without tetrahedra are dropped, so they need no material
    relabel = np.full(len(names), -1, dtype=np.int64)
    relabel[used] = np.arange(used.size)
    return from_arrays(points, tets, relabel[ids], [names[i] for i in used], materials)
