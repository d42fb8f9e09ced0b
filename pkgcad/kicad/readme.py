"""The README.md written into a library folder: what is in it, how to add it to KiCad, how names are made."""

from __future__ import annotations

from typing import Any

from ..markup import md_code, md_text
from .land import PASTE_COVERAGE, VIA_DRILL, VIA_PAD, VIA_PASTE_CLEARANCE

#: The command line the README gives for a board STEP (tests run it as written)
KICAD2STEP = 'KIPRJMOD="$PWD" kicad2step --subst-models -f -o board.step board.kicad_pcb'


def text(lib: str, options: Any, packages: list[dict[str, Any]]) -> str:
    """The README; ``lib`` (letters, digits, '-', '_', '.') and ``options.model_dir`` (any text) are the user's:
    shown as written, never as markup (:mod:`pkgcad.markup`)."""
    ext = options.ext
    code = md_code
    rows = []
    for fp in sorted({p["footprint"] for p in packages}):
        mine = [p for p in packages if p["footprint"] == fp]
        users = {m: md_text(", ".join(sorted({p["template"] for p in mine if p["model"] == m}))) for m in
                 {p["model"] for p in mine}}
        models = "<br>".join(f"{code(m)} ({users[m]})" for m in sorted(users))
        corner = f" ({mine[0]['corner_gap_mm']:.3g} at the corners)" if mine[0].get("corner_gap_mm") else ""
        rows.append(f"| {code(fp)} | {mine[0]['kind']} {mine[0]['pins']} | {mine[0]['density']} | "
                    f"{mine[0]['web_mm']:g}{corner} | {models} |")
    table = "\n".join(rows)
    kiprjmod = options.model_dir == "${KIPRJMOD}"
    return f"""# KiCad library {code(lib)} (written by pkgcad)

Footprints and 3D models of packages with an exposed heat sink (US 6,844,622 B2), made from the same spec as
pkgcad's CAD models, so land pattern and 3D model cannot disagree. All lengths in millimetres. Written for
KiCad 6 (footprint format 20211014); KiCad 7 and 8 read it too.

| footprint | pins | density | copper gap between lands [mm] | 3D models (the packages that use them) |
|---|---|---|---|---|
{table}

Each footprint's model lines name every model in the last column, the first shown and the others hidden:
Footprint Properties > 3D Models lists them all, and the tick in its Show column picks the one a board draws
(per placed part). Models: {code(lib + ".3dshapes/<model>.step")} (1:1, mm) and `.wrl` (VRML 2.0 at 1/2.54, what the
model lines name{"" if options.wrl else "; this library was written with --no-wrl, its model lines name the .step"}).

## Add it to KiCad

Model lines read {code(f"{options.model_dir}/{lib}.3dshapes/<model>.{ext}")}.

- **In a project** (model lines `${{KIPRJMOD}}/...`, the default): copy {code(lib + ".pretty")} and
  {code(lib + ".3dshapes")} into the project folder (the one holding the `.kicad_pro`) and add the footprints in
  Preferences > Manage Footprint Libraries > Project Specific Libraries, or in the project's `fp-lib-table`:

      (lib (name "{lib}")(type "KiCad")(uri "${{KIPRJMOD}}/{lib}.pretty")(options "")(descr "pkgcad packages"))

- **For every project** (a global library): write it with `pkgcad kicad ... --3d-dir '${{KICAD6_3DMODEL_DIR}}'`,
  copy {code(lib + ".3dshapes")} into the folder Preferences > Configure Paths gives for `KICAD6_3DMODEL_DIR` (Debian:
  `/usr/share/kicad/3dmodels`), and add {code(lib + ".pretty")} under Global Libraries. Or name a path variable of your
  own (`--3d-dir '${{PKGCAD_3D}}'`) and set it in Configure Paths to the folder holding {code(lib + ".3dshapes")}.
{"- This library's model lines start with " + code(options.model_dir) + "." if not kiprjmod else ""}
## STEP of a board

The model lines name the `.wrl` (KiCad's library rule: the 3D viewer draws VRML); the `.step` of the same name
sits beside it. In pcbnew: File > Export > STEP with "Substitute similarly named models" ticked. On the command
line, in the project folder (kicad2step expands `${{KIPRJMOD}}` only when it is set: pcbnew sets it for its
own export, a shell does not; a global library's variable, e.g. `KICAD6_3DMODEL_DIR`, is given the same way):

```sh
{KICAD2STEP}
```

kicad2step writes `board.step`, then shows its log in a window until you close it.

## Conventions (KiCad Library Conventions, KLC)

- Origin at the package centre, pin 1 / ball A1 top-left, KiCad's y pointing down; 3D models with z = 0 on the
  board top (the ball bottoms of a BGA, the bottom of a QFN), model lines with offset 0, scale 1, rotation 0.
- Lands (IPC-7351B): BGA round NSMD pads (mask 0.05 mm larger) sized from the ball by the IPC table of collapsible
  balls (density L/N/M: its least/nominal/most column), named A1, A2, ... (rows skip I, O, Q, S, X, Z). QFN
  lands by IPC-7351B Table 3-15 (toe 0.20/0.30/0.40, heel 0, side -0.04 mm at L/N/M) with the JEDEC MO-220
  tolerances of the body (+-0.10), lead width (+-0.05) and length (+-0.10) mm, rounded to 0.05 mm. The gap
  column above is the copper web between neighbouring lands, and the solder-mask web too at KiCad 6's default
  mask expansion of 0 (the openings follow the pads); KiCad 6's default rules ask 0.2 mm. Exposed pad
  numbered pins + 1, its paste split into apertures covering {100 * PASTE_COVERAGE:.0f} %; `_ThermalVias` footprints
  add {VIA_DRILL:g} mm vias ({VIA_PAD:g} mm pads) at the aperture grid's inner corners, chamfer the apertures
  {VIA_PASTE_CLEARANCE:g} mm clear of via copper (50-80 % paste) and put a copper pad over the vias on the bottom
  side.
- Lines: fabrication 0.10 mm with the pin-1 corner chamfered, silkscreen 0.12 mm (BGA: outline open at A1;
  QFN: corner marks, the top-left one running on to pin 1), courtyard 0.05 mm on a 0.01 mm grid (IPC-7351B
  excess: BGA 0.5/1.0/2.0 mm, QFN 0.1/0.25/0.5 mm at L/N/M). Descriptions cite the patent's URL (F9.1).
- 3D models: by default what a board shows (carrier, balls or leads and die pad, mold body, heat sink and
  interface layer), not the chip, wires and bond lines the mold hides: small, and one ball, lead or bump mesh is
  defined once and placed many times (DEF/USE). `pkgcad kicad --full-model` writes every part. WRL materials are
  KiCad's (IC-BODY-EPOXY-04 body, PIN-01 balls and leads, MET-COPPER heat sink, PIN-02 gold, BOARD-GREEN-02
  substrate). Pin-1 mark: a black disc of epoxy ink set into the upper half of the interface layer over the
  pin-1 / A1 corner; the layer still covers the whole heat sink and outline and height are unchanged.

## Names

- Footprints, from the land pattern only (identical lands, one footprint):
  `BGA-<balls>_<X>x<Y>mm_Layout<cols>x<rows>_P<pitch>mm_Ball<ball>mm_Pad<land>mm_NSMD_HeatSink`,
  `QFN-<leads>-1EP_<X>x<Y>mm_P<pitch>mm_EP<X>x<Y>mm_HeatSink_Pad<length>x<width>mm` (+ `_ThermalVias`).
- 3D models, from the package only: the outline as the footprint names it without its land fields (`_Pad...`,
  `_NSMD`, `_ThermalVias`), then what a board-level model shows beyond it: `_H<seated height>mm_<finish>` (the
  interface layer: Au, Ni, Cr, NiAu, PTFE); a `--full-model` model also ends in its package's (template's) name.
- Names never depend on what else is in the library: writing more packages into this folder (`pkgcad kicad
  TEMPLATE -o <this folder>`) adds to it and renames nothing; delete the folder to start afresh.
"""
