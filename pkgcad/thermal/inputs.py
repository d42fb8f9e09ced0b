"""What `pkgcad thermal` reads: a template (name or .toml) or a pkgcad output folder (its manifest's parameters),
with ``--set`` overrides, as a judged Layout; bad input is one :class:`InputError` line (exit 2).

An output folder is read through its manifest: the parameters it was built from are re-resolved, so the thermal
model is the same Layout the STEP was made from (the STL files are not meshed).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pkgcad.errors import NO_VALUE, InputError
from pkgcad.layout import Layout
from pkgcad.templates import apply_overrides, layout_of, load_layout, make_spec, parse_override, resolve_source


def load_input(source: str, sets: Sequence[str] = ()) -> Layout:
    kind, path = resolve_source(source, folders=True)  # the one rule every command reads a name by
    if kind == "folder":
        return _from_folder(path, sets)
    return load_layout(str(path), sets)


def _from_folder(root: Path, sets: Sequence[str]) -> Layout:
    from pkgcad.reader.folder import read_manifest

    data, _schema = read_manifest(root)
    manifest = root / "manifest.json"
    if not data.get("parts"):
        raise InputError(str(manifest), NO_VALUE, "lists no parts", "build the package first: pkgcad build TEMPLATE")
    params = data.get("parameters")
    if not isinstance(params, dict):
        raise InputError(str(manifest), NO_VALUE, "has no 'parameters' table to rebuild the model from",
                         "rebuild the folder with this pkgcad: pkgcad build TEMPLATE")
    spec = make_spec(apply_overrides(params, sets))
    return layout_of(spec, [".".join(parse_override(o)[0]) for o in sets])
