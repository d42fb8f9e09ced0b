"""The 3D model as VRML 2.0 the way KiCad's library ships it: 1 unit = 0.1 inch (mm / 2.54), KiCad's library
material names, and every repeated part (ball, bump, lead, wire, encapsulant tile) ONE shape defined once
(``DEF``) and placed by ``Transform { ... children [ USE ... ] }``, so 10,000 bumps cost one mesh plus 10,000
short lines, not 10,000 meshes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import __version__
from ..export.options import QUALITIES
from ..package import Package, Part
from ..tessellate import part_meshes

MM_PER_UNIT = 2.54

# KiCad library materials (kicad-packages3D): ambientIntensity, diffuseColor, specularColor, shininess
MATERIALS: dict[str, tuple[float, tuple[float, float, float], tuple[float, float, float], float]] = {
    "IC-BODY-EPOXY-04": (0.293, (0.148, 0.145, 0.145), (0.180, 0.168, 0.160), 0.35),  # black body
    "PIN-01": (0.271, (0.824, 0.820, 0.781), (0.328, 0.258, 0.172), 0.70),  # metal grey pins
    "PIN-02": (0.379, (0.859, 0.738, 0.496), (0.137, 0.145, 0.184), 0.40),  # gold pins
    "MET-COPPER": (0.022727, (0.7038, 0.27048, 0.0828), (0.780612, 0.37, 0.0), 0.2),
    "MET-ALUMINUM": (0.256, (0.372322, 0.371574, 0.373173), (0.556122, 0.554201, 0.556122), 0.127551),
    "MET-SILVER": (0.022727, (0.50754, 0.50754, 0.50754), (0.508273, 0.508273, 0.508273), 0.4),
    "BOARD-GREEN-02": (1.0, (0.07, 0.3, 0.12), (0.07, 0.3, 0.12), 0.4),  # substrate
    "IC-BODY-EPOXY-01": (0.117, (0.250, 0.262, 0.281), (0.316, 0.281, 0.176), 0.25),  # grey body (die)
    "PLASTIC-WHITE-01": (0.494, (0.895, 0.891, 0.813), (0.047, 0.055, 0.109), 0.25),
}
_BY_MATERIAL = {
    "mold-compound": "IC-BODY-EPOXY-04", "bt-laminate": "BOARD-GREEN-02", "solder": "PIN-01",
    "gold": "PIN-02", "nickel-gold": "PIN-02", "copper": "MET-COPPER", "aluminium": "MET-ALUMINUM",
    "nickel": "MET-SILVER", "chromium": "MET-SILVER", "alloy42": "MET-SILVER", "molybdenum": "MET-SILVER",
    "silver-epoxy": "MET-SILVER", "thermal-adhesive": "MET-SILVER", "silicon": "IC-BODY-EPOXY-01",
    "ptfe": "PLASTIC-WHITE-01",
}


def material_name(part: Part) -> str:
    """KiCad's name for the look of ``part``: QFN leads and die pad are plated pins, the rest by material."""
    if part.role == "carrier" and part.material == "copper":
        return "PIN-01"
    return _BY_MATERIAL[part.material]


def _material(name: str, defined: set[str]) -> str:
    if name in defined:
        return f"material USE {name}"
    defined.add(name)
    amb, dif, spec, shine = MATERIALS[name]
    return (f"material DEF {name} Material {{ ambientIntensity {amb:g} diffuseColor {dif[0]:g} {dif[1]:g} "
            f"{dif[2]:g} specularColor {spec[0]:g} {spec[1]:g} {spec[2]:g} emissiveColor 0 0 0 "
            f"shininess {shine:g} transparency 0 }}")


def _shape(ident: str, verts: np.ndarray, faces: np.ndarray, mat: str) -> str:
    points = ("%.6f %.6f %.6f,\n" * len(verts)) % tuple((verts / MM_PER_UNIT).ravel().tolist())
    index = ("%d %d %d -1,\n" * len(faces)) % tuple(faces.ravel().tolist())
    return (f"DEF {ident} Shape {{\n appearance Appearance {{ {mat} }}\n geometry IndexedFaceSet {{\n"
            f"  creaseAngle 0.5\n  coord Coordinate {{ point [\n{points}  ] }}\n  coordIndex [\n{index}  ]\n }}\n}}")


def _place(body: str, x: float, y: float, z: float, angle_deg: float) -> str:
    rot = f" rotation 0 0 1 {np.radians(angle_deg):.9f}" if angle_deg else ""
    return (f"Transform {{ translation {x / MM_PER_UNIT:.6f} {y / MM_PER_UNIT:.6f} {z / MM_PER_UNIT:.6f}{rot} "
            f"children [ {body} ] }}\n")


def write_wrl(pkg: Package, path: Path, quality: str = "draft") -> dict[str, int]:
    """Write ``pkg`` (already in the board frame: z = 0 on the board top) to ``path``. Returns counts:
    ``definitions`` (meshes written) and ``instances`` (placements)."""
    defined: set[str] = set()
    counts = {"definitions": 0, "instances": 0}
    with path.open("w", encoding="ascii") as fh:
        fh.write(f"#VRML V2.0 utf8\n# {pkg.name}: pkgcad {__version__}; 1 unit = 2.54 mm (0.1 inch), "
                 "the KiCad library's scale; z = 0 on the board top\n")
        for part in pkg.parts:
            mat = material_name(part)
            # one mesh per distinct piece with the (dx, dy) shifts that place it (a tiled encapsulant: per tile)
            for k, (mesh, shifts) in enumerate(part_meshes(part, QUALITIES[quality]).pieces):
                ident = f"{part.name}_{k}"
                first = True
                for pl in part.placements:
                    for dx, dy in shifts:
                        if first:
                            body = _shape(ident, np.asarray(mesh.vertices), np.asarray(mesh.faces),
                                          _material(mat, defined))
                            counts["definitions"] += 1
                            first = False
                        else:
                            body = f"USE {ident}"
                        if dx or dy:
                            body = _place(body, dx, dy, 0.0, 0.0)
                        fh.write(_place(body, pl.x, pl.y, pl.z, pl.angle_deg))
                        counts["instances"] += 1
    return counts
