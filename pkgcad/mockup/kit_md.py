"""kit.md: what a person at the printer needs, made from kit.json's data."""

from __future__ import annotations

from typing import Any

from ..markup import md_text

NOTES = {
    "wire_fan": "print with supports under the loops; the wires are rods of at least the least feature",
    "balls": "prints upside down: the web on the bed, the balls up",
    "bumps": "the web on the bed, the bumps up",
    "encapsulant": "holds hollows for everything it moulds around; print with supports",
    "cutaway": "one piece; print the 3MF on a multi-colour printer to see the layers in the cut",
}

CUTS = {"none": "none", "quarter": "a quarter removed (x > x0, y < y0)", "half": "the front half removed (y < y0)"}
ARRANGEMENTS = {
    "assembled": "in the assembled position (a colour view of the stack; print the STLs)",
    "bed": "laid out on the bed as the STLs are",
    "print pose": "in the print pose of the cutaway piece (for multi-colour printers)",
}


def _f(x: float) -> str:
    return f"{x:.3g}"


def kit_markdown(d: dict[str, Any]) -> str:
    s = d["scale"]
    bed = d["bed_mm"]
    bed_txt = f"{bed['width']:g} x {bed['depth']:g}" + (f" x {bed['height']:g}" if bed["height"] else "")
    lines = [
        f"# Print kit: {md_text(d['name'])} at {s:g}x",
        "",
        f"{md_text(d['title'])}.",
        "",
        f"- Scale {s:g}:1 (1 mm of the package is {s:g} mm on the print); all sizes below are printed mm.",
        f"- Least printable feature {d['min_feature_mm']:g} mm ({d['model_min_feature_mm']:.4g} mm on the package).",
        f"- Bed {bed_txt} mm; {len(d['pieces'])} piece(s)"
        + (f" laid out on {d['plates']} plate(s)" if d["plates"] else ", each centred on x = y = 0") + ".",
        f"- Cut: {CUTS[d['cut']]}" + (f", through {d['cut_planes']['through']} (x0, y0 = "
                                      f"{', '.join(_f(v) for v in d['cut_planes']['package_xy_mm'])} mm from "
                                      "the package centre)" if d["cut_planes"] else "") + ".",
        f"- `kit.3mf` holds one object per material colour {ARRANGEMENTS[d['arrangement_3mf']]}.",
        "",
        "## Pieces",
        "",
        "| # | file | piece | material | colour | size x × y × z (mm) | print orientation |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in d["pieces"]:
        size = " × ".join(_f(v) for v in p["size_mm"])
        lines.append(f"| {p['index']} | `{p['file']}` | {p['title']} | {p['material']} | {p['color'][:7]} | {size} "
                     f"| {p['print_orientation']} |")
    lines += ["", "## How the pieces stack", ""]
    lines += (["In the order of the file numbers, each with the height it spans once assembled (printed mm, "
               "from the package's lowest point):"] if d["cut"] == "none" else
              ["One piece; the layers inside it, bottom to top as assembled, with the height each spans (printed "
               "mm, from the package's lowest point; the print is turned as the table above says):"])
    lines.append("")
    for i, z in enumerate(d["stack"], 1):
        lines.append(f"{i}. {z['piece']}: z {_f(z['z_mm'][0])} to {_f(z['z_mm'][1])}")
    if d["cut"] == "none":
        lines += ["", "The encapsulant fits over everything between the substrate (or lead frame) and the heat "
                  "sink; the bonding wires pass through it, so in a physical kit it shows the mould's shape "
                  "beside the stack, or print a `--cutaway` kit to show them together."]
    lines += ["", "## Thickened for printing", ""]
    if d["thickened"]:
        lines += ["| field | package (mm) | printed (mm) | what |", "|---|---|---|---|"]
        for c in d["thickened"]:
            a, b = c["model_mm"]
            pa, pb = c["printed_mm"]
            lines.append(f"| `{c['field']}` | {a:.4g} → {b:.4g} | {pa:.3g} → {pb:.3g} | {c['why']} |")
        lines += ["", f"Round features (wires, balls, bumps) get {100 * (d['mesh']['round_allowance'] - 1):.1f}% "
                  "more, so their faceted mesh measures at least the least feature across its flats."]
    else:
        lines.append("Nothing: every feature is at least the least printable feature at this scale.")
    ties = [p for p in d["pieces"] if p["tie"]]
    if ties:
        lines += ["", "## Added so a piece prints in one part", ""]
        lines += [f"- {p['name']}: {p['tie']}." for p in ties]
    lines += ["", "## Printing notes", ""]
    lines += [f"- {p['name']}: {NOTES[p['name']]}." for p in d["pieces"] if p["name"] in NOTES]
    lines += ["- Every piece is one closed, consistently wound shell with no degenerate triangles, sitting on "
              "z = 0 (see `checks` in kit.json)."]
    return "\n".join(lines) + "\n"
