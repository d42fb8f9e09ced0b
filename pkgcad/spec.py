"""Validated, frozen parameter models of a package. Every length is in millimetres.

A template (TOML) plus ``--set`` overrides becomes a :class:`PackageSpec`. Field limits live on the fields
(so ``pkgcad show`` can print them); rules that tie several fields together live in :mod:`pkgcad.rules`,
which runs before any geometry is made.

Numbers are strict (``StrictFloat``/``StrictInt``): pydantic's lax mode would read a TOML ``true`` as 1.0 mm
or the string ``"0.3"`` as 0.3. An integer is still a valid length (``thickness = 1``).
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, field_validator

from .materials import AdhesiveMaterial, BufferPadMaterial, HeatSinkMaterial, InterfaceMaterial

#: Hard limits that keep a typo from eating the machine.
MAX_BUMPS = 200_000
MAX_BALLS = 5_000
MAX_WIRES = 2_000
MAX_LEADS = 400
MAX_TEXTURE_FEATURES = 20_000

#: Least thickness of a bond line or plating [mm]. Thinner, the STL's float32 coordinates (about 1e-7 mm apart
#: near z = 1 mm) cannot carry it to the 1 % of volume `pkgcad check` proves.
MIN_LAYER = 0.0001
#: Least height of a geometric step or clearance [mm]: twice the default tolerance of `pkgcad check` (0.001 mm),
#: so the check can tell the step from a flat face and the clearance from a contact. Smaller steps also make the
#: geometry kernel's booleans crawl (a 0.00001 mm groove ran for 15 minutes).
MIN_FEATURE = 0.002

Size2 = tuple[
    Annotated[StrictFloat, Field(gt=0.05, le=100.0)],
    Annotated[StrictFloat, Field(gt=0.05, le=100.0)],
]


class _Model(BaseModel):
    # allow_inf_nan=False: nan and inf are refused as "not a finite number", not compared with the limits
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True, allow_inf_nan=False)


class Meta(_Model):
    name: str = Field("package", pattern=r"^[a-z0-9][a-z0-9_-]*$", description="output base name")
    title: str = Field("", description="one-line description of the embodiment")
    claims: tuple[Annotated[StrictInt, Field(ge=1, le=20)], ...] = Field(
        (), description="optional: the claims this template must embody (derived from the parameters; a "
        "difference is refused)")

    @field_validator("title")
    @classmethod
    def _one_line(cls, title: str) -> str:
        """The title goes into `pkgcad list`, the STEP header and the manifest: one line, no control characters
        (line and paragraph separators included: ``str.splitlines`` breaks on them too)."""
        for i, ch in enumerate(title):
            if unicodedata.category(ch) in ("Cc", "Zl", "Zp"):
                raise ValueError(f"must be one line of printable text: no line break or control character "
                                 f"(U+{ord(ch):04X} at position {i})")
        return title


class Carrier(_Model):
    kind: Literal["substrate", "qfn"] = Field("substrate", description="BGA substrate or QFN lead frame")
    size: Size2 = Field((12.0, 12.0), description="body footprint x, y [mm]")
    thickness: StrictFloat = Field(0.36, gt=0.05, le=3.0, description="substrate or lead-frame thickness [mm]")


class Chip(_Model):
    size: Size2 = Field((6.0, 6.0), description="die footprint x, y [mm]")
    thickness: StrictFloat = Field(0.28, gt=0.02, le=1.5, description="die thickness [mm]")
    connection: Literal["wirebond", "flipchip"] = Field(
        "wirebond", description="wire-bonded face-up, or flip chip face-down on solder bumps"
    )


class DieAttach(_Model):
    thickness: StrictFloat = Field(0.025, ge=MIN_LAYER, le=0.2, description="die-attach bond line [mm] (wire bond)")
    material: AdhesiveMaterial = Field("silver-epoxy", description="die-attach material")


class Wires(_Model):
    count: StrictInt = Field(64, ge=4, le=MAX_WIRES, description="bonding wires, spread over the four chip sides")
    diameter: StrictFloat = Field(0.025, ge=0.01, le=0.1, description="wire diameter [mm]")
    pitch: StrictFloat = Field(0.08, ge=0.03, le=2.0, description="chip pad pitch along a side [mm]")
    pad_inset: StrictFloat = Field(0.08, ge=0.02, le=1.0, description="chip pad centre to chip edge [mm]")
    loop_height: StrictFloat = Field(0.08, ge=0.02, le=1.0, description="wire centre line above the die top [mm]")
    span: StrictFloat = Field(0.9, ge=0.1, le=10.0, description="pad to bond finger, horizontal [mm] (substrate)")
    bend_radius: StrictFloat = Field(0.04, ge=0.005, le=0.5, description="radius of the loop's two bends [mm]")
    finger_length: StrictFloat = Field(0.25, ge=0.02, le=2.0, description="bond finger length, radial [mm]")
    finger_width: StrictFloat = Field(0.06, ge=0.01, le=1.0, description="bond finger width [mm]")
    finger_thickness: StrictFloat = Field(0.018, ge=0.005, le=0.1, description="bond finger copper [mm]")


class Bumps(_Model):
    count: StrictInt = Field(400, ge=1, le=MAX_BUMPS, description="solder bumps; met by the nearest array that fits")
    pitch: StrictFloat = Field(0.25, ge=0.05, le=2.0, description="bump pitch [mm]")
    diameter: StrictFloat = Field(0.12, ge=0.02, le=1.0, description="bump sphere diameter [mm]")
    height: StrictFloat = Field(0.09, ge=0.01, le=1.0, description="collapsed bump height = chip standoff [mm]")
    pattern: Literal["full", "peripheral"] = Field("full", description="full area array or peripheral rows")


class Balls(_Model):
    count: StrictInt = Field(0, ge=0, le=MAX_BALLS, description="solder balls under the substrate (0 = LGA)")
    pitch: StrictFloat = Field(1.0, ge=0.2, le=3.0, description="ball pitch [mm]")
    diameter: StrictFloat = Field(0.5, ge=0.1, le=1.0, description="ball sphere diameter [mm]")
    height: StrictFloat = Field(0.4, ge=0.05, le=1.0, description="ball height below the substrate [mm]")
    pattern: Literal["full", "peripheral"] = Field("full", description="full area array or peripheral rows")


class Leads(_Model):
    count: StrictInt = Field(32, ge=4, le=MAX_LEADS, description="QFN leads, a multiple of 4")
    pitch: StrictFloat = Field(0.5, ge=0.2, le=2.0, description="lead pitch [mm] (JEDEC MO-220: 0.4/0.5/0.65)")
    width: StrictFloat = Field(0.25, ge=0.05, le=1.0, description="lead width [mm]")
    length: StrictFloat = Field(0.4, ge=0.1, le=2.0, description="lead length from the body edge [mm]")


class DiePad(_Model):
    size: Size2 = Field((3.2, 3.2), description="QFN exposed die pad x, y [mm]")


class Adhesive(_Model):
    thickness: StrictFloat = Field(0.12, ge=MIN_LAYER, le=0.5,
                                   description="thermally conductive adhesive bond line [mm]")
    size: Size2 | None = Field(None, description="adhesive footprint [mm]; default: what it bonds to")
    material: AdhesiveMaterial = Field("thermal-adhesive", description="adhesive material")


class ConnectingPortion(_Model):
    enabled: bool = Field(False, description="pedestal on the first surface over the chip (claim 10)")
    size: Size2 = Field((3.0, 3.0), description="pedestal footprint [mm]")
    height: StrictFloat = Field(0.15, ge=MIN_FEATURE, le=2.0,
                                description="pedestal height below the first surface [mm]")


class Roughened(_Model):
    height: StrictFloat = Field(0.02, ge=MIN_FEATURE, le=0.2,
                                description="asperity height below the first surface [mm]")
    diameter: StrictFloat = Field(0.12, gt=0.0, le=1.0, description="asperity sphere diameter [mm]")
    density: StrictFloat = Field(4.0, gt=0.0, le=100.0, description="asperities per mm^2")
    seed: StrictInt = Field(1, ge=0, description="random seed")


class Corrugated(_Model):
    pitch: StrictFloat = Field(0.5, gt=0.02, le=5.0, description="groove pitch [mm]")
    width: StrictFloat = Field(0.25, gt=0.01, le=5.0, description="groove width [mm]")
    depth: StrictFloat = Field(0.05, ge=MIN_FEATURE, le=1.0, description="groove depth into the heat sink [mm]")
    direction: Literal["x", "y"] = Field("y", description="groove direction")


class Uneven(_Model):
    style: Literal["dimples", "steps"] = Field("dimples", description="spherical dimples or square pockets")
    pitch: StrictFloat = Field(0.6, gt=0.02, le=5.0, description="dimple / pocket pitch [mm]")
    size: StrictFloat = Field(0.3, gt=0.01, le=5.0, description="dimple diameter or pocket side [mm]")
    depth: StrictFloat = Field(0.04, ge=MIN_FEATURE, le=1.0, description="depth into the heat sink [mm]")


class HeatSink(_Model):
    thickness: StrictFloat = Field(0.3, gt=0.05, le=5.0, description="plate thickness [mm]")
    material: HeatSinkMaterial = Field("copper", description="heat-sink material")
    first_surface: Literal["flat", "roughened", "corrugated", "uneven"] = Field(
        "flat", description="texture of the downward first surface (claims 9, 19)"
    )
    edge_margin: StrictFloat = Field(0.2, ge=0.0, le=5.0, description="texture-free band along the sides [mm]")
    keepout: StrictFloat = Field(0.1, ge=0.0, le=5.0, description="texture-free band around the attach area [mm]")
    roughened: Roughened = Roughened()
    corrugated: Corrugated = Corrugated()
    uneven: Uneven = Uneven()
    connecting_portion: ConnectingPortion = ConnectingPortion()


class BufferPad(_Model):
    enabled: bool = Field(False, description="buffer pad between chip and heat sink (claim 12)")
    size: Size2 = Field((3.0, 3.0), description="buffer pad footprint [mm]")
    thickness: StrictFloat = Field(0.2, ge=MIN_FEATURE, le=2.0, description="buffer pad thickness [mm]")
    material: BufferPadMaterial = Field("silicon", description="buffer pad material")
    attach_thickness: StrictFloat = Field(0.02, ge=MIN_LAYER, le=0.2, description="bond line buffer pad to chip [mm]")


class InterfaceLayer(_Model):
    material: InterfaceMaterial = Field("nickel-gold", description="claims 3, 14")
    thickness: StrictFloat = Field(0.005, ge=MIN_LAYER, le=0.1, description="layer on the whole second surface [mm]")


class Encapsulant(_Model):
    material: Literal["mold-compound"] = Field("mold-compound", description="molding compound")


class Rules(_Model):
    min_gap: StrictFloat = Field(0.02, ge=MIN_FEATURE, le=1.0,
                                 description="least clearance wire/chip to heat sink [mm]")
    saw_margin: StrictFloat = Field(0.1, ge=0.0, le=5.0, description="least distance of inner parts to the sides [mm]")


class PackageSpec(_Model):
    meta: Meta = Meta()
    carrier: Carrier = Carrier()
    chip: Chip = Chip()
    die_attach: DieAttach = DieAttach()
    wires: Wires = Wires()
    bumps: Bumps = Bumps()
    balls: Balls = Balls()
    leads: Leads = Leads()
    die_pad: DiePad = DiePad()
    adhesive: Adhesive = Adhesive()
    heat_sink: HeatSink = HeatSink()
    buffer_pad: BufferPad = BufferPad()
    interface_layer: InterfaceLayer = InterfaceLayer()
    encapsulant: Encapsulant = Encapsulant()
    rules: Rules = Rules()

    # -- which sections take part --------------------------------------------------------------------
    @property
    def wirebond(self) -> bool:
        return self.chip.connection == "wirebond"

    @property
    def qfn(self) -> bool:
        return self.carrier.kind == "qfn"

    def unused_sections(self) -> set[str]:
        """Sections present in every spec but without effect for this embodiment."""
        unused: set[str] = set()
        if self.wirebond:
            unused.add("bumps")
        else:
            unused.update({"wires", "die_attach"})
        if self.qfn:
            unused.add("balls")
        else:
            unused.update({"leads", "die_pad"})
        if not self.buffer_pad.enabled:
            unused.add("buffer_pad")
        return unused
