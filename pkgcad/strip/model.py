"""The strip in its five process stages, built from ONE unit: the unit's parts are made once by the package
builders and every unit is an instance of them (never a copy); what spans the strip (carrier strip, heat-sink
plate, interface layer, mold body, flash) is made once for the strip.

    1 bonded     carrier strip, each unit's die attach and chip with its wires (or its bumps)
    2 plate      + adhesive (buffer pad), ONE heat-sink plate with its interface layer over the array
    3 molded     + ONE mold body under the plate across the array (tiled: units make the tiles), and the
                   compound's flash skin on the interface layer
    4 deflashed  - the flash (it comes off the interface layer, which the compound holds poorly: claim 1/12);
                   + the balls of a BGA (ball mount follows molding)
    5 sawn       the kerf taken away along every street: the units apart, each one the package, and the
                   offcuts (rails, and the rims of the outer streets if the kerf is narrower than the street)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import cadquery as cq
import numpy as np

from .. import rules
from ..geometry import build_package, encapsulant_of
from ..geometry.shapes import box
from ..geometry.tiles import TiledCut
from ..layout import Layout
from ..materials import mass_g
from ..package import Package, Part
from ..rect import Rect
from ..roles import Role
from . import frame
from .layout import StripLayout
from .tiling import single, tiled_layer

STAGES = (
    (1, "bonded", "chips bonded on the strip"),
    (2, "plate", "heat-sink plate placed"),
    (3, "molded", "molded, with flash on the interface layer"),
    (4, "deflashed", "flash removed"),
    (5, "sawn", "sawn: the kerf removed along every street, the units apart"),
)
#: unit roles present from each stage on (the strip-level parts are added by :func:`make_strip`)
FIRST_STAGE = {Role.CARRIER: 1, Role.BOND_FINGER: 1, Role.DIE_ATTACH: 1, Role.BUMP: 1, Role.CHIP: 1, Role.WIRE: 1,
               Role.BUFFER_PAD_ATTACH: 2, Role.BUFFER_PAD: 2, Role.ADHESIVE: 2, Role.BALL: 4}
#: the package parts that are strip-wide before the saw
STRIP_WIDE = ("carrier", "heat_sink", "interface_layer", "encapsulant")


@dataclass
class Stage:
    """One process stage: ``unit_parts`` (unit frame) placed at every unit's centre, ``strip_parts`` (strip frame)."""

    number: int
    key: str
    title: str
    unit_parts: list[Part]
    strip_parts: list[Part]

    @property
    def stem(self) -> str:
        return f"{self.number}-{self.key}"

    def volumes(self, units: int) -> dict[tuple[str, str], float]:
        """Volume [mm^3] of every (layer, material) in the stage, see :func:`layer`."""
        out: dict[tuple[str, str], float] = {}
        for parts, n in ((self.unit_parts, units), (self.strip_parts, 1)):
            for p in parts:
                key = (layer(p), p.material)
                out[key] = out.get(key, 0.0) + p.volume() * p.count * n
        return out


LAYERS = {Role.ENCAPSULANT: "compound", Role.HEAT_SINK: "heat-sink plate", Role.INTERFACE_LAYER: "interface layer",
          Role.CARRIER: "carrier"}


def layer(part: Part) -> str:
    """What the process sheet calls ``part``'s material: compound, heat-sink plate, interface layer, carrier (the
    lead frame's copper apart from the plate's), or the part's role."""
    return LAYERS.get(part.role, str(part.role).replace("_", " "))


@dataclass
class StripModel:
    """The strip, its stages and the sawn unit (a :class:`~pkgcad.package.Package`)."""

    strip: StripLayout
    unit: Package
    stages: list[Stage]
    mold: TiledCut
    timings: dict[str, float] = field(default_factory=dict)

    def stage(self, key: str) -> Stage:
        return next(s for s in self.stages if s.key == key)


def body_layout(strip: StripLayout) -> Layout:
    """The unit's layout on the sawn outline (:meth:`~pkgcad.layout.Layout.resized`, judged by the package rules):
    the unit itself unless the kerf is narrower than the street, when the rim the saw leaves is part of it and a
    QFN's leads run on to the sawn side."""
    lay = strip.unit
    if strip.rim <= 0:
        return lay
    sawn = lay.resized(strip.body)
    rules.check(sawn)
    return sawn


def sawn_unit(strip: StripLayout) -> Package:
    """A sawn unit: the package builders on the sawn outline (:func:`body_layout`)."""
    lay = body_layout(strip)
    parts = build_package(lay, mold=False).parts
    t0 = time.perf_counter()
    parts.append(encapsulant_of(lay, parts))
    return Package(lay, parts, timings={"encapsulant_s": time.perf_counter() - t0})


def make_strip(strip: StripLayout, progress: Callable[[str], None] | None = None) -> StripModel:
    """Every stage of ``strip`` (judged by :func:`pkgcad.strip.rules.judge`)."""
    say = progress or (lambda _stage: None)
    lay = strip.unit
    st = lay.stack
    t0 = time.perf_counter()
    say("building the unit")
    unit = sawn_unit(strip)
    t1 = time.perf_counter()
    own = {p.name: p for p in unit.parts}
    bonded = [frame.lengthened_leads(lay, strip.lead_reach) if p.name == "lead" else p
              for p in unit.parts if p.name not in STRIP_WIDE]
    area = strip.array.rect()
    carrier = frame.lead_frame(strip) if lay.qfn else [frame.panel(strip)]
    say("tiling the heat-sink plate and the mold")
    if lay.connecting_portion is None and lay.texture.kind == "flat":
        plate = Part("heat_sink", Role.HEAT_SINK, lay.spec.heat_sink.material, box(area, st.first_surface,
                                                                                   st.second_surface))
    else:
        tiles = tiled_layer(strip, single(own["heat_sink"].shape, "heat_sink"), (st.first_surface, st.second_surface),
                            np.zeros((0, 6)), "heat_sink")
        plate = Part("heat_sink", Role.HEAT_SINK, lay.spec.heat_sink.material, tiles.compound(), tiling=tiles)
    interface = Part("interface_layer", Role.INTERFACE_LAYER, lay.spec.interface_layer.material,
                     box(area, st.second_surface, st.interface_top))
    enc = own["encapsulant"]
    body = enc.tiling if isinstance(enc.tiling, TiledCut) else single(enc.shape, "encapsulant")
    tools = np.vstack([frame.bar_boxes(strip), frame.street_leads(strip)]) if lay.qfn else np.zeros((0, 6))
    mold = tiled_layer(strip, body, (lay.mold_bottom, st.first_surface), tools, "encapsulant")
    molded = Part("encapsulant", Role.ENCAPSULANT, lay.spec.encapsulant.material, mold.compound(), tiling=mold)
    t2 = time.perf_counter()
    stages = []
    for number, key, title in STAGES:
        if number == 5:
            stages.append(Stage(number, key, title, list(unit.parts), offcuts(strip)))
            continue
        units = [p for p in bonded if FIRST_STAGE[p.role] <= number]
        wide = list(carrier)
        if number >= 2:
            wide += [plate, interface]
        if number >= 3:
            wide.append(molded)
        if number == 3 and strip.flash > 0:
            wide.append(Part("flash", Role.ENCAPSULANT, lay.spec.encapsulant.material,
                             box(area, st.interface_top, st.interface_top + strip.flash)))
        stages.append(Stage(number, key, title, units, wide))
    timings = {"unit_s": t1 - t0, "strip_s": time.perf_counter() - t1, "tiles_s": t2 - t1}
    return StripModel(strip, unit, stages, mold, timings)


def offcuts(strip: StripLayout) -> list[Part]:
    """What the saw leaves besides the units: the rails cut into pieces and, when the kerf is narrower than the
    street, the rims of the outer streets. All plain boxes (no tool lies there), one compound per layer."""
    lay = strip.unit
    st = lay.stack
    carrier, inside = [], []
    for sx in strip.intervals(0):
        for sy in strip.intervals(1):
            kinds = (sx.kind, sy.kind)
            if "kerf" in kinds or kinds == ("body", "body"):
                continue
            rect = Rect((sx.lo + sx.hi) / 2, (sy.lo + sy.hi) / 2, sx.width, sy.width)
            in_array = "rail" not in kinds
            if not lay.qfn or not in_array:
                carrier.append(rect)
            if in_array:
                inside.append(rect)
    layers = [("offcut_carrier", Role.CARRIER, "copper" if lay.qfn else "bt-laminate", carrier, 0.0,
               st.carrier_top)]
    layers += [("offcut_encapsulant", Role.ENCAPSULANT, lay.spec.encapsulant.material, inside, lay.mold_bottom,
                st.first_surface),
               ("offcut_heat_sink", Role.HEAT_SINK, lay.spec.heat_sink.material, inside, st.first_surface,
                st.second_surface),
               ("offcut_interface_layer", Role.INTERFACE_LAYER, lay.spec.interface_layer.material, inside,
                st.second_surface, st.interface_top)]
    out = []
    for name, role, material, rects, z0, z1 in layers:
        if rects:
            out.append(Part(name, role, material, cq.Compound.makeCompound([box(r, z0, z1) for r in rects]),
                            group="offcuts"))
    return out


@dataclass(frozen=True)
class MaterialUse:
    """One layer and material of the strip [mm^3 and g]: what the strip used (the most of it in any stage: flash
    included, balls too), what went into the units, what the saw took (stage 4 minus stage 5), the offcuts and the
    flash (what is left over), and all that is wasted."""

    layer: str
    material: str
    used_mm3: float
    in_units_mm3: float
    kerf_mm3: float
    offcut_mm3: float
    flash_mm3: float

    @property
    def wasted_mm3(self) -> float:
        return self.kerf_mm3 + self.offcut_mm3 + self.flash_mm3

    def grams(self, mm3: float) -> float:
        return mass_g(self.material, mm3)

    def record(self) -> dict[str, str | float]:
        """strip.json's row: the volumes, then the same as masses."""
        volumes = {"used_mm3": self.used_mm3, "in_units_mm3": self.in_units_mm3, "kerf_mm3": self.kerf_mm3,
                   "offcut_mm3": self.offcut_mm3, "flash_mm3": self.flash_mm3, "wasted_mm3": self.wasted_mm3}
        return {"layer": self.layer, "material": self.material, **volumes,
                **{k.replace("_mm3", "_g"): self.grams(v) for k, v in volumes.items()}}


def material_use(model: StripModel) -> list[MaterialUse]:
    """Per layer and material: what the strip used, put into the units, lost to the saw and left over."""
    n = model.strip.count
    used: dict[tuple[str, str], float] = {}
    for s in model.stages[:4]:  # materials only come, except the flash that goes: the most of each
        for m, v in s.volumes(n).items():
            used[m] = max(used.get(m, 0.0), v)
    before = model.stage("deflashed").volumes(n)
    sawn = model.stage("sawn")
    in_units = Stage(0, "", "", sawn.unit_parts, []).volumes(n)
    after = sawn.volumes(n)
    flash = {(layer(p), p.material): p.volume() for p in model.stage("molded").strip_parts if p.name == "flash"}
    out: list[MaterialUse] = []
    order = list(LAYERS.values())
    for key in sorted(used, key=lambda k: (order.index(k[0]) if k[0] in order else len(order), k)):
        out.append(MaterialUse(key[0], key[1], used[key], in_units.get(key, 0.0),
                               before.get(key, 0.0) - after.get(key, 0.0), after.get(key, 0.0) - in_units.get(key, 0.0),
                               flash.get(key, 0.0)))
    return out
