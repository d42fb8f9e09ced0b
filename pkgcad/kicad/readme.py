"""The README.md written into a library folder: what is in it, how to add it to KiCad, how names are made."""

from __future__ import annotations

import re
from typing import Any

from ..markup import md_code, md_text
from .land import Land

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def text(lib: str, options: Any, lands: list[Land]) -> str:
    """The README; ``lib`` and ``options.model_dir`` are the user's text: shown as written, never as markup."""
    ext = "wrl" if options.wrl else "step"
    raw_lib, raw_dir = lib, options.model_dir
    lib = _CONTROL.sub(" ", raw_lib)  # inside the indented code block below: literal, one line
    code = md_code  # inline names
    rows = "\n".join(f"| {code(ld.name)} | {md_text(ld.kind)} | {ld.pin_count} | "
                     f"{code(f'{raw_lib}.3dshapes/{ld.model_name}.step')}{' + .wrl' if options.wrl else ''} |"
                     for ld in lands)
    return f"""# KiCad library {code(raw_lib)} (written by pkgcad)

Footprints and 3D models of packages with an exposed heat sink (US 6,844,622 B2), made from the same spec
as pkgcad's CAD models, so land pattern and 3D model cannot disagree. All lengths in millimetres.
Written for KiCad 6 (footprint format 20211014); KiCad 7 and 8 read it too.

| footprint | kind | pins | 3D model |
|---|---|---|---|
{rows}

## Add it to KiCad

1. Footprints: Preferences > Manage Footprint Libraries > (Global or Project Specific Libraries) > add a row:
   nickname {code(raw_lib)}, library path {code(f"<this folder>/{raw_lib}.pretty")} (or
   {code("${KIPRJMOD}/" + raw_lib + ".pretty")} when this folder is the project folder), plugin type KiCad. In a
   project's `fp-lib-table`:

       (lib (name "{lib}")(type "KiCad")(uri "${{KIPRJMOD}}/{lib}.pretty")(options "")(descr "pkgcad packages"))

2. 3D models: each footprint's model line reads {code(f"{raw_dir}/{raw_lib}.3dshapes/<model>.{ext}")}.
   With `${{KIPRJMOD}}` (the default) keep this folder inside the KiCad project folder. Elsewhere, write the
   library with `pkgcad kicad ... --3d-dir '${{PKGCAD_3D}}'` and define `PKGCAD_3D` as this folder's path in
   Preferences > Configure Paths (or point `--3d-dir` at an absolute path).
3. STEP export of a board: the model lines name the `.wrl` (the KiCad library's rule: the viewer draws VRML);
   the `.step` of the same name sits beside it. Tick "Substitute similarly named models" in File > Export >
   STEP, or run `kicad2step --subst-models board.kicad_pcb`, to put the exact STEP models on the board.
   (`--no-wrl` writes STEP only and points the model lines at the `.step`.)

## Conventions (KiCad Library Conventions, KLC)

- Origin at the package centre, pin 1 / ball A1 top-left, KiCad's y pointing down; 3D models with z = 0 on the
  board top (the ball bottoms of a BGA, the bottom of a QFN), model line offset 0, scale 1, rotation 0.
- STEP 1:1 in mm; WRL (VRML 2.0) in units of 0.1 inch (mm / 2.54), KiCad material names (IC-BODY-EPOXY-04 body,
  PIN-01 balls and leads, MET-COPPER heat sink, PIN-02 gold, BOARD-GREEN-02 substrate); one ball, bump or lead
  mesh defined once and placed many times (DEF/USE).
- Lines: fabrication 0.10 mm with the pin-1 corner chamfered, silkscreen 0.12 mm (BGA: outline open at A1;
  QFN: corner marks, the top-left one running on to pin 1), courtyard 0.05 mm on a 0.01 mm grid
  (IPC-7351B excess: BGA 0.5/1.0/2.0 mm, QFN 0.1/0.25/0.5 mm for density L/N/M).
- Lands (IPC-7351B, density {options.density}): BGA round NSMD pads (mask 0.05 mm larger) sized from the ball by
  the IPC table of collapsible balls, named A1, A2, ... (rows skip I, O, Q, S, X, Z); QFN lands from the
  flat-no-lead toe/heel/side fillets, exposed pad numbered pins + 1 with its paste split into apertures
  covering 65 %{"; thermal vias 0.3 mm drill on the paste grid's inner corners" if options.thermal_vias else ""}.

## Names

- `BGA-<balls>_<X>x<Y>mm_Layout<columns>x<rows>_P<pitch>mm_Ball<ball>mm_Pad<land>mm_NSMD_HeatSink`
- `QFN-<leads>-1EP_<X>x<Y>mm_P<pitch>mm_EP<X>x<Y>mm_HeatSink` (+ `_ThermalVias`; the model name leaves it out)
- Two packages of one library that would share a name (same outside, different inside) get their pkgcad
  template name appended, e.g. `..._HeatSink_buffer-pad`.
"""
