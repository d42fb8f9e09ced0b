"""Templates: find them, read them, apply ``--set`` overrides, validate, and turn any mistake into one clear
line (:class:`~pkgcad.errors.InputError`).

:func:`load_layout` is the one way in: template + overrides -> field-valid spec -> :func:`layout.resolve` ->
:func:`rules.check` -> the declared claims checked against the derived ones -> the :class:`Layout`.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from . import claims, rules
from .errors import NO_VALUE, InputError
from .layout import Layout, resolve
from .params import limits_text
from .spec import PackageSpec, Size2

_PKG_TEMPLATES = Path(__file__).parent / "templates"  # in an installed wheel
_REPO_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"  # in a source checkout


def templates_dir() -> Path:
    # the wheel's own copy first: in site-packages, ../templates may be another distribution's folder
    return _PKG_TEMPLATES if _PKG_TEMPLATES.is_dir() else _REPO_TEMPLATES


def template_paths() -> list[Path]:
    return sorted(templates_dir().glob("*.toml"), key=lambda p: p.stem)


def resolve_template(name_or_path: str) -> Path:
    """A bundled template's name (``qfn``) or a path to a TOML file (a pipe included), by :func:`resolve_source`."""
    return resolve_source(name_or_path)[1]


def resolve_source(text: str, folders: bool = False) -> tuple[str, Path]:
    """What a command's TEMPLATE argument names, by ONE rule for every command: ``("template", path)`` for a
    bundled template's name or a TOML file given by its path (a pipe or process substitution too: it is read
    once), ``("folder", path)`` for an output folder (only for a command that reads one: ``folders``).

    A name holding a ``/`` or ending in ``.toml`` is a path and only a path. A bare name is a bundled template's
    name, and also the path of whatever of that name is in the current folder: when both readings exist and the
    command accepts both, the name is refused (exit 2) naming the two, with how to say either."""
    p = Path(text)
    is_path = "/" in text or p.suffix == ".toml"
    bundled = None if is_path or not text else templates_dir() / f"{text}.toml"
    if bundled is not None and not bundled.is_file():
        bundled = None
    try:
        st: os.stat_result | None = os.stat(p) if text else None
    except OSError:
        st = None
    here: tuple[str, Path] | None = None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            here = ("folder", p) if folders else None
            if here is None and bundled is None:
                raise InputError("template", text, "is a folder, not a template (a bundled template's name or a "
                                 ".toml file)", "see pkgcad list")
        else:
            here = ("template", p)  # a file, a pipe, a device: read as TOML
    if here is not None and bundled is not None:
        what = "the folder" if here[0] == "folder" else "the file"
        raise InputError("template", text, f"names both the bundled template {text} and {what} ./{text} here",
                         f"write ./{text} for {what}, or {bundled} for the template")
    if here is not None:
        return here
    if bundled is not None:
        return "template", bundled
    if is_path:
        raise InputError("template", text, "no such file" + (" or folder" if folders else ""))
    names = ", ".join(t.stem for t in template_paths())
    raise InputError("template", text, f"not a bundled template ({names}) nor a .toml file"
                     + (" nor an output folder" if folders else ""))


MAX_TEMPLATE_BYTES = 1 << 20
"""Largest template read (the bundled ones are about 1 kB)."""
MAX_DEPTH = 16
"""Deepest nesting of tables and arrays accepted (a template needs 4: heat_sink.roughened.height)."""


_READ_ONCE: dict[str, bytes] = {}
"""The bytes of templates that cannot be read twice (a pipe, ``<(cat x.toml)``), by path, for this process."""


def read_toml(path: Path) -> dict[str, Any]:
    """The tables of a TOML file, or one :class:`InputError` line: unreadable, too large, not UTF-8 (a UTF-8
    byte-order mark is accepted and dropped), malformed, or nested deeper than :data:`MAX_DEPTH`. A pipe is read
    once and remembered (a sweep reads its template again for every variant)."""
    data = _READ_ONCE.get(str(path))
    if data is None:
        data = _read_bytes(path)
    return _parse_template(path, data)


def _read_bytes(path: Path) -> bytes:
    try:
        regular = stat.S_ISREG(os.stat(path).st_mode)
        with path.open("rb") as fh:
            data = fh.read(MAX_TEMPLATE_BYTES + 1)
    except OSError as exc:
        raise InputError("template", str(path), f"cannot be read: {exc.strerror}") from None
    if not regular:
        _READ_ONCE[str(path)] = data
    return data


def _parse_template(path: Path, data: bytes) -> dict[str, Any]:
    if len(data) > MAX_TEMPLATE_BYTES:
        raise InputError("template", str(path), f"larger than {MAX_TEMPLATE_BYTES >> 20} MB; a template is a few "
                         "kB of parameters")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError("template", str(path), "is UTF-16 (it starts with a UTF-16 byte-order mark); TOML must "
                         "be UTF-8: re-save the file as UTF-8")
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")  # a UTF-8 byte-order mark carries no meaning
    except UnicodeDecodeError as exc:
        raise InputError("template", str(path), _not_utf8(exc)) from None
    return parse_toml(text, "template", str(path))


def parse_toml(text: str, key: str, value: str) -> dict[str, Any]:
    """``tomllib.loads``, with deep nesting (which overflows its recursion, or ours later) answered in one line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(key, value, f"malformed TOML: {exc}") from None
    except RecursionError:
        raise InputError(key, value, f"nested deeper than {MAX_DEPTH} levels (tables and arrays); a template "
                         "needs at most 4") from None
    check_depth(data, key, value)
    return data


def check_depth(data: Any, key: str, value: str) -> None:
    """Refuse tables and arrays nested deeper than :data:`MAX_DEPTH` (``[a.a.a....]``), without recursing."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InputError(key, value, f"nested deeper than {MAX_DEPTH} levels (tables and arrays); a template "
                             "needs at most 4")
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))


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
    if key.count(".") >= MAX_DEPTH:
        raise InputError("--set", text, f"the key is nested deeper than {MAX_DEPTH} levels")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    except RecursionError:
        raise InputError("--set", text, f"the value is nested deeper than {MAX_DEPTH} levels") from None
    check_depth(value, "--set", text)
    return key.split("."), value


def apply_overrides(data: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """``data`` with each ``--set`` applied. A table (``--set 'chip={size=[2,2]}'``) is MERGED key by key into
    the template's table of that name, as if each key had been set alone: the keys it does not name keep the
    template's values (they never fall back to the defaults)."""
    out = _deep_copy(data)
    for text in overrides:
        keys, value = parse_override(text)
        _merge(table_at(out, keys, create=True), keys[-1], value)
    return out


def table_at(data: dict[str, Any], keys: Sequence[str], create: bool = False) -> dict[str, Any]:
    """THE walk of a dotted key (``keys``: ``heat_sink.roughened.height`` split) through parameters as read from
    TOML: the table that holds ``keys[-1]``, its tables made on the way with ``create``. A value where a table
    should be is an :class:`InputError` naming the key so far."""
    node = data
    for i, k in enumerate(keys[:-1]):
        child = node.setdefault(k, {}) if create else node[k]
        if not isinstance(child, dict):
            raise InputError(".".join(keys[: i + 1]), child, "is a value, not a table")
        node = child
    return node


def _merge(node: dict[str, Any], key: str, value: Any) -> None:
    if isinstance(value, dict) and isinstance(node.get(key), dict):
        for k, v in value.items():
            _merge(node[key], k, v)
    else:
        node[key] = _deep_copy(value) if isinstance(value, dict) else value


def _deep_copy(d: dict[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, dict) else v for k, v in d.items()}


def make_spec(data: dict[str, Any]) -> PackageSpec:
    """Validate ``data`` field by field (no cross-field rule). Raises :class:`InputError`."""
    try:
        return PackageSpec.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc) from None


def layout_of(spec: PackageSpec, changed: Sequence[str] = ()) -> Layout:
    """The layout of a field-valid ``spec``, judged by every cross-field rule and the declared claims.
    ``changed``: the dotted keys the user set with ``--set`` (a rule that two keys break names the one set)."""
    lay = resolve(spec)
    rules.check(lay, changed)
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
    spec = make_spec(data)
    _names_carrier_and_chip(data, path)
    return layout_of(spec, [".".join(parse_override(o)[0]) for o in overrides])


def _names_carrier_and_chip(data: dict[str, Any], path: Path) -> None:
    """A template says at least what it is: its carrier and its chip (an empty file would build a default model
    nobody asked for)."""
    missing = [t for t in ("carrier", "chip") if not isinstance(data.get(t), dict) or not data[t]]
    if not missing:
        return
    given = [k for k in data if k != "meta" or set(data["meta"]) - {"name"}]
    what = "is empty" if not given else f"has no [{'] or ['.join(missing)}] table"
    raise InputError("template", str(path), f"{what}; a template names its carrier ([carrier] kind = "
                     "\"substrate\" | \"qfn\", size) and its chip ([chip] connection = \"wirebond\" | \"flipchip\", "
                     "size): start from a bundled one (pkgcad show qfn)")


# ------------------------------------------------------------------------------------ error messages
def _first_error(exc: ValidationError) -> InputError:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    key = _dotted(loc)
    if err["type"] == "extra_forbidden":
        parent = model_at(loc[:-1])
        known = ", ".join(parent.model_fields) if parent else ""
        return InputError(key, err["input"], f"unknown key; {'.'.join(loc[:-1]) or 'top level'} has: {known}")
    msg = err["msg"]
    pair = _pair_field(loc)
    if pair is not None and (err["type"] in ("missing", "too_short", "too_long", "tuple_type")):
        key, value = _dotted(pair), _input_at(exc, pair)
        return InputError(key, value, f"needs two numbers [x, y] in mm, e.g. {key}=[2.0, 2.0]")
    if err["type"] == "finite_number":
        msg = "not a finite number (nan and inf are not lengths)"
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


def _pair_field(loc: list[str]) -> list[str] | None:
    """``loc`` (or its parent, for an item) if it names an [x, y] size field, else None."""
    for cut in (loc, loc[:-1]):
        if cut and not cut[-1].isdigit():
            info = _field_at(cut)
            if info is not None and cast(object, info.annotation) in (Size2, Size2 | None):
                return cut
    return None


def _input_at(exc: ValidationError, loc: list[str]) -> Any:
    """What the user gave at ``loc`` (the whole pair, not the item pydantic complains about)."""
    for e in exc.errors():
        eloc = [str(p) for p in e["loc"]]
        if eloc == loc:
            return e["input"]
        if eloc[: len(loc)] == loc and len(eloc) == len(loc) + 1 and e["type"] == "missing":
            return e["input"]
    return NO_VALUE


def _dotted(loc: list[str]) -> str:
    out = ""
    for p in loc:
        out += f"[{p}]" if p.isdigit() else (f".{p}" if out else p)
    return out


def model_at(loc: Sequence[str]) -> type[BaseModel] | None:
    """THE walk of a dotted key through the parameter models: the model of the table ``loc`` names (the
    :class:`PackageSpec` for none), or None when ``loc`` does not name a table."""
    model: type[BaseModel] = PackageSpec
    for k in loc:
        f = model.model_fields.get(k)
        if f is None or not (isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel)):
            return None
        model = f.annotation
    return model


def _field_at(loc: list[str]) -> FieldInfo | None:
    names = [p for p in loc if not p.isdigit()]
    parent = model_at(names[:-1])
    return parent.model_fields.get(names[-1]) if parent and names else None
