"""``pkgcad strip``: the molded strip of many units and its singulation, the way the package is made.

    layout.py   where units, streets, saw lines and rails lie (pure maths)
    rules.py    what is refused before any geometry (one line, exit 2)
    frame.py    the carrier strip: substrate panel, or QFN lead frame with connecting bars
    tiling.py   a layer over the array in congruent tiles (the mold body, a textured plate)
    model.py    the five process stages, every unit an instance of one unit
"""
