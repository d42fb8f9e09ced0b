"""One table of the materials a package is made of.

Figures are typical handbook values (units in the field names); ``conductivity_source`` cites each thermal
conductivity (W/m K near room temperature), and says "unverified" where no primary source was found.
:data:`MECHANICS` holds the elastic constants of every material and cites them (with ``cte_ppm_k``, the linear
CTE below any glass transition and in-plane for a laminate): the mold compound and the BT laminate change at their
glass transition (:class:`Glass`), the laminate is stiffer and expands less in-plane than through its thickness.
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
    Material("aluminium", "aluminium alloy", (0.78, 0.80, 0.82), 2.70, 205.0, 23.4, 0.90,
             "ASM Handbook Vol. 2 (1990): 6063-T5 209, 6063-T6 201"),
    Material("silicon", "single-crystal silicon", (0.30, 0.32, 0.42), 2.33, 150.0, 2.6, 0.60,
             _CRC + ": Si 148 at 300 K", False),
    Material("alloy42", "Fe-42Ni (Alloy 42)", (0.55, 0.56, 0.58), 8.11, 10.7, 4.5, 0.80,
             "producer datasheet, Alloy 42 (41 % Ni-Fe): 10.7 at 20-100 C (was 12.0)"),
    Material("molybdenum", "molybdenum", (0.62, 0.63, 0.66), 10.2, 138.0, 4.8, 0.70,
             _CRC + ": Mo 138 at 300 K"),
    Material("bt-laminate", "BT resin / glass laminate substrate", (0.20, 0.45, 0.25), 1.90, 0.2, 14.0, 0.90,
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
    Material("mold-compound", "epoxy molding compound", (0.12, 0.12, 0.13), 1.95, 0.9, 11.0, 1.00,
             "CAPLINQ LINQSOL EMC-6043 technical data sheet (a green epoxy molding compound, 85 % silica): 0.9",
             False),
)

MATERIALS: dict[str, Material] = {m.name: m for m in _TABLE}


@dataclass(frozen=True)
class Glass:
    """What changes above a polymer's glass transition ``tg_c`` (degC): the modulus (in-plane for a laminate; the
    through-thickness one scales with it) and the CTEs. ``e_gpa`` None: no figure above Tg was found, the glassy
    moduli are kept (said in ``source``)."""

    tg_c: float
    cte_ppm_k: float
    source: str
    e_gpa: float | None = None
    cte_z_ppm_k: float | None = None


@dataclass(frozen=True)
class Mechanical:
    """Linear-elastic constants near room temperature (below any glass transition): Young's modulus (GPa) and
    Poisson's ratio, in-plane for a laminate, whose through-thickness modulus, Poisson's ratio nu_xz = nu_yz,
    shear modulus G_xz = G_yz and CTE are the ``*_z`` fields (None: isotropic). ``source`` cites E and nu,
    ``cte_source`` the material's ``cte_ppm_k``; "unverified" where no primary source was found."""

    e_gpa: float
    nu: float
    source: str
    cte_source: str
    e_z_gpa: float | None = None
    nu_z: float | None = None
    g_z_gpa: float | None = None
    cte_z_ppm_k: float | None = None
    glass: Glass | None = None

    @property
    def orthotropic(self) -> bool:
        return self.e_z_gpa is not None


@dataclass(frozen=True)
class Elastic:
    """The elastic constants of a material at one temperature (GPa; x-y isotropic, z the thickness direction)."""

    e_gpa: float
    nu: float
    e_z_gpa: float
    nu_z: float
    g_z_gpa: float

    @property
    def g_gpa(self) -> float:
        """In-plane shear modulus E / (2 (1 + nu))."""
        return self.e_gpa / (2.0 * (1.0 + self.nu))


_CRC_ELASTIC = "CRC Handbook of Chemistry and Physics, elastic constants of polycrystalline metals"
_UNVERIFIED = "; unverified"

MECHANICS: dict[str, Mechanical] = {
    "copper": Mechanical(
        117.0, 0.33, "Copper Development Association data for C10200 (OFC): modulus of elasticity 17,000 ksi "
        "(117 GPa), of rigidity 6,400 ksi (44 GPa), so nu = E / 2G - 1 = 0.33",
        "CDA C10200: 17.0 ppm/K (20-300 C)"),
    "aluminium": Mechanical(
        68.9, 0.33, "Aluminum Association typical values for 6063-T5: E 68.9 GPa, nu 0.33",
        "Aluminum Association, 6063-T5: 23.4 ppm/K (20-100 C)"),
    "silicon": Mechanical(
        130.0, 0.28, "Hopcroft, Nix and Kenny, What is the Young's modulus of silicon?, JMEMS 19 (2010) 229: "
        "E 130 GPa and nu 0.28 along <100> in the (100) plane, whose biaxial modulus 180.5 GPa this pair gives "
        "(E / (1 - nu) = 180.6); silicon is anisotropic (E 130-169 GPa in that plane)",
        "Okada and Tokumaru, J. Appl. Phys. 56 (1984) 314: 2.6 ppm/K at 300 K"),
    "alloy42": Mechanical(
        142.0, 0.29, "Fe-42Ni precision alloy 42N (GOST 10994) data: E 142 GPa; nu 0.29 typical of Fe-Ni alloys"
        + _UNVERIFIED, "Nilo 42 / Alloy 42 producer data: 4.5-6.5 ppm/K (20-300 C), 5.3 (20-100 C); the low end "
        "taken"),
    "molybdenum": Mechanical(
        317.0, 0.32, "molybdenum producer data (molybdenum.com): modulus of elasticity 46 x 10^6 psi (317 GPa) at "
        "20 C, Poisson's ratio 0.321", "molybdenum producer data: 4.8 ppm/K at 25 C (4.9 at 25-100 C)"),
    "bt-laminate": Mechanical(
        23.0, 0.18, "BT-resin laminate data sheet (HW20-M1, BT based, for IC packages): Young's modulus LW 23 GPa; "
        "nu_xy 0.18, E_z 8 GPa, nu_xz 0.3, G_xz 3.5 GPa: the glass/resin laminate of the Ansys Mechanical PCB "
        "example (Ansys help, PCB thermal-structural material properties)",
        "HW20-M1 data sheet: X/Y CTE 13-15 ppm/K and Z 40 ppm/K below Tg",
        e_z_gpa=8.0, nu_z=0.30, g_z_gpa=3.5, cte_z_ppm_k=40.0,
        glass=Glass(210.0, 7.0, "HW20-M1 data sheet: Tg 210 C (DMA); X/Y CTE 6-8 ppm/K and Z 220 ppm/K above Tg; "
                    "no modulus above Tg given: the glassy moduli are kept (the glass cloth carries the in-plane "
                    "load)", cte_z_ppm_k=220.0)),
    "gold": Mechanical(79.0, 0.44, _CRC_ELASTIC + ": Au 78.5 GPa, nu 0.44", _CRC + ": Au 14.2 ppm/K at 300 K"),
    "chromium": Mechanical(279.0, 0.21, _CRC_ELASTIC + ": Cr 279 GPa, nu 0.21", _CRC + ": Cr 4.9 ppm/K at 300 K"),
    "nickel": Mechanical(200.0, 0.31, _CRC_ELASTIC + ": Ni 199.5 GPa, nu 0.31", _CRC + ": Ni 13.4 ppm/K at 300 K"),
    "nickel-gold": Mechanical(200.0, 0.31, "taken as nickel (" + _CRC_ELASTIC + "): the Ni layer dominates",
                              "taken as nickel: 13.4 ppm/K"),
    "ptfe": Mechanical(0.5, 0.46, "typical PTFE: tensile modulus 0.4-0.6 GPa, nu 0.46" + _UNVERIFIED,
                       "typical PTFE 100-130 ppm/K (23-100 C)" + _UNVERIFIED),
    "solder": Mechanical(
        50.0, 0.40, "NIST Database for Solder Properties, Sn-Ag-Cu: E about 50 GPa at room temperature (after "
        "Schubert et al. 2001); nu 0.40 (the only SAC-type value it found, for CASTIN)",
        "typical SAC305 21 ppm/K" + _UNVERIFIED),
    "silver-epoxy": Mechanical(
        4.0, 0.35, "typical Ag-filled epoxy die attach below its Tg: 3-7 GPa" + _UNVERIFIED,
        "typical Ag-filled epoxy die attach 40 ppm/K below Tg" + _UNVERIFIED),
    "thermal-adhesive": Mechanical(
        3.3, 0.35, "Henkel Loctite Ablestik 2030SC data (CAPLINQ): tensile modulus 3,300 MPa at 25 C (6,200 at "
        "-65 C, 350 at 150 C, 450 at 200 C: taken constant at the 25 C figure); nu" + _UNVERIFIED,
        "typical Ag-filled epoxy adhesive 45 ppm/K" + _UNVERIFIED),
    "mold-compound": Mechanical(
        19.1, 0.25, "CAPLINQ LINQSOL EMC-6043 technical data sheet: storage (DMA) modulus 19,089 MPa at 25 C "
        "(flexural 19,000); nu 0.25 typical of silica-filled compounds" + _UNVERIFIED,
        "EMC-6043 data sheet: alpha1 11 ppm/K",
        glass=Glass(140.0, 42.0, "EMC-6043 data sheet: Tg 140 C, alpha2 42 ppm/K, storage modulus 2,310 MPa at "
                    "175 C (1,738 at 260 C)", e_gpa=2.31)),
}
"""The elastic constants of every material in :data:`MATERIALS` (the CTE below Tg is ``Material.cte_ppm_k``)."""

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


def mechanical(name: str) -> Mechanical:
    """The elastic data of material ``name``; KeyError naming the known ones."""
    try:
        return MECHANICS[name]
    except KeyError:
        raise KeyError(f"no elastic constants for material {name!r}; known: {', '.join(MECHANICS)}") from None


def elastic_at(name: str, temperature_c: float) -> Elastic:
    """The elastic constants of ``name`` at ``temperature_c`` (the rubbery modulus at and above its Tg)."""
    m = mechanical(name)
    e_z = m.e_z_gpa if m.e_z_gpa is not None else m.e_gpa
    g_z = m.g_z_gpa if m.g_z_gpa is not None else m.e_gpa / (2.0 * (1.0 + m.nu))
    nu_z = m.nu_z if m.nu_z is not None else m.nu
    g = m.glass
    if g is not None and g.e_gpa is not None and temperature_c >= g.tg_c:
        scale = g.e_gpa / m.e_gpa  # the whole stiffness softens with the resin
        return Elastic(g.e_gpa, m.nu, e_z * scale, nu_z, g_z * scale)
    return Elastic(m.e_gpa, m.nu, e_z, nu_z, g_z)


def thermal_strain(name: str, from_c: float, to_c: float) -> tuple[float, float, float]:
    """Free thermal strain (x, y, z) of ``name`` heated from ``from_c`` to ``to_c`` (degC): the integral of its
    CTE, alpha1 below the glass transition and alpha2 above (negative when cooling)."""
    m, mat = mechanical(name), material(name)
    a1 = (mat.cte_ppm_k, mat.cte_ppm_k, m.cte_z_ppm_k if m.cte_z_ppm_k is not None else mat.cte_ppm_k)
    g = m.glass
    if g is None:
        x, y, z = (1e-6 * a * (to_c - from_c) for a in a1)
        return x, y, z
    a2 = (g.cte_ppm_k, g.cte_ppm_k, g.cte_z_ppm_k if g.cte_z_ppm_k is not None else g.cte_ppm_k)
    tg = g.tg_c

    def _expansion(t: float, lo: float, hi: float) -> float:  # integral of alpha from Tg to t
        return lo * min(t - tg, 0.0) + hi * max(t - tg, 0.0)

    x, y, z = (1e-6 * (_expansion(to_c, lo, hi) - _expansion(from_c, lo, hi)) for lo, hi in zip(a1, a2, strict=True))
    return x, y, z
