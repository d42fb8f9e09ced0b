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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..claims import Embodiment, embodied
from ..errors import NO_VALUE, InputError
from ..meshutil import STL_RECORD, welded
from ..roles import REQUIRED, Role
from .blocks import Block, blocks_of
from .model import BlockMeshes, Model, WireEnds

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


@dataclass(kw_only=True)
class OutputFolder(Model):
    """An exported model: the manifest (validated, as a dict and as :attr:`schema`), each STL group as blocks
    (proven copies, for the checks) and as one welded mesh (:attr:`meshes`, made on first use), and the role of
    each group; as a :class:`~pkgcad.reader.model.Model`, what the check elements and the views judge."""

    root: Path
    manifest: dict[str, Any]
    schema: Manifest
    files: Mapping[str, trimesh.Trimesh]

    @property
    def meshes(self) -> Mapping[str, trimesh.Trimesh]:
        """Group -> the group as one welded mesh: every triangle of its file, or of every copy the manifest places
        of an instanced file."""
        return self.files

    def part_rows(self, group: str) -> list[dict[str, Any]]:
        return [r for r in self.manifest["parts"] if r.get("group", r["name"]) == group]

    def material_of(self, role: str) -> str | None:
        for r in self.schema.parts:
            if r.role == role:
                return r.material
        return None

    def mesh(self, *roles: str) -> trimesh.Trimesh:
        """All groups with one of ``roles`` as one welded trimesh mesh, read from every triangle of their files
        (:class:`InputError` when there is none). The checks use :meth:`numpy_mesh`, :meth:`bodies` and
        :meth:`bounds` instead: no trimesh import, no walk over every copy of a repeated part."""
        from ..meshutil import concatenate

        groups = self._groups_of(roles)
        if len(groups) == 1:
            return self.meshes[groups[0]]
        return concatenate([self.meshes[g] for g in groups])


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
                                  str(spath), instanced=schema.parts_layout == "instanced")
    rows = {g: [r for r in schema.parts if (r.group or r.name) == g] for g in roles}
    e = schema.embodiment
    return OutputFolder(
        name=schema.name, source=str(root / "manifest.json"), blocks=blocks, roles=dict(roles),
        materials={g: rs[0].material for g, rs in rows.items()},
        embodiment=e.model_dump(),
        # the claims the model embodies, derived from the embodiment its manifest states (the manifest's own
        # ``claims`` list is for people; what is checked follows from the features)
        claims=set(embodied(Embodiment(e.carrier, e.connection, e.attach, e.first_surface, e.interface_layer))),
        wires=[WireEnds(w.name, (w.start[0], w.start[1], w.start[2]), (w.end[0], w.end[1], w.end[2]))
               for w in schema.layout.wires],
        volumes={g: sum(r["volume_total_mm3"] for r in data["parts"] if r.get("group", r["name"]) == g)
                 for g in roles},
        counts={g: sum(r.count for r in rs) for g, rs in rows.items()},
        stack_mm=dict(schema.stack_mm),
        root=root, manifest=data, schema=schema,
        files=BlockMeshes(blocks) if schema.parts_layout == "instanced" else Meshes(corners))
