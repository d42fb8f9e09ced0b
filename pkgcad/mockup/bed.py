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


def pack(sizes: list[tuple[float, float]], bed: Bed, gap: float = PIECE_GAP) -> list[Spot]:
    """Shelf packing of footprints (w, d) onto as few plates as it takes, biggest first; a piece is turned
    when that makes its shelf lower. Every footprint must fit the bed (:func:`pkgcad.mockup.options.fits`)."""
    order = sorted(range(len(sizes)), key=lambda i: -max(sizes[i]) * min(sizes[i]))
    spots: dict[int, Spot] = {}
    plate, x, y, shelf = 1, 0.0, 0.0, 0.0
    for i in order:
        w, d = sizes[i]
        flat, turn = w <= bed.width and d <= bed.depth, d <= bed.width and w <= bed.depth
        turned = turn and (not flat or d > w)  # the lower shelf, if both fit
        if turned:
            w, d = d, w
        if x > 0 and x + w > bed.width:  # next shelf
            x, y, shelf = 0.0, y + shelf + gap, 0.0
        if y > 0 and y + d > bed.depth:  # next plate
            plate, x, y, shelf = plate + 1, 0.0, 0.0, 0.0
        spots[i] = Spot(plate, x + w / 2, y + d / 2, turned)
        x += w + gap
        shelf = max(shelf, d)
    return [spots[i] for i in range(len(sizes))]
