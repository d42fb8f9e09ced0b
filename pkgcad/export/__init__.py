"""Exporters, one module per format, and the one function that writes a package folder.

    options.py   quality and STEP mode tables (no geometry kernel: the CLI lists them cheaply)
    outpath.py   the output guard: what -o may replace, judged before any work (pkgcad replaces only what it wrote)
    staging.py   the writers behind it: a staged output folder swapped into place, a file renamed into place
    estimate.py  triangles, bytes and memory a build will take, before it starts (the --yes guard)
    assembly.py  what the STEP and GLB writers write: placed parts, and a unit placed many times (a strip)
    step.py      the ONE STEP writer (XCAF): every build mode, strip stages, kicad models, shared-face solids
    stl.py       binary STL, streamed per part, and the whole-package file
    glb.py       the ONE GLB writer: instanced nodes, for a build and for a strip's stages
    manifest.py  manifest.json (schema: pkgcad.reader.schema)
    writer.py    write_package: every format into one folder
    sizes.py     what each --quality costs (pkgcad show --sizes)

This file imports nothing, so ``pkgcad.export.options`` stays cheap to import.
"""
