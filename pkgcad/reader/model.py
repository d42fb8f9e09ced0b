"""The model the claim elements judge, whatever it was read from: solids grouped by role, each group as blocks
(one small mesh placed at many shifts, see :mod:`.blocks`), the materials where they are known, the features
that decide which elements apply, and the few quantities a claim needs that geometry alone does not hold.

Two sources provide it: a pkgcad output folder (:class:`pkgcad.reader.folder.OutputFolder`: manifest + part
STL) for ``pkgcad check``, and any STEP file with its roles (:mod:`pkgcad.screen`) for ``pkgcad screen``. The
check elements (:mod:`pkgcad.check`) and the pictures (:mod:`pkgcad.view`) read only what is here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import NO_VALUE, InputError
from ..materials import MATERIALS
from ..meshutil import Mesh, joined
from .blocks import Block, near_ids
from .scene import Scene

if TYPE_CHECKING:
    import trimesh


@dataclass(frozen=True)
class WireEnds:
    """A bonding wire's declared end points [mm]: ``start`` on the chip, ``end`` on the finger or lead."""

    name: str
    start: tuple[float, float, float]
    end: tuple[float, float, float]


class BlockMeshes(Mapping[str, "trimesh.Trimesh"]):
    """Group name -> every copy of every block of the group as one trimesh mesh (not welded across copies),
    made on first use: what the views draw of a model read from a STEP or from instanced part files (their tile
    seams welded)."""

    def __init__(self, blocks: dict[str, list[Block]]) -> None:
        self._blocks = blocks
        self._made: dict[str, trimesh.Trimesh] = {}

    def __getitem__(self, group: str) -> trimesh.Trimesh:
        if group not in self._made:
            self._made[group] = placed_mesh(self._blocks[group]).trimesh()
        return self._made[group]

    def __iter__(self) -> Iterator[str]:
        return iter(self._blocks)

    def __len__(self) -> int:
        return len(self._blocks)


def placed_mesh(blocks: list[Block]) -> Mesh:
    """Every copy of every block as one :class:`Mesh` (plain numpy; copies not welded to each other, except the
    seams of tile pieces stored once (``seam_tol`` > 0): welded within it, so the part is one closed mesh)."""
    parts = []
    seam: list[np.ndarray] = []  # vertex ids (in the joined mesh) on a tile piece's open edges
    start = 0
    for b in blocks:
        nv = len(b.vertices)
        parts.append(Mesh((b.vertices[None] + b.shifts[:, None]).reshape(-1, 3),
                          (b.faces[None] + (np.arange(b.count) * nv)[:, None, None]).reshape(-1, 3)))
        if b.tiled and b.seam_tol > 0 and len(b.open_edges):
            ends = np.unique(b.open_edges)
            seam.append((start + np.arange(b.count)[:, None] * nv + ends[None]).ravel())
        start += nv * b.count
    mesh = joined(parts)
    if not seam:
        return mesh
    ids = np.concatenate(seam)
    label = near_ids(mesh.vertices[ids], max(b.seam_tol for b in blocks))
    first = np.full(label.max() + 1, -1)
    first[label[::-1]] = ids[::-1]  # the lowest vertex id of each cluster
    to = np.arange(len(mesh.vertices))
    to[ids] = first[label]
    return Mesh(mesh.vertices, to[mesh.faces])


@dataclass
class Model:
    """What the claim elements judge.

    ``blocks`` holds each group's meshes (mm) and ``roles`` its role (a :class:`pkgcad.roles.Role` value; a
    screened STEP may hold solids of no known role, "unknown"). ``materials`` names each group's material from
    :data:`pkgcad.materials.MATERIALS` where it is known (None: the file does not say), ``cte_ppm_k`` overrides a
    role's thermal expansion where the user stated a number. ``embodiment`` holds the features that decide which
    elements apply (carrier, connection, attach, first_surface, interface_layer: see
    :class:`pkgcad.claims.Embodiment`), ``claims`` the claims the elements' rows are tagged with. ``wires`` are
    the declared wire end points (None: judge the wire bodies themselves), ``volumes`` each group's volume as
    its source states it (mm^3: the manifest, or the exact B-rep solids), ``counts`` its instances, ``stack_mm``
    named z levels where the source has them. ``source`` names what was read, for messages."""

    name: str
    source: str
    blocks: dict[str, list[Block]]
    roles: dict[str, str]
    materials: dict[str, str | None]
    embodiment: dict[str, Any]
    claims: set[int]
    wires: list[WireEnds] | None
    volumes: dict[str, float]
    counts: dict[str, int]
    stack_mm: dict[str, float | None] = field(default_factory=dict)
    cte_ppm_k: dict[str, float] = field(default_factory=dict)
    volumes_from: str = "manifest"  # what states ``volumes``, for messages

    # ------------------------------------------------------------------------------------- by role
    def groups(self, *roles: str) -> list[str]:
        return [g for g, r in self.roles.items() if r in roles]

    def has(self, role: str) -> bool:
        return bool(self.groups(role))

    def _groups_of(self, roles: tuple[str, ...]) -> list[str]:
        groups = self.groups(*roles)
        if not groups:
            raise InputError(self.source, NO_VALUE, f"no part with role {' / '.join(roles)}")
        return groups

    def material_of(self, role: str) -> str | None:
        """The material of the first group with ``role`` (None when unknown or there is none)."""
        for g in self.groups(role):
            return self.materials.get(g)
        return None

    def cte_of(self, role: str) -> float | None:
        """Thermal expansion [ppm/K] of ``role``'s material: a stated number, else the material table's."""
        if role in self.cte_ppm_k:
            return self.cte_ppm_k[role]
        mat = self.material_of(role)
        return MATERIALS[mat].cte_ppm_k if mat in MATERIALS else None

    # ---------------------------------------------------------------------------------- geometry
    @property
    def meshes(self) -> Mapping[str, trimesh.Trimesh]:
        """Group -> one trimesh mesh of the group (what the views draw), made on first use."""
        return self._meshes

    @cached_property
    def _meshes(self) -> Mapping[str, trimesh.Trimesh]:
        return BlockMeshes(self.blocks)

    def numpy_mesh(self, *roles: str) -> Mesh:
        """All groups with one of ``roles`` as one :class:`~pkgcad.meshutil.Mesh` (plain numpy), every copy of
        every block placed (not welded across copies; :class:`InputError` when there is none): for the small
        parts; judge repeated parts by :meth:`bodies` and :meth:`bounds`."""
        return placed_mesh([b for g in self._groups_of(roles) for b in self.blocks[g]])

    def bounds(self, *roles: str) -> np.ndarray:
        """(2, 3) box of all groups with one of ``roles``, from their blocks."""
        blocks = [b for g in self._groups_of(roles) for b in self.blocks[g]]
        return np.array([np.min([b.lo + b.shifts.min(axis=0) for b in blocks], axis=0),
                         np.max([b.hi + b.shifts.max(axis=0) for b in blocks], axis=0)])

    def bodies(self, *roles: str) -> tuple[np.ndarray, np.ndarray]:
        """Boxes (lo, hi), each (n, 3), of the connected bodies of all groups with one of ``roles``."""
        boxes = [self.bodies_of(g) for g in self._groups_of(roles)]
        return np.concatenate([lo for lo, _hi in boxes]), np.concatenate([hi for _lo, hi in boxes])

    def bodies_of(self, group: str) -> tuple[np.ndarray, np.ndarray]:
        """Boxes (lo, hi), each (n, 3), of the connected bodies in the group ``group``."""
        boxes = [b.bodies() for b in self.blocks[group]]
        return np.concatenate([lo for lo, _hi in boxes]), np.concatenate([hi for _lo, hi in boxes])

    @cached_property
    def scene(self) -> Scene:
        return Scene(self.blocks)
