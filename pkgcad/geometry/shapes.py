"""Solid primitives and n-ary booleans. Every boolean here is ONE OCCT operation over all its tools."""

from __future__ import annotations

from collections.abc import Sequence

import cadquery as cq
from OCP.BRepAlgoAPI import BRepAlgoAPI_BooleanOperation, BRepAlgoAPI_Cut, BRepAlgoAPI_Fuse, BRepAlgoAPI_Splitter
from OCP.TopTools import TopTools_ListOfShape

from ..errors import GeometryError
from ..layout import WirePath
from ..rect import Rect


def box(rect: Rect, z0: float, z1: float) -> cq.Solid:
    cx, cy, sx, sy = rect
    return cq.Solid.makeBox(sx, sy, z1 - z0, pnt=cq.Vector(cx - sx / 2, cy - sy / 2, z0))


def truncated_sphere(diameter: float, z_lo: float, z_hi: float, z_centre: float) -> cq.Shape:
    """A sphere of ``diameter`` centred at ``z_centre`` on the z axis, cut flat at ``z_lo`` and ``z_hi``."""
    r = diameter / 2
    sphere = cq.Solid.makeSphere(r, cq.Vector(0, 0, z_centre), angleDegrees1=-90, angleDegrees2=90)
    slab = cq.Solid.makeBox(2 * diameter, 2 * diameter, z_hi - z_lo, pnt=cq.Vector(-diameter, -diameter, z_lo))
    return single_solid(sphere.intersect(slab), "truncated sphere")


def wire_solid(path: WirePath, diameter: float) -> cq.Solid:
    """The wire of ``path`` swept with a round section, in the path's own frame (start at the origin)."""
    r, h, length = path.radius, path.height, path.length
    e = [
        cq.Edge.makeLine(cq.Vector(0, 0, 0), cq.Vector(0, 0, h - r)),
        cq.Edge.makeThreePointArc(cq.Vector(0, 0, h - r), cq.Vector(r - r * 0.7071067811865476, 0,
                                  h - r + r * 0.7071067811865476), cq.Vector(r, 0, h)),
        cq.Edge.makeLine(cq.Vector(r, 0, h), cq.Vector(length - r, 0, h)),
        cq.Edge.makeThreePointArc(cq.Vector(length - r, 0, h), cq.Vector(length - r + r * 0.7071067811865476, 0,
                                  h - r + r * 0.7071067811865476), cq.Vector(length, 0, h - r)),
        cq.Edge.makeLine(cq.Vector(length, 0, h - r), cq.Vector(length, 0, path.drop)),
    ]
    if r >= length / 2 - 1e-9:  # the middle straight has no length
        e.pop(2)
    spine = cq.Wire.assembleEdges(e)
    section = cq.Wire.makeCircle(diameter / 2, cq.Vector(0, 0, 0), cq.Vector(0, 0, 1))
    solid = cq.Solid.sweep(section, [], spine, makeSolid=True, isFrenet=False, transitionMode="right")
    return single_solid(solid, "wire")


def single_solid(shape: cq.Shape, what: str) -> cq.Solid:
    solids = shape.Solids()
    if len(solids) != 1:
        raise GeometryError(what, f"expected one solid, got {len(solids)}")
    solid = solids[0]
    if not solid.isValid():
        raise GeometryError(what, "OCCT reports the solid invalid")
    return solid


def run_boolean(op: BRepAlgoAPI_BooleanOperation | BRepAlgoAPI_Splitter, arg: Sequence[cq.Shape],
                tools: Sequence[cq.Shape], *, parallel: bool = True, keep_args: bool = True,
                obb: bool = False) -> cq.Shape:
    """ONE OCCT boolean of all ``tools`` against ``arg``, without history (nobody asks for it).
    ``keep_args=False`` lets OCCT modify the inputs; ``obb`` lets it test oriented boxes (helps scattered,
    turned tools)."""
    args, tls = TopTools_ListOfShape(), TopTools_ListOfShape()
    for s in arg:
        args.Append(s.wrapped)
    for s in tools:
        tls.Append(s.wrapped)
    op.SetArguments(args)
    op.SetTools(tls)
    op.SetRunParallel(parallel)
    op.SetNonDestructive(keep_args)
    op.SetUseOBB(obb)
    op.SetCheckInverted(False)  # our tools are closed solids, never inverted
    op.SetToFillHistory(False)
    op.Build()
    if not op.IsDone():
        raise RuntimeError("boolean operation failed")
    return cq.Shape.cast(op.Shape())


def cut_all(arg: cq.Shape, tools: Sequence[cq.Shape]) -> cq.Shape:
    """``arg`` minus every tool, in one boolean."""
    return run_boolean(BRepAlgoAPI_Cut(), [arg], tools, obb=True) if tools else arg


def fuse_all(arg: cq.Shape, tools: Sequence[cq.Shape]) -> cq.Shape:
    """``arg`` united with every tool, in one boolean."""
    return run_boolean(BRepAlgoAPI_Fuse(), [arg], tools, obb=True) if tools else arg
