"""``pkgcad strip``: the molded strip of many units and its singulation, the way the package is made.

    layout.py   where units, streets, saw lines and rails lie (pure maths, no OCCT)
    rules.py    what is refused before any geometry (one line, exit 2)
    frame.py    the carrier strip: substrate panel, or QFN lead frame with connecting bars
    tiling.py   a layer over the array in natural tiles, congruent tiles cut once (the mold body, a textured plate)
    model.py    the five process stages, every unit an instance of ONE unit built by the package builders
    figures.py  top view and street sections (view.figure / view.section primitives)
    sheet.py    strip.json and strip.md
    write.py    the staged output folder (the one place it is staged): each stage's STEP (two-level instancing: part
                definitions, one unit assembly, unit references) and GLB (a node per unit sharing one mesh per
                unit part) through pkgcad's one STEP and GLB writers (export/), and the sawn unit's check
    run.py      options -> judged strip layout -> model -> folder (what the CLI calls)
"""
