"""A screened STEP as the :class:`~pkgcad.reader.model.Model` the claim elements judge: one group per role (the
solids of no known role in a group ``unknown``, which still takes its place in the rays), each distinct solid's
mesh ONE block placed at every translated copy (a copy turned or scaled is placed as its own block), the
volumes of the exact B-rep solids, the materials the user stated."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import NO_VALUE, InputError
from ..reader.blocks import Block, block_from_mesh
from ..reader.model import Model
from .roles import IGNORE, Assigned, RolesFile
from .step import StepModel, StepSolid

ALL_CLAIMS = set(range(1, 21))


@dataclass
class Screened:
    """The model, and which solids each group holds (solid indices), for the chart's evidence."""

    model: Model
    members: dict[str, list[StepSolid]]


def build_model(step: StepModel, assigned: dict[int, Assigned], roles: RolesFile) -> Screened:
    members: dict[str, list[StepSolid]] = {}
    for s in step.solids:
        role = assigned[s.index].role
        if role != IGNORE:
            members.setdefault(role, []).append(s)
    if not members:
        raise InputError(roles.path or "--roles", NO_VALUE, "every solid of the file is \"ignore\"d",
                         "give the package's solids a role, or leave them to inference")
    blocks: dict[str, list[Block]] = {}
    volumes: dict[str, float] = {}
    for role, solids in members.items():
        blocks[role] = _blocks(step, solids)
        volumes[role] = sum(step.definitions[s.definition].volume * abs(float(np.linalg.det(s.matrix[:3, :3])))
                            for s in solids)
    model = Model(
        name=step.name, source=str(step.path), blocks=blocks, roles={g: g for g in blocks},
        materials={g: roles.materials.get(g) for g in blocks}, embodiment={}, claims=set(ALL_CLAIMS), wires=None,
        volumes=volumes, counts={g: len(members[g]) for g in blocks}, cte_ppm_k=dict(roles.cte),
        volumes_from="its STEP solids")
    return Screened(model, members)


def _blocks(step: StepModel, solids: list[StepSolid]) -> list[Block]:
    """Translated copies of one definition share a block; a turned or scaled copy is a block of its own."""
    shifted: dict[int, list[np.ndarray]] = {}
    out: list[Block] = []
    for s in solids:
        d = step.definitions[s.definition]
        if np.allclose(s.matrix[:3, :3], np.eye(3), rtol=0, atol=1e-12):
            shifted.setdefault(s.definition, []).append(s.matrix[:3, 3])
        else:
            out.append(block_from_mesh(s.placed(d), _oriented(d.faces, s.matrix), np.zeros((1, 3))))
    for k, shifts in shifted.items():
        d = step.definitions[k]
        out.append(block_from_mesh(d.vertices, d.faces, np.array(shifts)))
    return out


def _oriented(faces: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """A mirroring placement turns the triangles inside out: flip them back."""
    return faces[:, ::-1] if np.linalg.det(matrix[:3, :3]) < 0 else faces
