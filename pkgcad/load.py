"""Templates: find them, read them, apply ``--set`` overrides, and turn any mistake into one clear line."""

from __future__ import annotations

import tomllib
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import annotated_types as at
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from . import rules
from .rules import SpecError
from .spec import PackageSpec

_PKG_TEMPLATES = Path(__file__).parent / "templates"  # in an installed wheel
_REPO_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"  # in a source checkout


def templates_dir() -> Path:
    # the wheel's own copy first: in site-packages, ../templates may be another distribution's folder
    return _PKG_TEMPLATES if _PKG_TEMPLATES.is_dir() else _REPO_TEMPLATES


def template_paths() -> list[Path]:
    return sorted(templates_dir().glob("*.toml"))


def resolve_template(name_or_path: str) -> Path:
    """A bundled template's name (``qfn``) or a path to a TOML file."""
    p = Path(name_or_path)
    if p.is_file():
        return p
    if p.suffix == ".toml":
        raise SpecError("template", name_or_path, "no such file")
    bundled = templates_dir() / f"{name_or_path}.toml"
    if bundled.is_file():  # a bundled name wins over a folder of that name (e.g. an earlier output)
        return bundled
    names = ", ".join(t.stem for t in template_paths())
    raise SpecError("template", name_or_path, f"not a bundled template ({names}) nor a .toml file")


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError("template", str(path), f"malformed TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise SpecError("template", str(path), _not_utf8(exc)) from None
    except OSError as exc:
        raise SpecError("template", str(path), f"cannot be read: {exc.strerror}") from None


def _not_utf8(exc: UnicodeDecodeError) -> str:
    """Where a file stops being UTF-8 (TOML files must be): byte, offset, line and column."""
    data = bytes(exc.object)
    line = data.count(b"\n", 0, exc.start) + 1
    column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
    return (f"not UTF-8 (TOML must be): byte 0x{data[exc.start]:02x} at offset {exc.start} (line {line}, "
            f"column {column}): {exc.reason}; re-save the file as UTF-8")


def parse_override(text: str) -> tuple[list[str], Any]:
    """``heat_sink.thickness=0.25`` -> (["heat_sink", "thickness"], 0.25). Values are TOML; bare words are
    strings (``interface_layer.material=gold``)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise SpecError("--set", text, "expected dotted.key=value, e.g. heat_sink.thickness=0.25")
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key.split("."), value


def apply_overrides(data: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    out = _deep_copy(data)
    for text in overrides:
        keys, value = parse_override(text)
        node = out
        for i, k in enumerate(keys[:-1]):
            child = node.setdefault(k, {})
            if not isinstance(child, dict):
                raise SpecError(".".join(keys[: i + 1]), child, "is a value, not a table")
            node = child
        node[keys[-1]] = value
    return out


def _deep_copy(d: dict[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, dict) else v for k, v in d.items()}


def make_spec(data: dict[str, Any]) -> PackageSpec:
    """Validate ``data`` field by field, then every cross-field rule. Raises :class:`SpecError`."""
    try:
        spec = PackageSpec.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc) from None
    rules.check(spec)
    return spec


def load_spec(name_or_path: str, overrides: Sequence[str] = (), name: str | None = None) -> PackageSpec:
    path = resolve_template(name_or_path)
    data = apply_overrides(read_toml(path), overrides)
    data.setdefault("meta", {})
    if isinstance(data["meta"], dict):
        data["meta"].setdefault("name", name or path.stem)
    return make_spec(data)


# ------------------------------------------------------------------------------------ error messages
def _first_error(exc: ValidationError) -> SpecError:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    key = _dotted(loc)
    if err["type"] == "extra_forbidden":
        parent = _model_at(loc[:-1])
        known = ", ".join(parent.model_fields) if parent else ""
        return SpecError(key, err["input"], f"unknown key; {'.'.join(loc[:-1]) or 'top level'} has: {known}")
    msg = err["msg"]
    if err["type"] == "value_error":  # our own validators: their text, without pydantic's "Value error, "
        msg = str(err.get("ctx", {}).get("error", msg))
    if err["type"] == "int_type" and isinstance(err["input"], float):
        msg = f"Input should be an integer, not the decimal {err['input']!r}"
    info = _field_at(loc)
    if info is not None:
        rng = limits_text(info)
        if rng and rng not in msg:
            msg += f" (allowed {rng})"
    return SpecError(key, err["input"], msg)


def _dotted(loc: list[str]) -> str:
    out = ""
    for p in loc:
        out += f"[{p}]" if p.isdigit() else (f".{p}" if out else p)
    return out


def _model_at(loc: list[str]) -> type[BaseModel] | None:
    model: type[BaseModel] = PackageSpec
    for k in loc:
        f = model.model_fields.get(k)
        if f is None or not (isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel)):
            return None
        model = f.annotation
    return model


def _field_at(loc: list[str]) -> FieldInfo | None:
    names = [p for p in loc if not p.isdigit()]
    parent = _model_at(names[:-1])
    return parent.model_fields.get(names[-1]) if parent and names else None


# --------------------------------------------------------------------------------- field descriptions
def _bounds(metadata: Sequence[Any]) -> tuple[str, str]:
    lo = hi = ""
    for m in metadata:
        if isinstance(m, FieldInfo):
            lo2, hi2 = _bounds(m.metadata)
            lo, hi = lo2 or lo, hi2 or hi
        elif isinstance(m, at.Gt):
            lo = f"({m.gt}"
        elif isinstance(m, at.Ge):
            lo = f"[{m.ge}"
        elif isinstance(m, at.Lt):
            hi = f"{m.lt})"
        elif isinstance(m, at.Le):
            hi = f"{m.le}]"
    return lo, hi


def limits_text(info: FieldInfo) -> str:
    """Allowed values of a field, e.g. ``(0, 5]``, ``[1, ...)`` or ``gold | nickel``."""
    ann = info.annotation
    if typing.get_origin(ann) is typing.Literal:
        return " | ".join(str(a) for a in typing.get_args(ann))
    lo, hi = _bounds(info.metadata)
    if not (lo or hi):
        # tuples of constrained floats (sizes), maybe optional: read the first item's constraints
        tuples = [ann] if typing.get_origin(ann) is tuple else [a for a in typing.get_args(ann)
                                                               if typing.get_origin(a) is tuple]
        for tup in tuples:
            lo, hi = _bounds(getattr(typing.get_args(tup)[0], "__metadata__", ()))
            if lo or hi:
                return f"each {lo or '(-inf'}, {hi or 'inf)'}"
        return ""
    return f"{lo or '(-inf'}, {hi or 'inf)'}"


@dataclass(frozen=True)
class FieldRow:
    key: str
    value: Any
    unit: str
    allowed: str
    meaning: str
    section: str


def describe(spec: PackageSpec) -> Iterator[FieldRow]:
    """Every parameter of ``spec``: dotted key, value, unit, allowed range and meaning."""
    yield from _describe(spec, "")


def _describe(model: BaseModel, prefix: str) -> Iterator[FieldRow]:
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        key = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            yield from _describe(value, key + ".")
            continue
        meaning = info.description or ""
        unit = "mm" if "[mm]" in meaning else ""
        yield FieldRow(key, value, unit, limits_text(info), meaning.replace(" [mm]", ""), key.split(".")[0])
