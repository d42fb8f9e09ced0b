"""Read an output folder that ``pkgcad build`` wrote (manifest.json + parts/<group>.stl, millimetres): the one
reader every feature that judges or draws a model uses (check, section, render, report, ...). Only the exported
files are read, never the builder: what is judged is what a user receives.

Everything read is validated before it is used: the manifest against its schema, each STL's header against
its size (a truncated, padded or sparse file is refused before it is read), the triangle count against
:data:`MAX_TRIANGLES`, the vertices for NaN or infinity, and every copy of a repeated part or tile against the
first (:mod:`.blocks`). Any of these is an :class:`InputError` (exit 2).

Each group is held as blocks (what the checks judge, see :mod:`.blocks`) and, on first use, as one welded
mesh (:attr:`OutputFolder.meshes`, what the views draw).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..claims import Embodiment, embodied
from ..errors import NO_VALUE, InputError
from ..meshutil import STL_RECORD, Mesh, joined, welded
from ..roles import REQUIRED, Role
from .blocks import Block, blocks_of
from .scene import Scene

if TYPE_CHECKING:
    import trimesh
from .schema import Manifest, validate_manifest

MAX_TRIANGLES = 60_000_000
"""Most triangles one part file may hold (a 3 GB STL; reading it takes ~10 GB of memory)."""
MAX_MANIFEST_BYTES = 64 << 20


class Meshes(Mapping[str, "trimesh.Trimesh"]):
    """Group name -> the group's file as one welded mesh without zero-area triangles, made on first use."""

    def __init__(self, corners: dict[str, np.ndarray]) -> None:
        self._corners = corners
        self._made: dict[str, trimesh.Trimesh] = {}

    def __getitem__(self, group: str) -> trimesh.Trimesh:
        if group not in self._made:
            mesh = welded(self._corners[group])
            mesh.update_faces(mesh.nondegenerate_faces(height=1e-9))
            mesh.remove_unreferenced_vertices()
            self._made[group] = mesh
        return self._made[group]

    def __iter__(self) -> Iterator[str]:
        return iter(self._corners)

    def __len__(self) -> int:
        return len(self._corners)


@dataclass
class OutputFolder:
    """An exported model: the manifest (validated, as a dict and as :attr:`schema`), each STL group as blocks
    (proven copies, for the checks) and as one welded mesh (:attr:`meshes`, made on first use), and the role of
    each group."""

    root: Path
    manifest: dict[str, Any]
    schema: Manifest
    blocks: dict[str, list[Block]]
    meshes: Meshes
    roles: dict[str, Role]
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return self.schema.name

    @property
    def embodiment(self) -> dict[str, Any]:
        return self.schema.embodiment.model_dump()

    @property
    def claims(self) -> set[int]:
        """The claims the model embodies, derived from the embodiment its manifest states (the manifest's own
        ``claims`` list is for people; what is checked follows from the features)."""
        e = self.schema.embodiment
        return set(embodied(Embodiment(e.carrier, e.connection, e.attach, e.first_surface, e.interface_layer)))

    def part_rows(self, group: str) -> list[dict[str, Any]]:
        return [r for r in self.manifest["parts"] if r.get("group", r["name"]) == group]

    def material_of(self, role: str) -> str | None:
        for r in self.schema.parts:
            if r.role == role:
                return r.material
        return None

    def groups(self, *roles: str) -> list[str]:
        return [g for g, r in self.roles.items() if r in roles]

    def has(self, role: str) -> bool:
        return bool(self.groups(role))

    def _groups_of(self, roles: tuple[str, ...]) -> list[str]:
        groups = self.groups(*roles)
        if not groups:
            raise InputError(str(self.root / "manifest.json"), NO_VALUE,
                             f"no part with role {' / '.join(roles)}")
        return groups

    def mesh(self, *roles: str) -> trimesh.Trimesh:
        """All groups with one of ``roles`` as one welded trimesh mesh, read from every triangle of their files
        (:class:`InputError` when there is none). The checks use :meth:`numpy_mesh`, :meth:`bodies` and
        :meth:`bounds` instead: no trimesh import, no walk over every copy of a repeated part."""
        from ..meshutil import concatenate

        groups = self._groups_of(roles)
        if len(groups) == 1:
            return self.meshes[groups[0]]
        return concatenate([self.meshes[g] for g in groups])

    def numpy_mesh(self, *roles: str) -> Mesh:
        """All groups with one of ``roles`` as one :class:`~pkgcad.meshutil.Mesh` (plain numpy), every copy of
        every block placed (not welded across copies; :class:`InputError` when there is none): for the small
        parts; judge repeated parts by :meth:`bodies` and :meth:`bounds`."""
        parts = []
        for b in (b for g in self._groups_of(roles) for b in self.blocks[g]):
            nv = len(b.vertices)
            parts.append(Mesh((b.vertices[None] + b.shifts[:, None]).reshape(-1, 3),
                              (b.faces[None] + (np.arange(b.count) * nv)[:, None, None]).reshape(-1, 3)))
        return joined(parts)

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
        """Boxes (lo, hi), each (n, 3), of the connected bodies in the part file ``group``."""
        boxes = [b.bodies() for b in self.blocks[group]]
        return np.concatenate([lo for lo, _hi in boxes]), np.concatenate([hi for _lo, hi in boxes])

    @cached_property
    def scene(self) -> Scene:
        return Scene(self.blocks)


def stl_triangles(path: Path) -> int:
    """The triangle count of the binary STL ``path``, proven by its size before anything else is read."""
    size = path.stat().st_size
    if size < 84:
        raise InputError(str(path), NO_VALUE, f"{size} bytes: too short for a binary STL (84-byte header)",
                         "rebuild the folder with `pkgcad build`")
    with path.open("rb") as fh:
        head = fh.read(84)
    n = int(np.frombuffer(head, "<u4", 1, 80)[0])
    if size != 84 + n * STL_RECORD.itemsize:
        raise InputError(str(path), NO_VALUE, f"{size:,} bytes, but its header says {n:,} triangles "
                         f"({84 + n * STL_RECORD.itemsize:,} bytes): truncated, padded or not a binary STL",
                         "rebuild the folder with `pkgcad build`")
    if n > MAX_TRIANGLES:
        raise InputError(str(path), NO_VALUE, f"{n:,} triangles: more than {MAX_TRIANGLES:,} in one part file",
                         "rebuild with --quality draft")
    return n


def read_corners(path: Path) -> np.ndarray:
    """A binary part file's triangle corners, (n, 3, 3) float32 mm; refuses what :func:`stl_triangles`
    refuses, an empty file and non-finite coordinates."""
    n = stl_triangles(path)
    if n == 0:
        raise InputError(str(path), NO_VALUE, "no triangles")
    corners = np.ascontiguousarray(np.frombuffer(path.read_bytes(), STL_RECORD, n, 84)["v"])
    if np.isfinite(np.add.reduce(corners.reshape(-1), dtype=np.float64)):  # NaN or inf would spread to the sum
        return corners
    finite = np.isfinite(corners).all(axis=2)
    if not finite.all():
        raise InputError(str(path), NO_VALUE, f"{int((~finite).sum())} vertices are NaN or infinite",
                         "rebuild the folder with `pkgcad build`")
    return corners


def read_stl(path: Path) -> trimesh.Trimesh:
    """A binary part file as a welded mesh without zero-area triangles (see :func:`read_corners`)."""
    mesh = Meshes({"": read_corners(path)})[""]
    if not len(mesh.faces):
        raise InputError(str(path), NO_VALUE, "only zero-area triangles")
    return mesh


def read_manifest(root: Path) -> tuple[dict[str, Any], Manifest]:
    """``root/manifest.json``, parsed and validated (:class:`InputError` naming what is wrong)."""
    if not root.exists():
        raise InputError(str(root), NO_VALUE, "no such folder")
    if not root.is_dir():
        raise InputError(str(root), NO_VALUE, "not a folder", "give the output folder holding manifest.json")
    path = root / "manifest.json"
    if not path.is_file():
        raise InputError(str(path), NO_VALUE, "missing (is this a pkgcad output folder?)")
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        raise InputError(str(path), NO_VALUE, f"larger than {MAX_MANIFEST_BYTES >> 20} MB: not a pkgcad manifest")
    try:
        data = json.loads(path.read_bytes())
    except (ValueError, RecursionError) as exc:
        raise InputError(str(path), NO_VALUE, f"not JSON ({str(exc)[:80]})") from None
    return data, validate_manifest(data, str(path))


def load_output(path: str | Path) -> OutputFolder:
    """Read ``path/manifest.json`` and every ``parts/<group>.stl`` it names."""
    root = Path(path)
    data, schema = read_manifest(root)
    roles: dict[str, Role] = {}
    for r in schema.parts:
        roles.setdefault(r.group or r.name, r.role)
    for role in REQUIRED:
        if role not in roles.values():
            raise InputError(str(root / "manifest.json"), NO_VALUE, f"no part with role {role.value!r}")
    corners: dict[str, np.ndarray] = {}
    blocks: dict[str, list[Block]] = {}
    for group in roles:
        spath = root / "parts" / f"{group}.stl"
        if "/" in group or "\\" in group or group.startswith("."):
            raise InputError(str(root / "manifest.json"), group, "a part group must be a plain file name")
        if not spath.is_file():
            raise InputError(str(spath), NO_VALUE, "part file missing")
        corners[group] = read_corners(spath)
        blocks[group] = blocks_of(corners[group], [r for r in schema.parts if (r.group or r.name) == group],
                                  str(spath))
    return OutputFolder(root, data, schema, blocks, Meshes(corners), roles)
