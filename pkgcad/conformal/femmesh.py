"""The solver mesh: linear tetrahedra (a scikit-fem ``MeshTet``) with the part of every element, read from a meshed
gmsh model (one physical volume group per part, named after the part) or from plain arrays. Millimetres.

What a solver needs beyond it (conductivities, elastic constants) it keys by :attr:`FemMesh.part_names`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from skfem import MeshTet

GMSH_TET4 = 4  # gmsh element type of the 4-node tetrahedron


@dataclass(frozen=True, eq=False)
class FemMesh:
    """A conformal P1 tetrahedral mesh [mm] and the part of every element (an index into ``part_names``)."""

    mesh: MeshTet
    part_of_element: np.ndarray
    part_names: tuple[str, ...]

    @property
    def n_nodes(self) -> int:
        return int(self.mesh.p.shape[1])

    @property
    def n_elements(self) -> int:
        return int(self.mesh.t.shape[1])

    @property
    def exterior(self) -> np.ndarray:
        """Flags the facets on the outside of the model (one element only)."""
        return np.asarray(self.mesh.f2t[1] == -1)

    def element_volumes(self) -> np.ndarray:
        p, t = self.mesh.p, self.mesh.t
        a, b, c, d = (p[:, t[i]] for i in range(4))
        return np.asarray(np.abs(np.einsum("ij,ij->j", np.cross(b - a, c - a, axis=0), d - a)) / 6.0)

    def volumes_mm3(self) -> dict[str, float]:
        """Meshed volume of each part (mm3), from the tetrahedra."""
        sums = np.bincount(self.part_of_element, weights=self.element_volumes(), minlength=len(self.part_names))
        return {name: float(v) for name, v in zip(self.part_names, sums, strict=True)}

    def nodes_of(self, parts: Sequence[str]) -> np.ndarray:
        """This mesh's node indices used by ``parts``' elements, ascending: node i of :meth:`subset` is node
        ``nodes_of(parts)[i]`` here."""
        keep = [i for i, n in enumerate(self.part_names) if n in set(parts)]
        return np.unique(self.mesh.t[:, np.isin(self.part_of_element, keep)])

    def subset(self, parts: Sequence[str]) -> FemMesh:
        """The mesh of ``parts`` alone (their elements and nodes; the faces they shared with the rest become outer
        faces), part names in this mesh's order."""
        keep = [i for i, n in enumerate(self.part_names) if n in set(parts)]
        if not keep:
            raise ValueError(f"no part of {', '.join(parts)} in the mesh; parts: {', '.join(self.part_names)}")
        mask = np.isin(self.part_of_element, keep)
        relabel = np.full(len(self.part_names), -1, dtype=np.int64)
        relabel[keep] = np.arange(len(keep))
        return from_arrays(self.mesh.p.T, self.mesh.t.T[mask], relabel[self.part_of_element[mask]],
                           [self.part_names[i] for i in keep])

    def per_element(self, table: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
        """``table`` (n_parts, m): one row of values per part, in ``part_names`` order -> (m, n_elements)."""
        values = np.asarray(table, dtype=float)
        if values.ndim != 2 or values.shape[0] != len(self.part_names):
            raise ValueError(f"need one row per part ({len(self.part_names)}), got shape {values.shape}")
        return np.asarray(values.T[:, self.part_of_element])


def from_arrays(points: np.ndarray, tets: np.ndarray, part_of_element: Sequence[int] | np.ndarray,
                part_names: Sequence[str]) -> FemMesh:
    """FemMesh from points (n, 3) mm, tetrahedra (m, 4) node indices and each element's part index; nodes no
    tetrahedron uses are dropped."""
    points = np.asarray(points, dtype=float)
    tets = np.asarray(tets, dtype=np.int64)
    ids = np.asarray(part_of_element, dtype=np.int64)
    if points.ndim != 2 or points.shape[1] != 3 or tets.ndim != 2 or tets.shape[1] != 4:
        raise ValueError(f"need points (n, 3) and tetrahedra (m, 4); got {points.shape} and {tets.shape}")
    if ids.shape != (tets.shape[0],) or (ids.size and (ids.min() < 0 or ids.max() >= len(part_names))):
        raise ValueError("every tetrahedron needs a part index into part_names")
    used = np.unique(tets)
    remap = np.full(points.shape[0], -1, dtype=np.int64)
    remap[used] = np.arange(used.size)
    mesh = MeshTet(np.ascontiguousarray(points[used].T), np.ascontiguousarray(remap[tets].T))
    return FemMesh(mesh, ids, tuple(part_names))


def from_gmsh(model: Any) -> FemMesh:
    """FemMesh from a meshed gmsh model (``gmsh.model``): every 3-D entity with elements must belong to exactly
    one physical volume group, whose name is the part name. Linear tetrahedra only. Groups without elements are
    dropped."""
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
                raise ValueError(f"volume {entity} has gmsh element type {etype}: linear tetrahedra only "
                                 "(order 1, no recombine)")
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
    used = np.unique(ids)
    relabel = np.full(len(names), -1, dtype=np.int64)
    relabel[used] = np.arange(used.size)
    return from_arrays(points, tets, relabel[ids], [names[i] for i in used])
