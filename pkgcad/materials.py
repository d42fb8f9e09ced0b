"""One table of the materials a package is made of.

Figures are typical handbook values (units in the field names); ``conductivity_source`` cites each thermal
conductivity (W/m K near room temperature), and says "unverified" where no primary source was found.
``mold_adhesion`` is a relative index (0 = compound does not stick, 1 = bare oxidised copper): claims 1 and 12
require the interface layer on the heat sink's second surface to adhere to the molding compound less than the
first surface does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args


@dataclass(frozen=True)
class Material:
    name: str
    description: str
    color: tuple[float, float, float]  # sRGB, 0..1
    density_g_cm3: float
    conductivity_w_mk: float
    cte_ppm_k: float
    mold_adhesion: float
    conductivity_source: str  # where conductivity_w_mk comes from (figures in W/m K)
    metallic: bool = True  # how viewers shade it (glTF metallicFactor)


_CRC = "CRC Handbook of Chemistry and Physics, 97th ed."

_TABLE = (
    Material("copper", "copper (C194 / OFC)", (0.85, 0.50, 0.30), 8.96, 390.0, 17.0, 1.00,
             "Copper Development Association, C10200 (OFC): 391; " + _CRC + " pure Cu 401 at 300 K"
             " (a C194 lead-frame alloy is ~260)"),
    Material("aluminium", "aluminium alloy", (0.78, 0.80, 0.82), 2.70, 205.0, 23.0, 0.90,
             "ASM Handbook Vol. 2 (1990): 6063-T5 209, 6063-T6 201"),
    Material("silicon", "single-crystal silicon", (0.30, 0.32, 0.42), 2.33, 150.0, 2.6, 0.60,
             _CRC + ": Si 148 at 300 K", False),
    Material("alloy42", "Fe-42Ni (Alloy 42)", (0.55, 0.56, 0.58), 8.11, 10.7, 4.5, 0.80,
             "producer datasheet, Alloy 42 (41 % Ni-Fe): 10.7 at 20-100 C (was 12.0)"),
    Material("molybdenum", "molybdenum", (0.62, 0.63, 0.66), 10.2, 138.0, 4.8, 0.70,
             _CRC + ": Mo 138 at 300 K"),
    Material("bt-laminate", "BT resin / glass laminate substrate", (0.20, 0.45, 0.25), 1.90, 0.2, 15.0, 0.90,
             "typical through-thickness value of a resin/glass laminate without copper; unverified", False),
    Material("gold", "gold plating / bonding wire", (1.00, 0.80, 0.20), 19.3, 317.0, 14.2, 0.10,
             _CRC + ": Au 317 at 300 K"),
    Material("chromium", "chromium plating", (0.75, 0.78, 0.82), 7.19, 94.0, 4.9, 0.20,
             _CRC + ": Cr 93.7 at 300 K"),
    Material("nickel", "nickel plating", (0.70, 0.70, 0.66), 8.90, 91.0, 13.4, 0.30,
             _CRC + ": Ni 90.7 at 300 K"),
    Material("nickel-gold", "nickel / gold stack (ENIG-like)", (0.95, 0.78, 0.30), 8.90, 91.0, 13.4, 0.10,
             "taken as nickel (" + _CRC + ": Ni 90.7): the Ni layer dominates the stack"),
    Material("ptfe", "PTFE (Teflon) coating", (0.95, 0.95, 0.92), 2.20, 0.25, 120.0, 0.02,
             "Chemours Teflon PTFE properties handbook: 0.25", False),
    Material("solder", "SAC305 solder", (0.66, 0.68, 0.70), 7.40, 58.0, 21.0, 0.50,
             "SAC305 vendor preform datasheet: 58 (was 57.0)"),
    Material("silver-epoxy", "silver-filled epoxy die attach", (0.80, 0.80, 0.85), 3.50, 2.0, 40.0, 0.80,
             "Henkel Loctite Ablestik die-attach selector: Ag-filled pastes 1.0-2.3 (2100A 1.2, 2030SC 2.3)"),
    Material("thermal-adhesive", "thermally conductive adhesive (Ag-epoxy)", (0.90, 0.90, 0.95), 3.20, 2.3, 45.0,
             0.80, "Henkel Loctite Ablestik 2030SC (Ag-filled): 2.3"),
    Material("mold-compound", "epoxy molding compound", (0.12, 0.12, 0.13), 1.95, 0.9, 10.0, 1.00,
             "typical silica-filled epoxy molding compound, 0.6-1.0; no vendor figure found; unverified", False),
)

MATERIALS: dict[str, Material] = {m.name: m for m in _TABLE}

# The materials a spec field may name: each a Literal type (the spec's field type, checked by mypy and pydantic)
# and the same names as a tuple (for messages and membership tests).
InterfaceMaterial = Literal["gold", "chromium", "nickel", "nickel-gold", "ptfe"]
"""Interface-layer materials named by claims 3 and 14 (gold, chromium, nickel, their alloy, Teflon)."""
INTERFACE_MATERIALS: tuple[str, ...] = get_args(InterfaceMaterial)
HeatSinkMaterial = Literal["copper", "aluminium"]
HEAT_SINK_MATERIALS: tuple[str, ...] = get_args(HeatSinkMaterial)
BufferPadMaterial = Literal["silicon", "alloy42", "molybdenum", "copper"]
"""Buffer-pad materials; claim 12 wants a CTE close to the chip's, checked against BUFFER_CTE_TOLERANCE."""
BUFFER_PAD_MATERIALS: tuple[str, ...] = get_args(BufferPadMaterial)
BUFFER_CTE_TOLERANCE_PPM_K = 3.0
AdhesiveMaterial = Literal["thermal-adhesive", "silver-epoxy"]
ADHESIVE_MATERIALS: tuple[str, ...] = get_args(AdhesiveMaterial)


def material(name: str) -> Material:
    try:
        return MATERIALS[name]
    except KeyError:
        raise KeyError(f"unknown material {name!r}; known: {', '.join(MATERIALS)}") from None


def mass_g(name: str, volume_mm3: float) -> float:
    """Mass in grams of ``volume_mm3`` cubic millimetres of material ``name``."""
    return material(name).density_g_cm3 * volume_mm3 / 1000.0
