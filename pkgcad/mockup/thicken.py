"""Spec-level thickening: raise every feature a printer cannot make to the least printable size.

A real package has 25 um wires and 2 um plating; at 20x they print 0.5 mm and 0.04 mm. The kit is built
from a thickened COPY of the spec (the normal builders make it, so every part still fits its neighbours),
then scaled. Each change is recorded with its value before and after, in model and printed millimetres.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..layout import Layout
from ..spec import PackageSpec
from ..templates import make_layout, table_at
from .options import SCALE_RANGE, MockupOptions

#: Tessellation of the kit, in PRINTED millimetres and radians: chordal deviation and angle between facets.
PRINT_LINEAR = 0.05
PRINT_ANGULAR = 0.35
#: Round features (wires, balls) are raised to this factor over the least feature, so that the faceted rod
#: or sphere measures at least ``min_feature`` across its flats: a polygon whose facets turn by at most
#: PRINT_ANGULAR is at least cos(PRINT_ANGULAR / 2) of its circle's diameter across.
ROUND_ALLOWANCE = 1.0 / math.cos(PRINT_ANGULAR / 2)


@dataclass(frozen=True)
class Change:
    """One thickened field: ``before`` and ``after`` in model millimetres."""

    key: str
    before: float
    after: float
    why: str

    def row(self, scale: float) -> dict[str, Any]:
        return {"field": self.key, "model_mm": [_r(self.before), _r(self.after)],
                "printed_mm": [_r(self.before * scale), _r(self.after * scale)], "why": self.why}


def _r(x: float) -> float:
    return round(x, 6)


@dataclass(frozen=True)
class _Rule:
    key: str
    round_: bool  # a round feature (rod, sphere): gets ROUND_ALLOWANCE
    when: Callable[[PackageSpec], bool]
    why: str


def _always(_s: PackageSpec) -> bool:
    return True


def _wb(s: PackageSpec) -> bool:
    return s.wirebond


def _fingers(s: PackageSpec) -> bool:
    return s.wirebond and not s.qfn


def _texture(kind: str) -> Callable[[PackageSpec], bool]:
    return lambda s: s.heat_sink.first_surface == kind


RULES: tuple[_Rule, ...] = (
    _Rule("interface_layer.thickness", False, _always, "plating on the heat sink's second surface"),
    _Rule("adhesive.thickness", False, _always, "adhesive bond line"),
    _Rule("die_attach.thickness", False, _wb, "die-attach bond line"),
    _Rule("buffer_pad.attach_thickness", False, lambda s: s.buffer_pad.enabled, "buffer-pad bond line"),
    _Rule("buffer_pad.thickness", False, lambda s: s.buffer_pad.enabled, "buffer pad"),
    _Rule("wires.diameter", True, _wb, "bonding wire, printed as a rod"),
    _Rule("wires.finger_thickness", False, _fingers, "bond-finger copper"),
    _Rule("wires.finger_width", False, _fingers, "bond-finger width"),
    _Rule("wires.finger_length", False, _fingers, "bond-finger length"),
    _Rule("bumps.diameter", True, lambda s: not s.wirebond, "solder bump"),
    _Rule("bumps.height", False, lambda s: not s.wirebond, "bump stand-off"),
    _Rule("balls.diameter", True, lambda s: not s.qfn and s.balls.count > 0, "solder ball"),
    _Rule("balls.height", False, lambda s: not s.qfn and s.balls.count > 0, "solder ball height"),
    _Rule("leads.width", False, lambda s: s.qfn, "QFN lead width"),
    _Rule("leads.length", False, lambda s: s.qfn, "QFN lead length"),
    _Rule("carrier.thickness", False, _always, "substrate / lead frame"),
    _Rule("chip.thickness", False, _always, "die"),
    _Rule("heat_sink.thickness", False, _always, "heat-sink plate"),
    _Rule("heat_sink.connecting_portion.height", False, lambda s: s.heat_sink.connecting_portion.enabled,
          "connecting portion (pedestal)"),
    _Rule("heat_sink.roughened.height", False, _texture("roughened"), "asperity height"),
    _Rule("heat_sink.roughened.diameter", True, _texture("roughened"), "asperity"),
    _Rule("heat_sink.corrugated.width", False, _texture("corrugated"), "groove width"),
    _Rule("heat_sink.corrugated.depth", False, _texture("corrugated"), "groove depth"),
    _Rule("heat_sink.uneven.size", False, _texture("uneven"), "dimple / pocket size"),
    _Rule("heat_sink.uneven.depth", False, _texture("uneven"), "dimple / pocket depth"),
    _Rule("rules.min_gap", False, _always, "encapsulant between wires or chip and the heat sink, and "
          "between neighbouring wires and bumps"),
)


def _get(data: dict[str, Any], key: str) -> Any:
    keys = key.split(".")
    return table_at(data, keys)[keys[-1]]


def _set(data: dict[str, Any], key: str, value: Any) -> None:
    keys = key.split(".")
    table_at(data, keys)[keys[-1]] = value


def _raise(data: dict[str, Any], changes: list[Change], key: str, least: float, why: str) -> None:
    before = float(_get(data, key))
    if before < least - 1e-12:
        _set(data, key, least)
        changes.append(Change(key, before, least, why))


def thickened_data(spec: PackageSpec, model_min: float) -> tuple[dict[str, Any], list[Change]]:
    """The spec's parameters with every feature below ``model_min`` (model mm) raised, and the changes;
    not yet validated."""
    data = spec.model_dump(mode="python")
    changes: list[Change] = []
    for rule in RULES:
        if rule.when(spec):
            least = model_min * (ROUND_ALLOWANCE if rule.round_ else 1.0)
            _raise(data, changes, rule.key, least, rule.why)
    # consequences that keep the shapes makeable
    if spec.wirebond:
        d = data["wires"]["diameter"]
        _raise(data, changes, "wires.bend_radius", d, "a bend is at least as wide as the thickened wire")
        _raise(data, changes, "wires.loop_height", data["wires"]["bend_radius"], "room for the wider bend")
    for section in ("bumps", "balls"):
        before = next((c for c in changes if c.key == f"{section}.diameter"), None)
        if before is not None:  # keep the collapsed shape: height grows with the diameter
            ratio = before.after / before.before
            _raise(data, changes, f"{section}.height", _get(data, f"{section}.height") * ratio,
                   f"keeps the {section[:-1]}'s height-to-diameter ratio")
    if spec.heat_sink.first_surface == "corrugated":
        c = data["heat_sink"]["corrugated"]
        _raise(data, changes, "heat_sink.corrugated.pitch", c["width"] + model_min, "land between grooves")
    return data, changes


def _try(spec: PackageSpec, scale: float, min_feature: float) -> tuple[Layout, list[Change]]:
    data, changes = thickened_data(spec, min_feature / scale)
    lay = make_layout(data)
    thick = lay.spec
    # balls and bumps print as one piece standing on a web at least min_feature thick and at most half
    # their height (see pieces.repeated_pieces)
    arrays = [("bumps", thick.bumps.height)] if not thick.wirebond else []
    if not thick.qfn and thick.balls.count:
        arrays.append(("balls", thick.balls.height))
    for key, height in arrays:
        if height * scale < 2 * min_feature - 1e-9:
            raise InputError(f"{key}.height", height, f"prints {height * scale:.3g} mm high; the web that ties the "
                            f"{key} into one piece needs twice --min-feature ({2 * min_feature:g} mm)")
    return lay, changes


def smallest_scale(spec: PackageSpec, min_feature: float, start: float) -> float | None:
    """The least scale (rounded up to 0.1) above ``start`` at which the thickened spec passes every rule,
    or None if none up to the largest allowed scale does."""
    hi = SCALE_RANGE[1]

    def ok(s: float) -> bool:
        try:
            _try(spec, s, min_feature)
        except InputError:
            return False
        return True

    if not ok(hi):
        return None
    lo = start
    for _ in range(40):
        if hi - lo < 0.01:
            break
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    best = math.ceil(hi * 10 - 1e-9) / 10
    while best < SCALE_RANGE[1] and not ok(best):  # the rules need not be monotonic: step up to one that is
        best = round(best + 0.1, 1)
    return best


def thicken(spec: PackageSpec, options: MockupOptions) -> tuple[Layout, list[Change]]:
    """The thickened, validated layout and its changes. Raises :class:`InputError` (key ``--scale``) when the
    thickened spec breaks a rule, naming the rule and the least scale that works."""
    try:
        return _try(spec, options.scale, options.min_feature)
    except InputError as exc:
        best = smallest_scale(spec, options.min_feature, options.scale)
        hint = (f"use --scale {best:g} or more" if best is not None
                else "no scale up to the largest allowed works; lower --min-feature")
        raise InputError("--scale", options.scale, f"thickening to --min-feature {options.min_feature:g} mm "
                        f"({options.model_min:.4g} mm on the model) breaks {exc.key}: {exc.rule}; {hint}") from None
