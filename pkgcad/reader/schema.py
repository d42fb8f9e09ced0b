"""The schema of ``manifest.json`` (pydantic, strict: a volume written as a string is an error, not a guess).
The writer validates what it writes against it; every reader validates what it reads, and a manifest that
does not fit is refused in one line naming the field (exit 2)."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

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


def _use(u: list[float]) -> list[float]:
    if u[0] < 0 or not float(u[0]).is_integer():
        raise ValueError("a tile use is [piece, dx, dy]: the piece is a whole number from 0")
    return u


#: [x, y, z, angle_deg]: an instance is the part's own mesh turned by angle_deg about +z, then shifted (mm)
Placement = Annotated[list[Num], Field(min_length=4, max_length=4)]
Use = Annotated[list[Num], Field(min_length=3, max_length=3), AfterValidator(_use)]


class TileRow(_Row):
    """A part meshed in tiles: the triangles of each distinct piece, and the pieces shifted by (dx, dy) mm, in the
    order their triangles come in the part's STL."""

    piece_triangles: Annotated[list[Annotated[int, Field(ge=1)]], Field(min_length=1)]
    uses: Annotated[list[Use], Field(min_length=1)]

    @model_validator(mode="after")
    def _pieces_exist(self) -> TileRow:
        if any(u[0] >= len(self.piece_triangles) for u in self.uses):
            raise ValueError(f"a use names a piece beyond the {len(self.piece_triangles)} listed")
        return self


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
    # how the part's triangles lie in parts/<group>.stl (see pkgcad.export.manifest.stl_layout); optional: a
    # reader without them reads the file as one triangle soup
    triangles: Annotated[int, Field(ge=1)] | None = None
    placements: list[Placement] | None = None
    tiles: TileRow | None = None

    @model_validator(mode="after")
    def _layout_agrees(self) -> PartRow:
        if self.placements is not None and len(self.placements) != self.count:
            raise ValueError(f"{len(self.placements)} placements for {self.count} instances")
        if self.tiles is not None:
            if self.count != 1:
                raise ValueError("a tiled part has one instance")
            n = sum(self.tiles.piece_triangles[int(u[0])] for u in self.tiles.uses)
            if n != self.triangles:
                raise ValueError(f"its tiles hold {n} triangles, its row says {self.triangles}")
        return self


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


class MeshQualityRow(_Row):
    """The :class:`pkgcad.export.options.MeshQuality` the STL and GLB were tessellated with (``--quality``)."""

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
    mesh_quality: MeshQualityRow | None = None
    files: list[FileRow] = []
    # how the part files hold the parts (see pkgcad.export.manifest.stl_layout): every instance (the layout of
    # earlier versions, so the default), or each distinct mesh once, placed by the rows' placements and tiles
    parts_layout: Literal["every instance", "instanced"] = "every instance"

    @model_validator(mode="after")
    def _instanced_is_laid_out(self) -> Manifest:
        if self.parts_layout == "instanced" and any(r.triangles is None or r.placements is None for r in self.parts):
            raise ValueError("instanced part files need every part's triangles and placements")
        return self


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


# ------------------------------------------------------------------------------------------ the output stamp
def _relative(path: str) -> str:
    """A path inside the output folder: relative, normalised, no ``..``, no NUL (a stamp must never name a file
    outside its folder)."""
    if not path or "\x00" in path or path.startswith("/") or "\\" in path:
        raise ValueError("a path inside the folder: relative, without NUL or backslash")
    parts = path.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise ValueError("a path inside the folder: no empty, '.' or '..' component")
    return path


RelPath = Annotated[str, AfterValidator(_relative)]


class Stamp(BaseModel):
    """``.pkgcad``, the stamp of every output folder pkgcad writes (:mod:`pkgcad.export.outpath`): the tool, the
    command, the files written with their sizes (bytes), and the pictures drawn into it since (``views``). Strict:
    a size written as a string, a view path leading out of the folder, ``views`` that is not a list: the stamp is
    malformed and the folder is judged like any folder pkgcad did not write."""

    model_config = ConfigDict(strict=True, extra="allow", frozen=True)

    tool: str
    command: str = "build"
    version: str = ""
    files: dict[RelPath, Annotated[int, Field(ge=0)]] = {}
    views: list[RelPath] = []
    views_kept: list[RelPath] = []
    host: str = ""
    boot: str = ""
    pid: int | None = None
    ppid: int | None = None
    state: str = ""


class StampError(Exception):
    """A stamp file that is there but cannot be read as a pkgcad stamp (``str()``: why, naming the field)."""


def parse_stamp(text: str) -> Stamp | None:
    """The stamp in ``text``; None when it is not pkgcad's (not a JSON object whose ``tool`` is ``"pkgcad"``);
    :class:`StampError` when it says it is pkgcad's but does not fit :class:`Stamp`."""
    import json

    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise StampError(f"not JSON ({type(exc).__name__})") from None
    if not isinstance(data, dict) or data.get("tool") != "pkgcad":
        return None
    try:
        return Stamp.model_validate(data)
    except ValidationError as exc:
        e = exc.errors()[0]
        field = ".".join(str(p) for p in e["loc"]) or "(top)"
        raise StampError(f"{field}: {e['msg']}") from None
