"""Templates: find them, read them, apply ``--set`` overrides, validate, and turn any mistake into one clear
line (:class:`~pkgcad.errors.InputError`).

:func:`load_layout` is the one way in: template + overrides -> field-valid spec -> :func:`layout.resolve` ->
:func:`rules.check` -> the declared claims checked against the derived ones -> the :class:`Layout`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from . import claims, rules
from .errors import InputError
from .layout import Layout, resolve
from .params import limits_text
from .spec import PackageSpec

_PKG_TEMPLATES = Path(__file__).parent / "templates"  # in an installed wheel
_REPO_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"  # in a source checkout


def templates_dir() -> Path:
    # the wheel's own copy first: in site-packages, ../templates may be another distribution's folder
    return _PKG_TEMPLATES if _PKG_TEMPLATES.is_dir() else _REPO_TEMPLATES


def template_paths() -> list[Path]:
    return sorted(templates_dir().glob("*.toml"), key=lambda p: p.stem)


def resolve_template(name_or_path: str) -> Path:
    """A bundled template's name (``qfn``) or a path to a TOML file."""
    p = Path(name_or_path)
    if p.is_file():
        return p
    if p.suffix == ".toml":
        raise InputError("template", name_or_path, "no such file")
    bundled = templates_dir() / f"{name_or_path}.toml"
    if bundled.is_file():  # a bundled name wins over a folder of that name (e.g. an earlier output)
        return bundled
    names = ", ".join(t.stem for t in template_paths())
    raise InputError("template", name_or_path, f"not a bundled template ({names}) nor a .toml file")


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise InputError("template", str(path), f"malformed TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError("template", str(path), _not_utf8(exc)) from None
    except OSError as exc:
        raise InputError("template", str(path), f"cannot be read: {exc.strerror}") from None


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
        raise InputError("--set", text, "expected dotted.key=value, e.g. heat_sink.thickness=0.25")
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
                raise InputError(".".join(keys[: i + 1]), child, "is a value, not a table")
            node = child
        node[keys[-1]] = value
    return out


def _deep_copy(d: dict[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, dict) else v for k, v in d.items()}


def make_spec(data: dict[str, Any]) -> PackageSpec:
    """Validate ``data`` field by field (no cross-field rule). Raises :class:`InputError`."""
    try:
        return PackageSpec.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc) from None


def layout_of(spec: PackageSpec) -> Layout:
    """The layout of a field-valid ``spec``, judged by every cross-field rule and the declared claims."""
    lay = resolve(spec)
    rules.check(lay)
    claims.check_declared(spec)
    return lay


def make_layout(data: dict[str, Any]) -> Layout:
    """:func:`make_spec` then :func:`layout_of`: parameters as read from TOML to a judged layout."""
    return layout_of(make_spec(data))


def load_layout(name_or_path: str, overrides: Sequence[str] = (), name: str | None = None) -> Layout:
    """A bundled template's name or a TOML path, with ``--set`` overrides, as a judged :class:`Layout`."""
    path = resolve_template(name_or_path)
    data = apply_overrides(read_toml(path), overrides)
    data.setdefault("meta", {})
    if isinstance(data["meta"], dict):
        data["meta"].setdefault("name", name or path.stem)
    return make_layout(data)


# ------------------------------------------------------------------------------------ error messages
def _first_error(exc: ValidationError) -> InputError:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    key = _dotted(loc)
    if err["type"] == "extra_forbidden":
        parent = _model_at(loc[:-1])
        known = ", ".join(parent.model_fields) if parent else ""
        return InputError(key, err["input"], f"unknown key; {'.'.join(loc[:-1]) or 'top level'} has: {known}")
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
    return InputError(key, err["input"], msg)


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
