"""The FreeCAD macro beside the conformal STEP: ``<name>.FCMacro`` opens ``<name>.step`` in FreeCAD as named solids
that share their contact faces, from the two files alone (no pkgcad). Millimetres.

Why a macro and not the STEP alone (measured with FreeCAD 0.20.2 / OCCT 7.6.3, Debian's ``freecad``): FreeCAD's
STEP import names objects after STEP products only, and OCCT's reader rebuilds faces shared between solids only
from ONE non-manifold representation read with ``read.step.nonmanifold`` on (it translates each
MANIFOLD_SOLID_BREP, and each product, with its own map of faces). Opened as it is, the conformal STEP gives 71
shells named ``Shell``, ``Shell001``... (qfn); with the setting, 71 solids named ``Solid``... whose faces FreeCAD's
importer copies apart (831 faces, 0 shared). ``Part.read`` with the setting keeps them shared (455 faces of 831).

The macro does that: it sets the reader, reads the STEP with ``Part.read``, checks each solid's volume against the
one pkgcad wrote, and makes a document holding ``<name>`` (the model: every solid, sharing its contact faces; the
shape to mesh, which keeps them shared when saved) and, per solid, a link to it (``Solid<i>`` of the model) named
by its instance (``wire_003``, in a group per part of several solids), carrying its part and material, coloured
by it. A link and not a copy: FreeCAD gives every object's shape its own placement, so two objects never share a
face (``isSame``); the model's solids do, and each named link is one of them.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..materials import material
from .model import Solid

VOLUME_TOL = 1e-6
"""A solid read back must hold its volume within this fraction (the STEP round trip moves it by ~1e-9)."""


def macro_text(step_file: str, name: str, solids: Sequence[Solid], header: str) -> str:
    """The .FCMacro for ``step_file`` (a name beside it) holding ``solids`` in this order; ``name`` names the
    document and the model object; ``header`` says what the model is (one line)."""
    counts: dict[str, int] = {}
    for s in solids:
        counts[s.part] = counts.get(s.part, 0) + 1
    rows = "\n".join(f"    ({s.name!r}, {s.part!r}, {s.material!r}, {s.volume!r}, "
                     f"{tuple(round(c, 4) for c in material(s.material).color)!r}),"
                     for s in solids)
    return f'''# {header}
# The conformal model in FreeCAD (0.20 or later), in millimetres: named solids that share their contact faces.
# Run it in FreeCAD (Macro > Macros..., pick this file, Execute; or `freecad {name}.FCMacro`), or headless
# (`freecadcmd {name}.FCMacro`). It reads {step_file} beside it into a new document "{name}" holding
#   {name}        the model: every solid, sharing its contact faces with its neighbours (the shape to mesh)
#   <instance>    one link per solid to it (Solid1, Solid2, ... of the model), named by its instance (wire_003),
#                 with its part and material, in a group per part of several solids
# FreeCAD's STEP import (File > Open) copies the solids apart, with no shared face, named Solid, Solid001...: OCCT's
# reader shares the faces of this non-manifold STEP only with read.step.nonmanifold set, and Part.read keeps them.
import os

import FreeCAD
import Part

STEP = {step_file!r}
NAME = {name!r}
SOLIDS = [  # in the STEP's order: instance, part, material, volume mm3, colour (sRGB)
{rows}
]
MULTI = {sorted(p for p, n in counts.items() if n > 1)!r}  # parts of several solids: one group each

Part.setStaticValue("read.step.nonmanifold", 1)
try:
    shape = Part.read(os.path.join(os.path.dirname(os.path.abspath(__file__)), STEP))
finally:
    Part.setStaticValue("read.step.nonmanifold", 0)  # back to OCCT's default for FreeCAD's own imports
solids = shape.Solids
if len(solids) != len(SOLIDS):
    raise RuntimeError(f"{{STEP}}: FreeCAD read {{len(solids)}} solids; pkgcad wrote {{len(SOLIDS)}}")
for solid, (instance, _part, _material, volume, _colour) in zip(solids, SOLIDS):
    if abs(solid.Volume - volume) > {VOLUME_TOL!r} * volume:
        raise RuntimeError(f"{{STEP}}: solid {{instance}} holds {{solid.Volume}} mm3; pkgcad wrote {{volume}} mm3")
doc = FreeCAD.newDocument(NAME)
model = doc.addObject("Part::Feature", NAME)
model.Label = NAME
model.Shape = Part.Compound(solids)
groups = {{}}
for part in MULTI:
    groups[part] = doc.addObject("App::DocumentObjectGroup", "Group")
    groups[part].Label = part
for i, (instance, part, material, _volume, colour) in enumerate(SOLIDS):
    link = doc.addObject("App::Link", instance)
    link.Label = instance
    link.setLink(model, f"Solid{{i + 1}}")
    link.addProperty("App::PropertyString", "PartName", "pkgcad", "the part this solid is an instance of")
    link.addProperty("App::PropertyString", "Material", "pkgcad", "its material (pkgcad's materials table)")
    link.PartName, link.Material = part, material
    if part in groups:
        groups[part].addObject(link)
    if FreeCAD.GuiUp:
        link.ViewObject.OverrideMaterial = True
        link.ViewObject.ShapeMaterial.DiffuseColor = colour
doc.recompute()
if FreeCAD.GuiUp:
    import FreeCADGui

    model.ViewObject.Visibility = False
    FreeCADGui.SendMsgToActiveView("ViewFit")
'''
