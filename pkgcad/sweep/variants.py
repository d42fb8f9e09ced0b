"""The variants of a sweep: ``--grid`` (every combination) or ``--random`` (uniform draws in ``--range``s), each
validated by the spec models and the cross-field rules (no geometry) and named by a hash of its resolved spec.

A bad option (unknown key, empty grid, bad range, too many variants) raises :class:`InputError` naming the
option, the value and the fix; a variant that the rules refuse is not an error: it is recorded with its rule.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import random
import re
import types
import typing
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from ..errors import InputError
from ..spec import PackageSpec
from ..templates import model_at, parse_override, resolve_template
from .steps import load_spec

#: More variants than this is a typo, not a sweep (a 1,000-variant dry run takes seconds).
MAX_VARIANTS = 100_000


@dataclass(frozen=True)
class Variant:
    index: int
    params: dict[str, Any]  # swept key -> value, as swept
    overrides: tuple[str, ...]  # --set text: the fixed ones, then the swept ones
    spec: PackageSpec | None
    error: InputError | None
    id: str

    @property
    def valid(self) -> bool:
        return self.spec is not None


@dataclass
class Plan:
    template: str
    keys: list[str]
    variants: list[Variant]
    duplicates: int = 0  # variants that resolved to a spec already in the plan (merged)
    kind: str = "grid"
    notes: list[str] = field(default_factory=list)

    @property
    def valid(self) -> list[Variant]:
        return [v for v in self.variants if v.valid]

    @property
    def invalid(self) -> list[Variant]:
        return [v for v in self.variants if not v.valid]


# ------------------------------------------------------------------------------------------- keys
def field_kind(option: str, text: str, key: str) -> str:
    """``float``, ``int``, ``size`` (an [x, y] pair), or ``other`` (text, bool, choices) for a dotted key of the
    spec; raises :class:`InputError` for a key the spec does not have."""
    parts = key.split(".")
    for i, name in enumerate(parts):
        model = model_at(parts[:i])  # the table holding parts[i] (the walk of templates.model_at)
        if model is None:
            raise InputError(option, text, f"{'.'.join(parts[:i])} is a value, not a table")
        info = model.model_fields.get(name)
        where = ".".join(parts[:i]) or "the top level"
        if info is None:
            raise InputError(option, text, f"unknown key {key!r}; {where} has: {', '.join(model.model_fields)}")
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            if i == len(parts) - 1:
                raise InputError(option, text, f"{key} is a table; name one of its keys: "
                                f"{', '.join(ann.model_fields)}")
            continue
        if i == len(parts) - 1:
            return _kind(ann)
    raise InputError(option, text, "empty key")  # pragma: no cover - split never yields nothing


def _kind(ann: Any) -> str:
    if ann is float:
        return "float"
    if ann is int:
        return "int"
    options = typing.get_args(ann) if typing.get_origin(ann) in (typing.Union, types.UnionType) else (ann,)
    if any(typing.get_origin(a) is tuple for a in options):
        return "size"
    return "other"


def _split_key(option: str, text: str) -> tuple[str, str]:
    key, sep, rest = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise InputError(option, text, "expected KEY=...; e.g. --grid heat_sink.thickness=0.2,0.3 or "
                        "--range heat_sink.thickness=0.2:0.5 (mm)")
    return key, rest.strip()


# ------------------------------------------------------------------------------------------- --grid
def split_values(raw: str) -> list[str]:
    """``0.2,0.3`` -> ['0.2', '0.3']; commas inside [...] or quotes do not split (``[2,2],[3,3]``)."""
    out, depth, quote, cur = [], 0, "", ""
    for ch in raw:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        cur += ch
    out.append(cur.strip())
    return out


def parse_grid(text: str) -> tuple[str, list[tuple[str, Any]]]:
    """``KEY=V1,V2,...`` -> (key, [(value text, value)]); values are TOML like ``--set`` (bare words are text)."""
    key, raw = _split_key("--grid", text)
    field_kind("--grid", text, key)
    if not raw:
        raise InputError("--grid", text, f"no values for {key}; give KEY=V1,V2,... e.g. {key}=0.2,0.3")
    values = []
    for piece in split_values(raw):
        if not piece:
            raise InputError("--grid", text, "an empty value between commas; give KEY=V1,V2,...")
        values.append((piece, parse_override(f"{key}={piece}")[1]))
    return key, values


# ------------------------------------------------------------------------------------------ --range
def parse_range(text: str) -> tuple[str, float, float, str]:
    """``KEY=LO:HI`` -> (key, lo, hi, kind) for a number (or [x, y] size: drawn square) field."""
    key, raw = _split_key("--range", text)
    kind = field_kind("--range", text, key)
    if kind == "other":
        raise InputError("--range", text, f"{key} is not a number; sweep its values with --grid {key}=A,B")
    lo_text, sep, hi_text = raw.partition(":")
    try:
        lo, hi = float(lo_text), float(hi_text)
    except ValueError:
        lo = hi = math.nan
    if not sep or not (math.isfinite(lo) and math.isfinite(hi)):
        raise InputError("--range", text, f"expected {key}=LO:HI with two numbers (mm for lengths), e.g. "
                        f"{key}=0.2:0.5")
    if not lo < hi:
        raise InputError("--range", text, f"LO must be less than HI (got {lo:g}:{hi:g}); a fixed value is --set")
    if kind == "int" and (lo != int(lo) or hi != int(hi)):
        raise InputError("--range", text, f"{key} is a whole number: give whole LO:HI, e.g. "
                        f"{math.ceil(lo)}:{math.floor(hi)}")
    return key, lo, hi, kind


def _draw(rng: random.Random, lo: float, hi: float, kind: str) -> tuple[str, Any]:
    if kind == "int":
        n = rng.randint(int(lo), int(hi))
        return str(n), n
    v = float(f"{rng.uniform(lo, hi):.6g}")
    if kind == "size":
        return f"[{v!r}, {v!r}]", [v, v]
    return repr(v), v


# ------------------------------------------------------------------------------------------- the plan
def spec_id(spec: PackageSpec) -> str:
    """12 hex digits of the SHA-256 of the resolved spec as canonical JSON: equal specs, equal ids."""
    text = json.dumps(spec.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _refused_id(template: str, overrides: tuple[str, ...]) -> str:
    text = json.dumps([template, *overrides])
    return "x" + hashlib.sha256(text.encode()).hexdigest()[:11]


def make_plan(template: str, sets: tuple[str, ...] = (), grids: tuple[str, ...] = (), random_n: int | None = None,
              ranges: tuple[str, ...] = (), seed: int = 1) -> Plan:
    """Expand and validate every variant (no geometry). Raises :class:`InputError` for bad options."""
    path = str(resolve_template(template))
    try:  # a template that cannot be read, or a malformed --set, is bad input (the values may be swept right)
        load_spec(path, sets)
    except InputError as exc:
        if exc.key in ("template", "--set"):
            raise
    if random_n is None:
        if ranges:
            raise InputError("--range", ranges[0], "needs --random N (how many variants to draw)")
        if not grids:
            raise InputError("--grid", "", "give at least one --grid KEY=V1,V2,... or --random N --range KEY=LO:HI")
        axes = [parse_grid(g) for g in grids]
        keys = [k for k, _ in axes]
        _no_repeats("--grid", keys)
        total = math.prod(len(v) for _, v in axes)
        _not_too_many("--grid", total)
        combos: list[list[tuple[str, Any]]] = [list(c) for c in itertools.product(*(v for _, v in axes))]
        kind = "grid"
    else:
        if grids:
            raise InputError("--grid", grids[0], "use --grid or --random with --range, not both")
        if random_n < 1:
            raise InputError("--random", random_n, "at least 1 variant")
        _not_too_many("--random", random_n)
        if not ranges:
            raise InputError("--random", random_n, "needs at least one --range KEY=LO:HI")
        parsed = [parse_range(r) for r in ranges]
        keys = [k for k, *_ in parsed]
        _no_repeats("--range", keys)
        rng = random.Random(seed)
        combos = [[_draw(rng, lo, hi, kind) for _, lo, hi, kind in parsed] for _ in range(random_n)]
        kind = "random"
    variants: list[Variant] = []
    seen: set[str] = set()
    duplicates = 0
    for i, combo in enumerate(combos):
        overrides = (*sets, *(f"{k}={text}" for k, (text, _) in zip(keys, combo, strict=True)))
        params = {k: value for k, (_, value) in zip(keys, combo, strict=True)}
        try:
            spec: PackageSpec | None = load_spec(path, overrides)
            error = None
        except InputError as exc:
            spec, error = None, exc
        vid = spec_id(spec) if spec is not None else _refused_id(path, overrides)
        if vid in seen:
            duplicates += 1
            continue
        seen.add(vid)
        variants.append(Variant(i, params, overrides, spec, error, vid))
    return Plan(path, keys, variants, duplicates, kind)


def _no_repeats(option: str, keys: list[str]) -> None:
    twice = [k for k, n in Counter(keys).items() if n > 1]
    if twice:
        raise InputError(option, twice[0], "given twice; list every value in one option")


def _not_too_many(option: str, total: int) -> None:
    if total > MAX_VARIANTS:
        raise InputError(f"{option} variants", total, f"at most {MAX_VARIANTS:,} in one sweep; split it, or draw "
                        "a sample with --random N --range KEY=LO:HI")


def refusals(plan: Plan) -> list[tuple[int, str, str]]:
    """(count, key, an example message) per key and rule that refused variants, most frequent first. Rules
    that differ only in the numbers they quote count as one."""
    groups: dict[tuple[str, str], list[InputError]] = {}
    for v in plan.invalid:
        assert v.error is not None
        rule = re.sub(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", "#", v.error.rule)
        groups.setdefault((v.error.key, rule), []).append(v.error)
    rows = [(len(errs), key, str(errs[0])) for (key, _), errs in groups.items()]
    return sorted(rows, key=lambda r: (-r[0], r[1]))
