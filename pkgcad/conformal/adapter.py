"""The one place :mod:`pkgcad.conformal` reaches into the rest of pkgcad: the parts (geometry builders), the mold
envelope, the tile planner and the STEP writer (exporters). Re-point these imports when those modules move."""

from __future__ import annotations

import cadquery as cq

from .. import __version__
from ..errors import GeometryError
from ..export.step import SharedSolid, write_shared_solids
from ..geometry import build_package
from ..geometry.encapsulant import envelope as mold_envelope
from ..geometry.shapes import box, cut_all, truncated_sphere
from ..geometry.tiles import TilePlan, plan_tiles
from ..layout import Layout, Rect, Sites, SphereCut
from ..materials import material
from ..package import Package, Part
from ..roles import Role

__all__ = ["GeometryError", "Layout", "Package", "Part", "Rect", "Role", "SharedSolid", "Sites", "SphereCut",
           "TilePlan", "__version__", "box", "box_volume", "cut_all", "envelope", "material", "package_of",
           "plan_tiles", "truncated_sphere", "write_shared_solids"]


def package_of(source: Layout | Package) -> Package:
    """``source`` as a Package; a Layout is built WITHOUT its encapsulant (the conformal model makes the
    encapsulant from the uncut mold envelope itself, so the tiled cut would be wasted time)."""
    return source if isinstance(source, Package) else build_package(source, mold=False)


def envelope(pkg: Package) -> cq.Shape:
    """The UNCUT space the molding compound fills (with the first surface's recesses): the encapsulant before
    anything it holds is cut out of it [mm]."""
    return mold_envelope(pkg.layout)


def box_volume(pkg: Package) -> float:
    """The package's box [mm^3]: the footprint from the package bottom (z = 0) to the interface layer's top.
    Every part but the solder balls lies inside it, and together they fill it."""
    _cx, _cy, sx, sy = pkg.layout.footprint  # a layout Rect is (centre x, centre y, size x, size y)
    return sx * sy * pkg.layout.stack.interface_top

