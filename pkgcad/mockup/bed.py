"""Print orientation (flat side down) and the bed: fit check and the exploded layout.

A pose is a 4 x 4 matrix from the assembled package frame (printed mm) to the print frame: the piece turned
upside down where that puts more flat area on the bed, then shifted so it sits on z = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh

from .options import PIECE_GAP, Bed

#: Faces within this height [mm] of the lowest point, facing down, count as resting on the bed.
BED_TOL = 0.05
#: Flip turns the piece by 180 degrees about x: (x, y, z) -> (x, -y, -z).
FLIP = np.diag([1.0, -1.0, -1.0, 1.0])
#: Space between the plates of a layout that needs more than one bed [mm].
PLATE_GAP = 20.0


def contact_area(mesh: trimesh.Trimesh, up: bool = False) -> float:
    """Area [mm^2] of the faces lying on the bed: facing down at the lowest z (``up``: facing up at the
    highest z, i.e. on the bed once the piece is turned over)."""
    n = mesh.face_normals[:, 2]
    z = mesh.triangles[:, :, 2]
    if up:
        mask = (n > 0.999) & (z.min(axis=1) >= mesh.bounds[1, 2] - BED_TOL)
    else:
        mask = (n < -0.999) & (z.max(axis=1) <= mesh.bounds[0, 2] + BED_TOL)
    return float(mesh.area_faces[mask].sum())


def print_pose(mesh: trimesh.Trimesh) -> tuple[np.ndarray, bool]:
    """The pose that puts the larger flat side on the bed (upright on a tie), centred on x = y = 0."""
    flip = contact_area(mesh, up=True) > contact_area(mesh) * 1.001
    rot = FLIP if flip else np.eye(4)
    lo, hi = trimesh.transform_points(mesh.bounds, rot).min(axis=0), trimesh.transform_points(
        mesh.bounds, rot).max(axis=0)
    shift = np.eye(4)
    shift[:3, 3] = [-(lo[0] + hi[0]) / 2, -(lo[1] + hi[1]) / 2, -lo[2]]
    return shift @ rot, flip


@dataclass(frozen=True)
class Spot:
    """Where a piece lies on the bed: plate number (from 1), the centre of its footprint, turned by 90 deg."""

    plate: int
    x: float
    y: float
    turned: bool

    def matrix(self, bed: Bed, plates_apart: bool = False) -> np.ndarray:
        """From the piece's centred print pose to its place on its plate (origin at the bed's corner);
        ``plates_apart``: plate k further along +x by k - 1 beds plus PLATE_GAP (for one file of all plates)."""
        m = np.eye(4)
        if self.turned:
            m[:2, :2] = [[0.0, -1.0], [1.0, 0.0]]
        m[0, 3] = self.x + ((self.plate - 1) * (bed.width + PLATE_GAP) if plates_apart else 0.0)
        m[1, 3] = self.y
        return m


@dataclass
class _Shelf:
    y: float
    height: float
    x: float  # where the next piece goes


def pack(sizes: list[tuple[float, float]], bed: Bed, gap: float = PIECE_GAP) -> list[Spot]:
    """First-fit decreasing-height shelf packing of footprints (w, d) onto as few plates as it takes.

    Each piece lies long side along x when it fits that way (lower shelves); pieces go tallest first into
    the first shelf with room on any plate, else onto a new shelf, else onto a new plate. Every footprint
    must fit the bed one way or the other (:func:`pkgcad.mockup.options.fits`)."""
    oriented = []
    for w, d in sizes:
        flat, turn = w <= bed.width and d <= bed.depth, d <= bed.width and w <= bed.depth
        turned = turn and (not flat or d > w)
        oriented.append((d, w, turned) if turned else (w, d, turned))
    order = sorted(range(len(sizes)), key=lambda i: -oriented[i][1])
    plates: list[list[_Shelf]] = []
    spots: dict[int, Spot] = {}
    for i in order:
        w, d, turned = oriented[i]
        placed = None
        for k, shelves in enumerate(plates):
            for shelf in shelves:
                if shelf.x + w <= bed.width + 1e-9 and d <= shelf.height + 1e-9:
                    placed = (k, shelf)
                    break
            if placed is None:
                top = shelves[-1].y + shelves[-1].height + gap
                if top + d <= bed.depth + 1e-9:
                    shelves.append(_Shelf(top, d, 0.0))
                    placed = (k, shelves[-1])
            if placed is not None:
                break
        if placed is None:
            plates.append([_Shelf(0.0, d, 0.0)])
            placed = (len(plates) - 1, plates[-1][0])
        k, shelf = placed
        spots[i] = Spot(k + 1, shelf.x + w / 2, shelf.y + d / 2, turned)
        shelf.x += w + gap
    return [spots[i] for i in range(len(sizes))]
