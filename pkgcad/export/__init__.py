"""Exporters, one module per format, and the one function that writes a package folder.

    options.py   quality and STEP mode tables (no geometry kernel: the CLI lists them cheaply)
    staging.py   the staged output folder, renamed into place at the end
    step.py      STEP AP214 (names, colours, instancing, tiled encapsulant; the header rewrite)
    stl.py       binary STL, streamed per part, and the whole-package file
    glb.py       glTF binary scene with instanced nodes
    manifest.py  manifest.json (schema: pkgcad.reader.schema)
    writer.py    write_package: every format into one folder
    sizes.py     what each --quality costs (pkgcad show --sizes)

This file imports nothing, so ``pkgcad.export.options`` stays cheap to import.
"""
