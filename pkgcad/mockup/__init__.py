"""``pkgcad mockup``: turn a package model into a print kit for enlarged 3D-printed mockups.

    options.py  scale, least feature, bed, cut (no geometry kernel)
    thicken.py  a thickened copy of the spec: every feature at least the least printable size
    pieces.py   parts -> printable pieces (repeated parts tied into one piece), or the cutaway piece
    solids.py   manifold3d booleans and mesh clean-up
    bed.py      print orientation (flat side down), bed fit, exploded layout
    validate.py the checks every piece passes before it is written
    (the 3MF: pkgcad.export.threemf, one object per material colour)
    kit.py      make and write the kit; kit_md.py writes kit.md
"""

from __future__ import annotations

from .options import MockupOptions, make_options

__all__ = ["MockupOptions", "make_options"]
