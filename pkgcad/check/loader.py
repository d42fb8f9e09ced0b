"""Load an exported pkgcad model (manifest.json + parts/<group>.stl, millimetres) for checking.

Only the exported files are read, never the builder: a check judges what a user receives.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from ..meshutil import concatenate, load_mesh
from .geom import axis_ray_hits, first_axis_hit


class CheckInputError(Exception):
    """The folder cannot be checked at all (missing or unreadable manifest / part file)."""


@dataclass
class Model:
    """The exported model: manifest plus one mesh per STL group, with the role of each group."""

    root: Path
    manifest: dict[str, Any]
    meshes: dict[str, trimesh.Trimesh]
    roles: dict[str, str]
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ manifest facts
    @property
    def embodiment(self) -> dict[str, Any]:
        return self.manifest.get("embodiment", {})

    @property
    def claims(self) -> set[int]:
        return {int(c) for c in self.manifest.get("claims", [])}

    @property
    def base_claim(self) -> str:
        """Claim 12 (buffer pad) or claim 1: the independent claim the model illustrates."""
        return "12" if 12 in self.claims or self.embodiment.get("attach") == "buffer_pad" else "1"

    def part_rows(self, group: str) -> list[dict[str, Any]]:
        return [r for r in self.manifest["parts"] if r.get("group", r["name"]) == group]

    def material_of(self, role: str) -> str | None:
        for r in self.manifest["parts"]:
            if r["role"] == role:
                return r["material"]
        return None

    # ------------------------------------------------------------------ meshes by role
    def groups(self, *roles: str) -> list[str]:
        return [g for g, r in self.roles.items() if r in roles]

    def has(self, role: str) -> bool:
        return bool(self.groups(role))

    def mesh(self, *roles: str) -> trimesh.Trimesh:
        """All groups with one of ``roles`` as one mesh (raises CheckInputError when there is none)."""
        groups = self.groups(*roles)
        if not groups:
            raise CheckInputError(f"{self.root}: no part with role {' / '.join(roles)} in manifest.json")
        if len(groups) == 1:
            return self.meshes[groups[0]]
        return concatenate([self.meshes[g] for g in groups])

    # ------------------------------------------------------------------ the whole scene
    @cached_property
    def scene(self) -> Scene:
        return Scene(self.meshes)


class Scene:
    """Every part's triangles in one array with the group each came from; exact (float64) casting of rays
    parallel to the axes (see ``geom.axis_ray_hits``) for "what is seen first" and "is a point inside"."""

    def __init__(self, meshes: dict[str, trimesh.Trimesh]) -> None:
        self.names = list(meshes)
        parts = [meshes[g] for g in self.names]
        self.tris = np.concatenate([m.triangles for m in parts])
        self.owner = np.repeat(np.arange(len(parts)), [len(m.faces) for m in parts])
        self.bounds = np.array([self.tris.reshape(-1, 3).min(axis=0), self.tris.reshape(-1, 3).max(axis=0)])
        self._parts = parts

    @cached_property
    def mesh(self) -> trimesh.Trimesh:
        return concatenate(self._parts)

    def index(self, groups: list[str]) -> list[int]:
        return [self.names.index(g) for g in groups]

    def first_hit(self, axis: int, sign: float, pts: np.ndarray, prefer: list[int] | None = None) -> np.ndarray:
        """Group index seen first along each line parallel to ``axis`` through the 2D points ``pts``, looking
        from the ``sign`` side; -1 for a miss. Coincident faces resolve to the groups in ``prefer``."""
        flags = np.zeros(len(self.names), dtype=bool)
        flags[prefer or []] = True
        return first_axis_hit(self.tris, self.owner, axis, sign, pts, flags)[0]

    def inside_counts(self, points: np.ndarray) -> np.ndarray:
        """(n_points, n_groups) booleans: is each point inside each (closed) group? Parity of the crossings
        of a +z ray from the point, crossings of one group at one height counted once."""
        pid, tri, z = axis_ray_hits(self.tris, 2, points[:, :2])
        up = z > points[pid, 2]
        pid, own, z = pid[up], self.owner[tri[up]], z[up]
        inside = np.zeros((len(points), len(self.names)), dtype=bool)
        if len(pid):
            order = np.lexsort((z, own, pid))
            pid, own, z = pid[order], own[order], z[order]
            same = np.r_[False, (pid[1:] == pid[:-1]) & (own[1:] == own[:-1]) & (np.diff(z) < 1e-7)]
            counts = np.zeros((len(points), len(self.names)), dtype=np.int64)
            np.add.at(counts, (pid[~same], own[~same]), 1)
            inside = counts % 2 == 1
        return inside


def read_stl(path: Path) -> trimesh.Trimesh:
    """A part file as a welded mesh (:func:`~pkgcad.meshutil.load_mesh`) without zero-area triangles."""
    mesh = load_mesh(path)
    if len(mesh.faces):
        mesh.update_faces(mesh.nondegenerate_faces(height=1e-9))
        mesh.remove_unreferenced_vertices()
    return mesh


def load(path: str | Path) -> Model:
    """Read ``path/manifest.json`` and every ``parts/<group>.stl`` it names."""
    root = Path(path)
    if not root.exists():
        raise CheckInputError(f"{root}: no such folder")
    if not root.is_dir():
        raise CheckInputError(f"{root}: not a folder (give the output folder holding manifest.json)")
    mpath = root / "manifest.json"
    if not mpath.is_file():
        raise CheckInputError(f"{mpath}: missing (is this a pkgcad output folder?)")
    try:
        manifest = json.loads(mpath.read_text())
        rows = manifest["parts"]
        roles: dict[str, str] = {}
        for r in rows:
            roles.setdefault(r.get("group", r["name"]), r["role"])
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckInputError(f"{mpath}: unreadable manifest ({type(exc).__name__}: {exc})") from None
    meshes: dict[str, trimesh.Trimesh] = {}
    for group in roles:
        spath = root / "parts" / f"{group}.stl"
        if not spath.is_file():
            raise CheckInputError(f"{spath}: part file missing")
        try:
            mesh = read_stl(spath)
        except Exception as exc:
            raise CheckInputError(f"{spath}: unreadable STL ({type(exc).__name__}: {exc})") from None
        if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0:
            raise CheckInputError(f"{spath}: no triangles")
        meshes[group] = mesh
    for role in ("heat_sink", "interface_layer", "encapsulant", "chip", "carrier"):
        if role not in roles.values():
            raise CheckInputError(f"{mpath}: no part with role {role!r}")
    return Model(root, manifest, meshes, roles)
