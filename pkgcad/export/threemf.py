"""3MF (core spec 1.x, millimetres): pkgcad's ONE 3MF writer, and a small reader for the tests.

:class:`Model3MF` holds each distinct mesh ONCE as a mesh object in its material's colour (a ``basematerials``
group: slicers such as PrusaSlicer, Bambu Studio and Cura show these colours) and places it by ``components``
(the core spec's instancing: an object made of other objects, each with a transform). Two users:

* ``pkgcad build`` (:func:`package_3mf`): the whole package for slicers and printing; a bump is one mesh object
  and a component per bump, a tiled encapsulant one CLOSED mesh object per distinct tile (3MF mesh objects
  must be closed) and a component per tile; one object per part, each a build item;
* ``pkgcad mockup`` (:func:`write_3mf`): one mesh object per material colour, already in place.

trimesh's 3MF writer drops colours and components, so the XML is written here: a zip of three small files.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET
from xml.sax.saxutils import quoteattr

import numpy as np
import trimesh

from ..materials import material
from ..package import Package

NS = "http://schemas.microsoft.com/3dmanufacturing/core/2015/02"
CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
 <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
 <Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/>
</Types>
"""
RELS = """<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
 <Relationship Target="/3D/3dmodel.model" Id="rel0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/>
</Relationships>
"""
MATERIALS_ID = 1
"""The id of the one ``basematerials`` group; objects count from 2."""


@dataclass(frozen=True)
class ColourObject:
    name: str  # the material
    color: tuple[float, float, float]  # sRGB 0..1
    mesh: trimesh.Trimesh


def hex_color(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(c * 255):02X}" for c in rgb) + "FF"


def _mesh_xml(mesh: trimesh.Trimesh) -> str:
    v = np.asarray(mesh.vertices, dtype=np.float64)
    f = np.asarray(mesh.faces, dtype=np.int64)
    # one %-format over the flat arrays: several times faster than a format call per vertex
    verts = ('<vertex x="%.6f" y="%.6f" z="%.6f"/>' * len(v)) % tuple(v.ravel().tolist())
    tris = ('<triangle v1="%d" v2="%d" v3="%d"/>' * len(f)) % tuple(f.ravel().tolist())
    return f"<mesh><vertices>{verts}</vertices><triangles>{tris}</triangles></mesh>"


def transform(matrices: np.ndarray) -> list[str]:
    """3MF ``transform`` attributes of (n, 4, 4) column-vector matrices (mm): 3MF multiplies row vectors, so it
    lists the transposed rotation row by row, then the translation."""
    m = np.asarray(matrices, dtype=np.float64).reshape(-1, 4, 4)
    flat = np.concatenate([m[:, :3, :3].transpose(0, 2, 1).reshape(-1, 9), m[:, :3, 3]], axis=1) + 0.0
    one = " ".join(["%.9g"] * 12)
    return [one % tuple(row) for row in flat.tolist()]


@dataclass
class Model3MF:
    """A 3MF model being filled: :meth:`mesh` adds a mesh object, :meth:`assembly` an object made of placed
    objects (components), :meth:`item` puts an object on the build plate. Millimetres."""

    title: str
    application: str = "pkgcad"
    _bases: list[str] = field(default_factory=list)
    _materials: dict[str, int] = field(default_factory=dict)
    _objects: list[str] = field(default_factory=list)
    _items: list[str] = field(default_factory=list)

    def colour(self, name: str, rgb: tuple[float, float, float]) -> int:
        """The index of base material ``name`` (shown in colour ``rgb``), added on first use."""
        if name not in self._materials:
            self._materials[name] = len(self._bases)
            self._bases.append(f"<base name={quoteattr(name)} displaycolor=\"{hex_color(rgb)}\"/>")
        return self._materials[name]

    def mesh(self, name: str, mesh: trimesh.Trimesh, colour: int) -> int:
        """A mesh object (closed, outward-wound: what 3MF asks) in base material ``colour``; its id."""
        oid = len(self._objects) + 2
        self._objects.append(f'<object id="{oid}" type="model" name={quoteattr(name)} pid="{MATERIALS_ID}" '
                             f'pindex="{colour}">{_mesh_xml(mesh)}</object>')
        return oid

    def assembly(self, name: str, parts: Sequence[tuple[int, np.ndarray]]) -> int:
        """An object made of the objects ``parts`` (id, (n, 4, 4) placements); its id."""
        oid = len(self._objects) + 2
        comps = [f'<component objectid="{ob}" transform="{t}"/>' for ob, mats in parts for t in transform(mats)]
        self._objects.append(f'<object id="{oid}" type="model" name={quoteattr(name)}><components>'
                             f'{"".join(comps)}</components></object>')
        return oid

    def item(self, oid: int) -> None:
        self._items.append(f'<item objectid="{oid}"/>')

    def xml(self) -> str:
        return "".join([
            f'<?xml version="1.0" encoding="UTF-8"?>\n<model unit="millimeter" xml:lang="en-US" xmlns="{NS}">',
            f'<metadata name="Title">{_esc(self.title)}</metadata>',
            f'<metadata name="Application">{_esc(self.application)}</metadata>',
            f'<resources><basematerials id="{MATERIALS_ID}">{"".join(self._bases)}</basematerials>',
            *self._objects, "</resources><build>", *self._items, "</build></model>\n"])

    def write(self, path: Path) -> None:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            zf.writestr("[Content_Types].xml", CONTENT_TYPES)
            zf.writestr("_rels/.rels", RELS)
            zf.writestr("3D/3dmodel.model", self.xml())


def write_3mf(path: Path, objects: list[ColourObject], title: str) -> None:
    """One mesh object and one build item per object; its vertices are already where they belong."""
    model = Model3MF(title, "pkgcad mockup")
    for o in objects:
        model.item(model.mesh(o.name, o.mesh, model.colour(o.name, o.color)))
    model.write(path)


Tiles = Sequence[tuple[trimesh.Trimesh, Sequence[tuple[float, float]]]]


def package_3mf(pkg: Package, tiles: Mapping[str, Tiles]) -> Model3MF:
    """The whole package (see the module notes): ``tiles[part]`` are the part's distinct CLOSED meshes and the
    (dx, dy) shifts placing each in the part's frame (an untiled part: its mesh, once, unshifted). One object
    per part (named by it), made of its meshes placed at every instance."""
    model = Model3MF(f"{pkg.name}; {pkg.spec.meta.title}; units: millimetre")
    for part in pkg.parts:
        colour = model.colour(part.material, material(part.material).color)
        places = np.stack([pl.matrix() for pl in part.placements])
        comps = []
        for k, (mesh, shifts) in enumerate(tiles[part.name]):
            name = part.name if len(tiles[part.name]) == 1 else f"{part.name}_tile_{k:04d}"
            step = np.tile(np.eye(4), (len(shifts), 1, 1))
            step[:, :2, 3] = np.asarray(shifts, dtype=np.float64).reshape(-1, 2)
            comps.append((model.mesh(name, mesh, colour), (places[:, None] @ step[None]).reshape(-1, 4, 4)))
        model.item(model.assembly(part.name, comps))
    return model


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class ReadObject:
    name: str
    color: str  # #RRGGBBAA
    mesh: trimesh.Trimesh


def read_3mf(path: Path) -> list[ReadObject]:
    """The mesh objects of a 3MF with the display colour of their base material (for checks and tests)."""
    with zipfile.ZipFile(path) as zf:
        root = ET.parse(io.BytesIO(zf.read("3D/3dmodel.model"))).getroot()
    q = f"{{{NS}}}"
    groups = {g.get("id"): [b.get("displaycolor", "") for b in g.iter(f"{q}base")]
              for g in root.iter(f"{q}basematerials")}
    out = []
    for obj in root.iter(f"{q}object"):
        mesh_el = obj.find(f"{q}mesh")
        if mesh_el is None:
            continue
        verts = np.array([[float(v.get(k, "nan")) for k in ("x", "y", "z")] for v in mesh_el.iter(f"{q}vertex")])
        faces = np.array([[int(t.get(k, "-1")) for k in ("v1", "v2", "v3")] for t in mesh_el.iter(f"{q}triangle")])
        color = groups.get(obj.get("pid"), [""])[int(obj.get("pindex", "0"))]
        out.append(ReadObject(obj.get("name", ""), color, trimesh.Trimesh(verts, faces, process=False)))
    return out
