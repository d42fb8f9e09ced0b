"""gmsh (PyPI wheel) on a conformal model: import WITHOUT fragmenting, one physical group per part, a tetrahedral
mesh, and the checks that prove the contacts are shared. Lengths in millimetres.

gmsh names volumes only after STEP products, never after the items of one non-manifold representation, so
:func:`load` names them from manifest.json (``conformal.solids``: gmsh volume tag -> instance and part) and first
proves each tag is the solid the manifest says (its volume and centroid), so a reordering can never mislabel.

Mesh size (:func:`sizes`): at most ``size`` everywhere; a solid with curved faces gets, at its points, the size
that puts :data:`SEGMENTS_INSIDE` segments round its curvature (a wire of 25 um: ~13 um), or
:data:`SEGMENTS_OUTSIDE` where the curved face is on the package's outside (balls), because only the outside
decides the total meshed volume: inside, what a polygonal wire loses its polygonal cavity gives back.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

SEGMENTS_INSIDE = 6
"""Segments round a curved solid inside the package (wires, bumps)."""
SEGMENTS_OUTSIDE = 24
"""Segments round a curved solid on the package's outside (balls): their facets set the total volume error."""
VOLUME_TOL = 1e-3
"""Total meshed volume vs manifest.json, relative."""
PLANAR_TOL = 1e-6
"""Meshed vs manifest volume of a part bounded by planes only (tets fill it exactly), relative."""
MATCH_VOLUME = 1e-5
"""A gmsh volume matches its manifest solid when the volumes agree this closely (relative: the STEP round trip
moves a 25 um wire's volume by ~1e-6 of itself) ..."""
MATCH_CENTROID_MM = 1e-5
"""... and the centroids within this many mm (what tells apart equal wires, bumps and balls)."""


class MeshCheckError(RuntimeError):
    """gmsh could not import or mesh the model, or a volume is not the solid the manifest says."""


def initialize() -> Any:
    """``gmsh.initialize()`` the one way pkgcad starts gmsh: no configuration files, no SIGINT handler of its own,
    and pkgcad's SIGINT/SIGTERM handlers put back at once (gmsh resets SIGTERM to the default at the C level, so a
    SIGTERM would end the process silently and leave its temporaries). Returns the gmsh module."""
    import gmsh

    # pkgcad.interrupts imports nothing of pkgcad (no CadQuery: seconds a thermal run does not need) and is loaded
    # first by every command anyway
    from .. import interrupts

    gmsh.initialize(readConfigFiles=False, interruptible=False)
    interrupts.reinstall()
    return gmsh


@contextmanager
def session(threads: int = 2, verbose: bool = False) -> Iterator[Any]:
    """An initialised gmsh (finalised afterwards, unless it was running already); yields the module."""
    import gmsh

    owned = not gmsh.isInitialized()
    if owned:
        initialize()
    try:
        gmsh.option.setNumber("General.Terminal", 1 if verbose else 0)
        gmsh.option.setNumber("General.NumThreads", threads)
        yield gmsh
    finally:
        if owned:
            gmsh.finalize()


def load(gmsh: Any, source: Path, solids: list[dict[str, Any]]) -> dict[str, int]:
    """Import the conformal STEP or BREP ``source`` into a new gmsh model, without fragmenting; check that
    volume tag i is manifest solid i; name each volume by its instance and add one physical group per part.
    Returns part name -> physical group tag."""
    gmsh.model.add(source.stem)
    try:
        gmsh.model.occ.importShapes(str(source), highestDimOnly=False)
        gmsh.model.occ.synchronize()
    except Exception as exc:
        raise MeshCheckError(f"gmsh could not import {source.name}: {exc}") from None
    tags = sorted(t for _d, t in gmsh.model.getEntities(3))
    if tags != list(range(1, len(solids) + 1)):
        raise MeshCheckError(f"{source.name}: gmsh found {len(tags)} volumes, the manifest lists {len(solids)}")
    by_part: dict[str, list[int]] = {}
    for s in solids:
        tag = s["index"]
        vol = gmsh.model.occ.getMass(3, tag)
        c = np.array(gmsh.model.occ.getCenterOfMass(3, tag))
        want = s["volume_mm3"]
        if abs(vol - want) > MATCH_VOLUME * max(want, 1e-9) or np.abs(c - s["centroid_mm"]).max() > MATCH_CENTROID_MM:
            raise MeshCheckError(f"{source.name}: volume {tag} ({vol:.6g} mm3) is not {s['name']} "
                                 f"({want:.6g} mm3) as manifest.json says")
        gmsh.model.setEntityName(3, tag, s["name"])
        by_part.setdefault(s["part"], []).append(tag)
    return {part: gmsh.model.addPhysicalGroup(3, vols, name=part) for part, vols in by_part.items()}


def sizes(gmsh: Any, size: float) -> None:
    """Set the mesh size: ``size`` at most, finer at the points of curved solids (see the module notes)."""
    gmsh.option.setNumber("Mesh.MeshSizeMax", size)
    gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)
    gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 1)
    outer = {s for _d, s in gmsh.model.getEntities(2) if len(gmsh.model.getAdjacencies(2, s)[0]) == 1}
    point_size: dict[int, float] = {}
    for _d, vol in gmsh.model.getEntities(3):
        faces = [abs(t) for _dd, t in gmsh.model.getBoundary([(3, vol)], oriented=False)]
        curved = [f for f in faces if gmsh.model.getType(2, f) != "Plane"]
        if not curved:
            continue
        area = sum(gmsh.model.occ.getMass(2, f) for f in faces)
        radius = 3 * gmsh.model.occ.getMass(3, vol) / area  # a ball's radius; 1.5 radii for a long cylinder
        n = SEGMENTS_OUTSIDE if any(f in outer for f in curved) else SEGMENTS_INSIDE
        h = min(size, 2 * math.pi * radius / n)
        for _dd, p in gmsh.model.getBoundary([(3, vol)], oriented=False, recursive=True):
            point_size[p] = min(point_size.get(p, size), h)
    for p, h in point_size.items():
        gmsh.model.mesh.setSize([(0, p)], h)


@dataclass
class PartMesh:
    """One physical group: its tetrahedra and meshed volume against manifest.json."""

    part: str
    solids: int
    tets: int
    volume: float  # meshed, mm^3
    expected: float  # manifest, mm^3
    planar: bool  # bounded by planes only: tets must fill it exactly

    @property
    def error(self) -> float:
        return (self.volume - self.expected) / self.expected if self.expected else 0.0


@dataclass
class MeshReport:
    """What :func:`mesh_check` found. :meth:`failures` lists every check that did not hold (none: passed)."""

    source: str
    size: float
    algorithm: str = ""
    volumes: int = 0
    surfaces: int = 0
    shared_surfaces: int = 0  # gmsh surfaces that bound two volumes
    expected_shared: int = 0  # faces shared by two solids in the model that was written
    unshared_contacts: int = 0  # coincident surfaces of two volumes that gmsh did NOT find shared
    duplicate_nodes: int = 0  # distinct mesh nodes at one place
    nodes: int = 0
    tets: int = 0
    parts: list[PartMesh] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def volume(self) -> float:
        return sum(p.volume for p in self.parts)

    @property
    def expected_volume(self) -> float:
        return sum(p.expected for p in self.parts)

    def failures(self) -> list[str]:
        out = []
        if self.shared_surfaces != self.expected_shared:
            out.append(f"gmsh finds {self.shared_surfaces} shared surfaces, the model has {self.expected_shared}")
        if self.unshared_contacts:
            out.append(f"{self.unshared_contacts} contact surfaces are not shared")
        if self.duplicate_nodes:
            out.append(f"{self.duplicate_nodes} duplicate nodes")
        err = abs(self.volume - self.expected_volume) / self.expected_volume
        if err > VOLUME_TOL:
            out.append(f"meshed volume {self.volume:.6g} mm3 is {100 * err:.3f} % off manifest.json's "
                       f"{self.expected_volume:.6g} mm3 (allowed {100 * VOLUME_TOL:g} %)")
        out += [f"{p.part}: {p.tets} tetrahedra" for p in self.parts if p.tets == 0]
        out += [f"{p.part}: planar part meshed to {p.volume:.9g} mm3, manifest {p.expected:.9g}"
                for p in self.parts if p.planar and abs(p.error) > PLANAR_TOL]
        return out

    def table(self) -> str:
        """The per-part table the CLI prints."""
        lines = [f"{'part':<22} {'solids':>6} {'tets':>9} {'meshed mm3':>13} {'manifest mm3':>13} {'error':>9}"]
        for p in self.parts:
            lines.append(f"{p.part:<22} {p.solids:>6} {p.tets:>9,} {p.volume:>13.6f} {p.expected:>13.6f} "
                         f"{100 * p.error:>8.3f}%")
        err = (self.volume - self.expected_volume) / self.expected_volume
        lines.append(f"{'total':<22} {self.volumes:>6} {self.tets:>9,} {self.volume:>13.6f} "
                     f"{self.expected_volume:>13.6f} {100 * err:>8.3f}%")
        lines.append(f"{self.source}: size {self.size:g} mm, {self.algorithm}, {self.nodes:,} nodes, "
                     f"{self.shared_surfaces} shared surfaces (model: {self.expected_shared}), "
                     f"{self.unshared_contacts} unshared contacts, "
                     f"{self.duplicate_nodes} duplicate nodes; "
                     + ", ".join(f"{k} {v:.1f} s" for k, v in self.seconds.items()))
        return "\n".join(lines)
