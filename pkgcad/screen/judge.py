"""Claim by claim, element by element: run every check element of ``pkgcad check`` (the SAME functions,
:data:`pkgcad.check.run.ELEMENTS`) that the geometry can decide on a screened model, and say what it cannot.

A check element judges the features a pkgcad model declares; a screened model declares nothing, so the
features are found first (:func:`detect`) and an element that depends on one runs for each value it can take
(the carrier judged as a substrate AND as a lead frame, the connection by wires AND by bumps): every claim gets
an answer. An element is

- **met** when every row it gave passes, **not met** when one fails or when the solids it speaks of are
  missing (no interface layer, no buffer pad, no connecting portion), and
- **cannot tell** when it depends on what a STEP file does not hold: materials (the interface layer's, the
  heat sink's for adhesion, the buffer pad's and the chip's expansion, the adhesive's conductivity) until the
  user states them (roles file ``[materials]`` or ``--materials``), and the chip's electrical connection when
  the model has neither wires nor bumps.

A claim is met when all its elements are and its parent claim is; not met when one element or the parent is
not; otherwise cannot tell.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..check import inside, outside
from ..check.geom import horizontal_faces, overlap_area, tri_area
from ..check.hygiene import hygiene
from ..check.rows import Row
from ..claims import CLAIMS
from ..materials import ADHESIVE_MATERIALS, MATERIALS
from ..reader.model import Model
from ..roles import HIDDEN

MET, NOT_MET, CANNOT_TELL = "met", "not_met", "cannot_tell"

#: What each element says, in the claims' words (the chart's rows).
ELEMENT_NAMES: dict[str, str] = {
    "carrier_substrate": "the chip carrier is a substrate",
    "carrier_qfn": "the chip carrier is a QFN lead frame",
    "chip_between": "the chip lies between the chip carrier and the heat sink",
    "chip_mounted": "the chip is mounted on the chip carrier",
    "wire_connection": "the chip is connected to the carrier through bonding wires",
    "bump_connection": "the chip is connected to the carrier through solder bumps",
    "attach_kind": "how the heat sink's first surface is attached",
    "adhesive_bond": "the first surface is attached (through the adhesive where there is one)",
    "adhesive_material": "the adhesive is thermally conductive",
    "buffer_pad_bond": "a buffer pad is attached to the chip and the first surface to the buffer pad",
    "buffer_pad_cte": "the buffer pad's thermal expansion is similar to the chip's",
    "first_surface_spaced": "the buffer pad spaces the first surface from the chip",
    "connecting_portion_over_chip": "a connecting portion on the first surface, at the chip's position",
    "rest_spaced": "the rest of the first surface is spaced from the chip",
    "interface_on_second_surface": "an interface layer is formed on the heat sink's second surface",
    "interface_exposed": "the interface layer is exposed outside the encapsulant",
    "interface_adheres_less": "the interface layer adheres to molding compound less than the first surface",
    "interface_material": "the interface layer is gold, chromium, nickel, their alloy or Teflon",
    "sides_exposed": "the heat sink's side surfaces are exposed",
    "coplanar_sides": "the heat sink's side surfaces are coplanar with the encapsulant's side edges",
    "footprint_equal": "the heat sink's surface area is the same as the chip carrier's",
    "encapsulated": "the encapsulant encapsulates the chip (and its wires, bumps, buffer pad)",
    "gap_filled": "the encapsulant fills the gap between the first surface and the chip carrier",
    "first_surface_textured": "the first surface is roughened, corrugated or uneven",
    "electrical_connection": "the chip is electrically connected to the chip carrier",
}

#: Which check function gives each element's rows (to name the error when one cannot judge a geometry).
FUNCTION_OF: dict[str, str] = {
    "carrier_substrate": "carrier", "carrier_qfn": "carrier", "interface_on_second_surface": "interface_contact",
    "interface_exposed": "interface_exposure", "sides_exposed": "side_exposure", "coplanar_sides": "coplanarity",
    "footprint_equal": "footprint", "chip_between": "stack_order", "chip_mounted": "stack_order",
    "adhesive_bond": "attachment", "buffer_pad_bond": "attachment", "rest_spaced": "attachment",
    "connecting_portion_over_chip": "attachment", "first_surface_spaced": "attachment",
    "encapsulated": "encapsulation", "gap_filled": "fill", "first_surface_textured": "texture",
    "wire_connection": "wire_connection", "bump_connection": "bump_connection",
    "interface_material": "interface_material", "interface_adheres_less": "interface_material",
    "buffer_pad_cte": "buffer_pad_cte",
}

#: The roles an element speaks of: a missing one makes it "not met"; the pictures highlight them.
NEEDS: dict[str, tuple[str, ...]] = {
    "carrier_substrate": ("carrier", "chip", "heat_sink"), "carrier_qfn": ("carrier", "chip", "heat_sink"),
    "chip_between": ("carrier", "chip", "heat_sink"), "chip_mounted": ("carrier", "chip"),
    "wire_connection": ("wire", "chip", "carrier"), "bump_connection": ("bump", "chip", "carrier"),
    "attach_kind": ("chip", "heat_sink"), "adhesive_bond": ("chip", "heat_sink"),
    "adhesive_material": ("adhesive",), "buffer_pad_bond": ("chip", "buffer_pad", "heat_sink"),
    "buffer_pad_cte": ("chip", "buffer_pad"), "first_surface_spaced": ("chip", "buffer_pad", "heat_sink"),
    "connecting_portion_over_chip": ("chip", "heat_sink"), "rest_spaced": ("chip", "heat_sink"),
    "interface_on_second_surface": ("heat_sink", "interface_layer"),
    "interface_exposed": ("heat_sink", "interface_layer"),
    "interface_adheres_less": ("heat_sink", "interface_layer"), "interface_material": ("interface_layer",),
    "sides_exposed": ("heat_sink",), "coplanar_sides": ("heat_sink", "encapsulant"),
    "footprint_equal": ("heat_sink", "carrier"), "encapsulated": ("encapsulant", "chip"),
    "gap_filled": ("carrier", "heat_sink"), "first_surface_textured": ("heat_sink",),
}

#: More roles the pictures highlight beside :data:`NEEDS`.
SHOWN: dict[str, tuple[str, ...]] = {
    "chip_mounted": ("die_attach", "bump"), "wire_connection": ("bond_finger",),
    "adhesive_bond": ("adhesive", "buffer_pad", "buffer_pad_attach"),
    "buffer_pad_bond": ("adhesive", "buffer_pad_attach"), "first_surface_spaced": ("adhesive", "buffer_pad_attach"),
    "attach_kind": ("adhesive", "buffer_pad", "buffer_pad_attach"), "connecting_portion_over_chip": ("adhesive",),
    "rest_spaced": ("adhesive",), "encapsulated": tuple(sorted(HIDDEN)), "gap_filled": ("encapsulant", "chip"),
    "sides_exposed": ("encapsulant",), "coplanar_sides": ("carrier",),
}

#: The materials an element needs, and what the user states to decide it.
MATERIAL_NEEDS: dict[str, tuple[str, ...]] = {
    "interface_material": ("interface_layer",), "interface_adheres_less": ("interface_layer", "heat_sink"),
    "buffer_pad_cte": ("buffer_pad", "chip"), "adhesive_material": ("adhesive",),
}


@dataclass
class Element:
    """One element's verdict on the model: ``rows`` the check rows behind it (none when it was not run)."""

    id: str
    verdict: str
    evidence: str
    rows: list[Row] = field(default_factory=list)
    roles: tuple[str, ...] = ()  # what its picture highlights

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": ELEMENT_NAMES.get(self.id, self.id), "verdict": self.verdict,
                "evidence": self.evidence,
                "rows": [{k: v for k, v in r.as_dict().items() if k != "claims"} for r in self.rows]}


@dataclass
class ClaimVerdict:
    claim: int
    verdict: str
    elements: list[Element]
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"claim": self.claim, "verdict": self.verdict, "note": self.note,
                "elements": [{"id": e.id, "verdict": e.verdict, "evidence": e.evidence} for e in self.elements]}


@dataclass
class Judgement:
    elements: dict[str, Element]
    claims: list[ClaimVerdict]
    hygiene: list[Row]
    embodiment: dict[str, str]
    found: dict[str, str]  # feature -> how it was found
    undecided: list[tuple[str, str]]  # (element id, what the user must state)


# ----------------------------------------------------------------------------------------- detect
def detect(m: Model, tol: float) -> tuple[dict[str, str], dict[str, str]]:
    """The features the claims distinguish, found in the geometry: (embodiment, how each was found)."""
    how: dict[str, str] = {}
    conn = "wirebond" if m.has("wire") else "flipchip" if m.has("bump") else "none"
    how["connection"] = {"wirebond": "bonding wires found", "flipchip": "solder bumps found",
                         "none": "neither wires nor bumps in the model"}[conn]
    if m.has("buffer_pad"):
        attach, how["attach"] = "buffer_pad", "a buffer pad between the chip and the heat sink"
    else:
        attach, how["attach"] = connecting_portion(m, tol)
    carrier = "substrate"
    if m.has("carrier"):
        n = len(m.bodies("carrier")[0])
        carrier = "qfn" if n > 1 else "substrate"
        how["carrier"] = f"{n} bod{'y' if n == 1 else 'ies'} in the carrier"
    mat = m.material_of("interface_layer")
    emb = {"carrier": carrier, "connection": conn, "attach": attach, "first_surface": "textured",
           "interface_layer": mat or "unknown"}
    return emb, how


def connecting_portion(m: Model, tol: float) -> tuple[str, str]:
    """("connecting_portion", why) when the heat sink's lowest downward face is a pedestal over the chip:
    smaller than half the heat sink's footprint and lying within the chip's outline; else ("adhesive", why)."""
    if not (m.has("heat_sink") and m.has("chip")):
        return "adhesive", "no heat sink or no chip to judge"
    hs, chip = m.numpy_mesh("heat_sink"), m.numpy_mesh("chip")
    low = horizontal_faces(hs, hs.bounds[0, 2], False, tol)
    (x0, y0), (x1, y1) = hs.bounds[0, :2], hs.bounds[1, :2]
    foot = (x1 - x0) * (y1 - y0)
    area = tri_area(low)
    if area >= 0.5 * foot:
        return "adhesive", (f"the heat sink's lowest face covers {area / foot * 100:.0f} % of its footprint: no "
                            "connecting portion")
    top = horizontal_faces(chip, chip.bounds[1, 2], True, tol)
    over = overlap_area(low, top) / area if area else 0.0
    if over >= 0.99:
        return "connecting_portion", (f"the heat sink's lowest face ({area:.3f} mm², {area / foot * 100:.0f} % of its "
                                      f"footprint) stands out over the chip")
    return "adhesive", (f"the heat sink's lowest face covers {area / foot * 100:.0f} % of its footprint, "
                        f"{over * 100:.0f} % of it over the chip: no connecting portion")


# ------------------------------------------------------------------------------------------ judge
def _variant(m: Model, **emb: str) -> Model:
    return dataclasses.replace(m, embodiment={**m.embodiment, **emb})


def _run(fn: Callable[[Model, float], list[Row]], m: Model, tol: float, errors: dict[str, str]) -> list[Row]:
    try:
        return fn(m, tol)
    except Exception as exc:  # a foreign geometry an element cannot judge: said, not hidden
        errors[fn.__name__] = f"{type(exc).__name__}: {str(exc)[:160]}"
        return []


def judge(m: Model, tol: float) -> Judgement:
    emb, found = detect(m, tol)
    m = dataclasses.replace(m, embodiment=emb)
    errors: dict[str, str] = {}
    rows: list[Row] = []
    rows += _run(inside.carrier, _variant(m, carrier="substrate"), tol, errors)
    rows += _run(inside.carrier, _variant(m, carrier="qfn"), tol, errors)
    if emb["carrier"] == "qfn" and not any(r.id == "carrier_qfn" and r.passed for r in rows):
        m = _variant(m, carrier="substrate")  # judge the fill from the carrier top unless it is a lead frame
    for fn in (outside.interface_contact, outside.interface_exposure, outside.side_exposure, outside.coplanarity,
               outside.footprint, inside.stack_order, inside.attachment, inside.encapsulation, inside.fill,
               outside.texture):
        rows += _run(fn, m, tol, errors)
    rows += _run(inside.wire_connection, _variant(m, connection="wirebond"), tol, errors)
    rows += _run(inside.bump_connection, _variant(m, connection="flipchip"), tol, errors)
    if _materials_known(m, "interface_adheres_less") or _materials_known(m, "interface_material"):
        rows += _run(outside.interface_material, m, tol, errors)
    if _materials_known(m, "buffer_pad_cte") and m.has("buffer_pad"):
        rows += _run(inside.buffer_pad_cte, m, tol, errors)
    by_id: dict[str, list[Row]] = {}
    for r in rows:
        by_id.setdefault(r.id, []).append(r)
    elements = {e: _element(e, m, by_id.get(e, []), emb, found, errors) for e in ELEMENT_NAMES
                if e != "electrical_connection"}
    undecided = [(e.id, _state(m, e.id)) for e in elements.values() if e.verdict == CANNOT_TELL]
    claims: dict[int, ClaimVerdict] = {}
    for n in sorted(CLAIMS):
        claims[n] = _claim(n, elements, claims, emb)
    tex = elements["first_surface_textured"]
    emb["first_surface"] = "textured" if tex.verdict == MET else "flat" if tex.rows else "not judged"
    found["first_surface"] = tex.evidence
    if emb["interface_layer"] == "unknown":
        emb["interface_layer"] = "material not stated"
    return Judgement(elements, list(claims.values()), _run(hygiene, m, tol, errors), emb, found, undecided)


def _materials_known(m: Model, element: str) -> bool:
    if element == "buffer_pad_cte":
        return m.cte_of("buffer_pad") is not None and m.cte_of("chip") is not None
    return all(m.material_of(r) in MATERIALS for r in MATERIAL_NEEDS[element])


def _state(m: Model, element: str) -> str:
    """What the user states to decide ``element``."""
    if element == "wire_connection" or element == "bump_connection":
        return "the model has neither bonding wires nor solder bumps: add them, or judge the connection yourself"
    missing = [r for r in MATERIAL_NEEDS.get(element, ()) if m.material_of(r) not in MATERIALS
               and not (element == "buffer_pad_cte" and m.cte_of(r) is not None)]
    examples = {"interface_layer": "nickel", "heat_sink": "copper", "buffer_pad": "silicon", "chip": "silicon",
                "adhesive": "thermal-adhesive"}
    how = " ".join(f"--materials {r}={examples[r]}" for r in missing)
    return f"state the material of the {', '.join(r.replace('_', ' ') for r in missing)} (e.g. {how}, or " \
           "[materials] in the roles file)" + (" or the expansion (--materials buffer_pad.cte_ppm_k=3)"
                                               if element == "buffer_pad_cte" else "")


def _evidence(rows: list[Row]) -> str:
    parts = []
    for r in rows:
        text = f"{r.element}: {r.measured}" + (f" ({r.detail})" if r.detail else "")
        parts.append(("" if r.passed else "FAILS ") + text)
    return "; ".join(parts)


def _element(e: str, m: Model, rows: list[Row], emb: dict[str, str], found: dict[str, str],
             errors: dict[str, str]) -> Element:
    roles = tuple(dict.fromkeys((*NEEDS[e], *SHOWN.get(e, ())))) if e in NEEDS else ()
    shown = tuple(r for r in roles if m.has(r))
    missing = [r for r in NEEDS.get(e, ()) if not m.has(r)]
    if e in MATERIAL_NEEDS and not missing and not _materials_known(m, e):
        return Element(e, CANNOT_TELL, "a STEP file holds no materials: " + _state(m, e), [], shown)
    if e == "attach_kind":
        if missing:
            return Element(e, NOT_MET, f"no {missing[0].replace('_', ' ')} found", [], shown)
        return Element(e, MET, f"{emb['attach'].replace('_', ' ')}: {found['attach']}", [], shown)
    if e == "adhesive_material":
        if missing:
            return Element(e, NOT_MET, "no adhesive layer between the chip (or buffer pad) and the heat sink", [],
                           shown)
        mat = m.material_of("adhesive") or ""
        k = MATERIALS[mat].conductivity_w_mk
        ok = mat in ADHESIVE_MATERIALS or k >= 1.0
        return Element(e, MET if ok else NOT_MET, f"adhesive {mat}: {k:g} W/m K "
                       f"({'at least' if ok else 'below'} 1 W/m K)", [], shown)
    if missing:
        return Element(e, NOT_MET, f"no solid has the role {missing[0]} (see the roles table; a roles file can "
                       "name it)", rows, shown)
    if e in ("rest_spaced", "connecting_portion_over_chip") and emb["attach"] != "connecting_portion":
        return Element(e, NOT_MET, f"no connecting portion: {found['attach']}", rows, shown)
    if not rows:
        fn_error = errors.get(FUNCTION_OF.get(e, ""), "")
        if e in ("wire_connection", "bump_connection"):
            return Element(e, NOT_MET, f"no {'wires' if e == 'wire_connection' else 'bumps'} in the model", rows,
                           shown)
        if fn_error:
            return Element(e, CANNOT_TELL, f"the element could not be judged on this geometry ({fn_error})", rows,
                           shown)
        return Element(e, NOT_MET, "nothing in the model shows it", rows, shown)
    ok = all(r.passed for r in rows)
    return Element(e, MET if ok else NOT_MET, _evidence(rows), rows, shown)


def _claim(n: int, elements: dict[str, Element], done: dict[int, ClaimVerdict], emb: dict[str, str]) -> ClaimVerdict:
    c = CLAIMS[n]
    ids = list(c.elements)
    if "attach" in c.requires:
        ids.insert(0, "attach_kind")
    if "adhesive" in c.requires:
        ids.append("adhesive_material")
    if c.parent is None:
        ids = _connection(ids, elements)
        if "chip_mounted" in ids and not elements["chip_mounted"].rows and elements["bump_connection"].rows:
            ids.remove("chip_mounted")  # mounted by its bumps: the bump element says it
    picked = [elements[i] for i in dict.fromkeys(ids)]
    if "attach_kind" in ids:
        allowed = c.requires["attach"]
        a = elements["attach_kind"]
        if a.verdict == MET and emb["attach"] not in allowed:
            want = " or ".join(x.replace("_", " ") for x in allowed)
            picked[picked.index(a)] = Element(a.id, NOT_MET, f"{a.evidence}; claim {n} needs {want}", [], a.roles)
    verdicts = {e.verdict for e in picked}
    verdict = NOT_MET if NOT_MET in verdicts else CANNOT_TELL if CANNOT_TELL in verdicts else MET
    failing = [e.id.replace("_", " ") for e in picked if e.verdict == NOT_MET]
    untold = [e.id.replace("_", " ") for e in picked if e.verdict == CANNOT_TELL]
    note = f"not met: {', '.join(failing)}" if failing else f"cannot tell: {', '.join(untold)}" if untold else ""
    if c.parent is not None:
        parent = done[c.parent].verdict
        if parent == NOT_MET:
            verdict, note = NOT_MET, f"claim {c.parent} is not met" + (f"; {note}" if note else "")
        elif parent == CANNOT_TELL and verdict == MET:
            verdict, note = CANNOT_TELL, f"claim {c.parent} cannot be told"
    return ClaimVerdict(n, verdict, picked, note)


def _connection(ids: list[str], elements: dict[str, Element]) -> list[str]:
    """An independent claim asks for the chip "electrically connected": by wires or by bumps, whichever the
    model has (both elements where it has both); "cannot tell" when it has neither."""
    w, b = elements["wire_connection"], elements["bump_connection"]
    have = [e.id for e in (w, b) if e.rows]
    rest = [i for i in ids if i not in ("wire_connection", "bump_connection")]
    if have:
        return rest + have
    elements["electrical_connection"] = Element(
        "electrical_connection", CANNOT_TELL, "the model has neither bonding wires nor solder bumps: the chip's "
        "electrical connection is not drawn", [], ("chip", "carrier"))
    return [*rest, "electrical_connection"]

