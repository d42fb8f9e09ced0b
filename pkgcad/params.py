"""The parameter table: every field of a spec with its value, unit, allowed range and meaning, read from the
pydantic field definitions. ``pkgcad show`` prints it and the HTML report renders it: one builder for both.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from .spec import PackageSpec


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
    used: bool = True  # False: a section without effect for this embodiment

    @property
    def value_text(self) -> str:
        """The value as JSON (tuples as lists), as both tables show it."""
        return json.dumps(list(self.value) if isinstance(self.value, tuple) else self.value)


def describe(spec: PackageSpec) -> Iterator[FieldRow]:
    """Every parameter of ``spec``: dotted key, value, unit, allowed range, meaning, and whether the
    embodiment uses it."""
    yield from _describe(spec, "", spec.unused_sections())


def _describe(model: BaseModel, prefix: str, unused: set[str]) -> Iterator[FieldRow]:
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        key = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            yield from _describe(value, key + ".", unused)
            continue
        meaning = info.description or ""
        unit = "mm" if "[mm]" in meaning else ""
        section = key.split(".")[0]
        yield FieldRow(key, value, unit, limits_text(info), meaning.replace(" [mm]", ""), section,
                       section not in unused)
