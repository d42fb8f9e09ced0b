"""The 20 claims of US 6,844,622 B2 as data: what each needs, which check elements prove it, and which claims a
model embodies, DERIVED from its parameters (never copied from a template).

An :class:`Embodiment` is the handful of features the claims distinguish (carrier kind, connection, how the
heat sink is attached, the first surface, the interface layer). A claim is embodied when its parent claim is
and every feature it requires has one of the values it allows. ``pkgcad check`` tags every row it proves
with an element id; the claims shown on the row are the embodied claims that list that element
(:func:`claims_of`). The claim texts here are short paraphrases; ``pkgcad/screen/claims.txt`` has the words
(docs/references.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from .errors import InputError
from .materials import INTERFACE_MATERIALS
from .spec import PackageSpec

TEXTURED = ("roughened", "corrugated", "uneven")


@dataclass(frozen=True)
class Embodiment:
    """The features of a package that decide which claims it embodies (the manifest's ``embodiment``)."""

    carrier: str  # substrate | qfn
    connection: str  # wirebond | flipchip
    attach: str  # adhesive | connecting_portion | buffer_pad: what the heat sink's first surface meets
    first_surface: str  # flat | roughened | corrugated | uneven
    interface_layer: str  # the interface layer's material
    adhesive: str = "thermally-conductive"  # every pkgcad package bonds the heat sink with one
    footprint: str = "carrier"  # the heat sink's footprint: always the carrier's in pkgcad (layout.footprint)

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def embodiment(spec: PackageSpec) -> Embodiment:
    attach = "adhesive"
    if spec.buffer_pad.enabled:
        attach = "buffer_pad"
    elif spec.heat_sink.connecting_portion.enabled:
        attach = "connecting_portion"
    return Embodiment(spec.carrier.kind, spec.chip.connection, attach, spec.heat_sink.first_surface,
                      spec.interface_layer.material)


@dataclass(frozen=True)
class Claim:
    number: int
    parent: int | None
    text: str
    requires: Mapping[str, tuple[str, ...]]  # Embodiment field -> allowed values
    elements: tuple[str, ...]  # check element ids that prove it (see pkgcad.check.run.ELEMENTS)


# the elements every independent claim shares: heat sink, interface layer, encapsulant, coplanar sides
_BASE = ("interface_on_second_surface", "interface_exposed", "interface_adheres_less", "sides_exposed",
         "coplanar_sides", "chip_between", "chip_mounted", "wire_connection", "bump_connection", "encapsulated",
         "gap_filled")

CLAIMS: dict[int, Claim] = {c.number: c for c in (
    Claim(1, None, "chip carrier; chip mounted and electrically connected; heat sink whose first surface is "
          "attached to the chip and whose second surface carries an interface layer adhering to mold compound "
          "less than the first surface; encapsulant filling the gap between first surface and carrier; "
          "interface layer and heat-sink sides exposed; sides coplanar with the encapsulant's side edges",
          {"attach": ("adhesive", "connecting_portion")}, (*_BASE, "adhesive_bond")),
    Claim(2, 1, "heat sink's surface area the same as the chip carrier's", {"footprint": ("carrier",)},
          ("footprint_equal",)),
    Claim(3, 1, "interface layer of gold, chromium, nickel, their alloy or Teflon",
          {"interface_layer": INTERFACE_MATERIALS}, ("interface_material",)),
    Claim(4, 1, "chip carrier is a substrate", {"carrier": ("substrate",)}, ("carrier_substrate",)),
    Claim(5, 4, "chip connected to the substrate through bonding wires", {"connection": ("wirebond",)},
          ("wire_connection",)),
    Claim(6, 4, "chip connected to the substrate through solder bumps", {"connection": ("flipchip",)},
          ("bump_connection",)),
    Claim(7, 1, "chip carrier is a QFN lead frame", {"carrier": ("qfn",)}, ("carrier_qfn",)),
    Claim(8, 7, "chip connected to the QFN lead frame through bonding wires", {"connection": ("wirebond",)},
          ("wire_connection",)),
    Claim(9, 1, "first surface roughened, corrugated or uneven", {"first_surface": TEXTURED},
          ("first_surface_textured",)),
    Claim(10, 1, "connecting portion on the first surface over the chip joins it to the chip; the rest of the "
          "first surface is spaced from the chip", {"attach": ("connecting_portion",)},
          ("adhesive_bond", "connecting_portion_over_chip", "rest_spaced")),
    Claim(11, 1, "heat sink attached to the chip through a thermally conductive adhesive",
          {"adhesive": ("thermally-conductive",)}, ("adhesive_bond",)),
    Claim(12, None, "as claim 1, but a buffer pad of a material with a CTE similar to the chip's is attached to "
          "the chip and the first surface to the buffer pad, spacing the first surface from the chip; the "
          "encapsulant encapsulates chip and buffer pad", {"attach": ("buffer_pad",)},
          (*_BASE, "buffer_pad_bond", "buffer_pad_cte", "first_surface_spaced", "adhesive_bond")),
    Claim(13, 12, "heat sink's surface area the same as the chip carrier's", {"footprint": ("carrier",)},
          ("footprint_equal",)),
    Claim(14, 12, "interface layer of gold, chromium, nickel, their alloy or Teflon",
          {"interface_layer": INTERFACE_MATERIALS}, ("interface_material",)),
    Claim(15, 12, "chip carrier is a substrate", {"carrier": ("substrate",)}, ("carrier_substrate",)),
    Claim(16, 15, "chip connected to the substrate through bonding wires", {"connection": ("wirebond",)},
          ("wire_connection",)),
    Claim(17, 12, "chip carrier is a QFN lead frame", {"carrier": ("qfn",)}, ("carrier_qfn",)),
    Claim(18, 17, "chip connected to the QFN lead frame through bonding wires", {"connection": ("wirebond",)},
          ("wire_connection",)),
    Claim(19, 12, "first surface roughened, corrugated or uneven", {"first_surface": TEXTURED},
          ("first_surface_textured",)),
    Claim(20, 12, "heat sink attached to the buffer pad through a thermally conductive adhesive",
          {"adhesive": ("thermally-conductive",)}, ("adhesive_bond",)),
)}

#: Every element id some claim names; a check element may only tag its rows with one of these (or "").
ELEMENT_IDS = frozenset(e for c in CLAIMS.values() for e in c.elements)


def _holds(claim: Claim, emb: Embodiment) -> bool:
    return all(getattr(emb, key) in allowed for key, allowed in claim.requires.items())


def embodied(emb: Embodiment) -> tuple[int, ...]:
    """The claims a package with these features embodies (parents before children)."""
    out: list[int] = []
    for n in sorted(CLAIMS):
        c = CLAIMS[n]
        if (c.parent is None or c.parent in out) and _holds(c, emb):
            out.append(n)
    return tuple(out)


def claims_of_spec(spec: PackageSpec) -> tuple[int, ...]:
    return embodied(embodiment(spec))


def claims_of(element: str, claims: Iterable[int]) -> tuple[int, ...]:
    """Which of ``claims`` (those a model embodies) the check element ``element`` proves a part of."""
    return tuple(n for n in sorted(claims) if element in CLAIMS[n].elements)


def check_declared(spec: PackageSpec) -> None:
    """A template's ``meta.claims``, when given, must be exactly the claims its parameters embody."""
    declared = tuple(sorted(set(spec.meta.claims)))
    if not declared:
        return
    derived = claims_of_spec(spec)
    if declared != derived:
        missing = sorted(set(derived) - set(declared))
        extra = sorted(set(declared) - set(derived))
        parts = ([f"also embodies {_list(missing)}"] if missing else []) + \
                ([f"does not embody {_list(extra)}"] if extra else [])
        raise InputError("meta.claims", list(declared), f"the parameters embody claims {_list(derived)}: the "
                         f"package {' and '.join(parts)}",
                         f"set meta.claims = {list(derived)} or remove meta.claims (claims are derived)")


def _list(ns: Iterable[int]) -> str:
    return ", ".join(str(n) for n in ns)
