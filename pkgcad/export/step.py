"""STEP AP214 in millimetres: every instance a named product with its material colour, a repeated part ONE
definition referenced N times, a tiled encapsulant a sub-assembly of its distinct tiles; then the STEP text
rewrite (names of sub-assembly occurrences, our header)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import cadquery as cq

from .. import __version__
from ..materials import material
from ..package import Package, Part, Tiling
from .options import STEP_MODES


def assembly(pkg: Package, tiles: bool = True) -> cq.Assembly:
    """A CadQuery assembly: every instance a named child with its material colour; a repeated part adds
    the SAME shape object at each location, so STEP writes one definition and N references. A tiled part
    is a sub-assembly of its tiles, each distinct tile one definition (``tiles=False``: one glued solid)."""
    assy = cq.Assembly(name=pkg.name)
    for part in pkg.parts:
        color = cq.Color(*material(part.material).color)
        for pl in part.placements:
            if part.tiling is not None and tiles:
                assy.add(tile_assembly(part, part.tiling, color), name=pl.name, loc=pl.location())
            else:
                assy.add(part.solid(), name=pl.name, loc=pl.location(), color=color)
    return assy


def tile_assembly(part: Part, tiling: Tiling, color: cq.Color) -> cq.Assembly:
    """``part``'s tiles as named children (``<part>_tile_0000``...), congruent tiles sharing one shape."""
    sub = cq.Assembly(name=f"{part.name}_tiles")
    for i, (k, dx, dy) in enumerate(tiling.uses):
        sub.add(tiling.shapes[k], name=f"{part.name}_tile_{i:04d}", loc=cq.Location(cq.Vector(dx, dy, 0)),
                color=color)
    return sub


def write_step(pkg: Package, path: Path, mode: str = "assembly") -> dict[str, Any] | None:
    """STEP AP214 in millimetres, in one of :data:`STEP_MODES`. In an assembly a repeated part is one shape
    definition referenced N times. "fused" writes the whole package as one solid whose faces keep their part
    colours (the parts only touch, so the fuse glues them). "conformal" (:mod:`pkgcad.conformal`) writes solids that
    share their contact faces and returns the manifest's record of them (``conformal``); the others None."""
    if mode not in STEP_MODES:
        raise ValueError(f"step mode {mode!r}: choose {' | '.join(STEP_MODES)}")
    if mode == "conformal":
        from ..conformal.step import write_conformal_step  # late: pkgcad.conformal imports this module

        return write_conformal_step(pkg, path).manifest()
    how: Literal["default", "fused"] = "fused" if mode == "fused" else "default"
    assembly(pkg, tiles=mode == "assembly").export(str(path), "STEP", mode=how, unit="MM", write_pcurves=False,
                                                  glue=True)
    text = path.read_text(encoding="latin-1")
    if mode == "assembly" and any(p.tiling for p in pkg.parts):
        text = name_sub_assemblies(text, path.name)
    path.write_text(stamp_step_header(text, pkg), encoding="latin-1")
    return None


_UNNAMED = re.compile(r"NEXT_ASSEMBLY_USAGE_OCCURRENCE\('([^']*)','','',\s*#(\d+),\s*#(\d+)")


def name_sub_assemblies(text: str, file: str) -> str:
    """The STEP ``text`` with each unnamed assembly occurrence named after the product it places. CadQuery
    names the occurrences of parts but not of sub-assemblies (here: a tiled encapsulant), and CAD trees show
    those as blank."""

    def ref(entity: str, ident: str) -> str:
        m = re.search(rf"^#{ident} = {entity}\('[^']*',\s*'[^']*',\s*#(\d+)", text, re.M)
        if m is None:
            raise ValueError(f"{file}: #{ident} is no {entity}")
        return m.group(1)

    def named(m: re.Match[str]) -> str:
        formation = ref("PRODUCT_DEFINITION", m.group(3))
        product = ref("PRODUCT_DEFINITION_FORMATION", formation)
        name = re.search(rf"^#{product} = PRODUCT\('([^']*)'", text, re.M)
        if name is None:
            raise ValueError(f"{file}: #{product} is no PRODUCT")
        return f"NEXT_ASSEMBLY_USAGE_OCCURRENCE('{m.group(1)}','{name.group(1)}','',#{m.group(2)},#{m.group(3)}"

    return _UNNAMED.sub(named, text)


def step_string(text: str) -> str:
    """``text`` as the inside of an ISO 10303-21 string literal (§6.4.3), which is 7-bit ASCII: printable
    characters as they are with ``'`` and ``\\`` doubled, every run of other characters (accents, dashes,
    CJK, control codes) as ``\\X2\\hhhh...\\X0\\`` (UCS-2) or, beyond U+FFFF, ``\\X4\\hhhhhhhh...\\X0\\``."""
    out: list[str] = []
    run: list[str] = []
    wide = False

    def flush() -> None:
        if run:
            out.append(("\\X4\\" if wide else "\\X2\\") + "".join(run) + "\\X0\\")
            run.clear()

    for ch in text:
        code = ord(ch)
        if 0x20 <= code <= 0x7E:
            flush()
            out.append(ch * 2 if ch in "'\\" else ch)
            continue
        if run and (code > 0xFFFF) != wide:
            flush()
        wide = code > 0xFFFF
        run.append(f"{code:08X}" if wide else f"{code:04X}")
    flush()
    return "".join(out)


def stamp_step_header(text: str, pkg: Package) -> str:
    """The STEP ``text`` with our FILE_DESCRIPTION and author in the header; the title is encoded as
    ISO 10303-21 asks (ASCII only), so what we write stays ASCII whatever the title holds."""
    return stamp_header(text, pkg.name, pkg.spec.meta.title)


def stamp_header(text: str, name: str, title: str) -> str:
    """:func:`stamp_step_header` for a model named ``name`` with ``title`` (a package, or a strip stage)."""
    head, sep, body = text.partition("ENDSEC;")
    desc = step_string(f"pkgcad {__version__}: {name}; {title}; units: millimetre")
    head = head.replace("FILE_DESCRIPTION(('Open CASCADE Model')", f"FILE_DESCRIPTION(('{desc}')", 1)
    head = head.replace("('Author')", "('pkgcad')", 1)
    return head + sep + body


