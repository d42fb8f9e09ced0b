"""The schema of ``manifest.json`` (pydantic, strict: a volume written as a string is an error, not a guess).
The writer validates what it writes against it; every reader validates what it reads, and a manifest that
does not fit is refused in one line naming the field (exit 2)."""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from ..errors import InputError
from ..roles import Role
from ..spec import PackageSpec


def _finite(x: float) -> float:
    if not math.isfinite(x):
        raise ValueError("not a finite number")
    return x


Num = Annotated[float, AfterValidator(_finite)]
Mm = Num  # millimetres
Point3 = Annotated[list[Num], Field(min_length=3, max_length=3)]


class _Row(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow", frozen=True)


class PartRow(_Row):
    name: str
    role: Annotated[Role, Field(strict=False)]  # JSON holds the name
    material: str
    group: str
    count: Annotated[int, Field(ge=1)]
    instances: list[str]
    volume_mm3: Annotated[Num, Field(ge=0)]
    volume_total_mm3: Annotated[Num, Field(ge=0)]
    mass_g: Annotated[Num, Field(ge=0)]
    bbox_mm: Annotated[list[Point3], Field(min_length=2, max_length=2)]


class WireRow(_Row):
    name: str
    start: Point3
    end: Point3


class LayoutSection(_Row):
    wires: list[WireRow] = []


class Embodiment(_Row):
    carrier: str
    connection: str
    attach: str
    first_surface: str
    interface_layer: str


class FileRow(_Row):
    path: str
    bytes: Annotated[int, Field(ge=0)]


class MeshQuality(_Row):
    name: str
    linear_mm: Annotated[Num, Field(gt=0)]
    angular_rad: Annotated[Num, Field(gt=0)]


class Manifest(_Row):
    tool: str
    version: str
    name: str
    title: str = ""
    claims: list[Annotated[int, Field(ge=1, le=20)]]
    embodiment: Embodiment
    parameters: PackageSpec
    stack_mm: dict[str, Mm | None]
    layout: LayoutSection = LayoutSection()
    parts: Annotated[list[PartRow], Field(min_length=1)]
    mesh_quality: MeshQuality | None = None
    files: list[FileRow] = []


def validate_manifest(data: Any, where: str) -> Manifest:
    """``data`` (parsed JSON) as a :class:`Manifest`, or an :class:`InputError` naming the first bad field."""
    if not isinstance(data, dict):
        raise InputError(where, type(data).__name__, "a pkgcad manifest is a JSON object")
    if data.get("tool") != "pkgcad":
        raise InputError(where, data.get("tool"), "not a pkgcad manifest (its \"tool\" is not \"pkgcad\")")
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        e = exc.errors()[0]
        field = ".".join(str(p) for p in e["loc"])
        raise InputError(f"{where}: {field}", e.get("input"), e["msg"],
                         "rebuild the folder with `pkgcad build`") from None
