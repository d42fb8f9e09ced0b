"""Files of a thermal run: thermal.vtu (ParaView), thermal.json, compact_model.json and section pictures.

Everything is written into a folder the caller owns (a staged folder that is renamed into place by the CLI
layer): nothing here deletes or replaces anything else. The VTU holds the mesh the run solved on (the package on
its test board), one temperature field per scenario at its nodes, and, as named field data, what is NOT in it
(what the model left to the mold or made a block, the copper sheets that have no cells, the scenarios solved on
the package alone).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

import meshio
import numpy as np

from pkgcad.conformal.femmesh import FemMesh
from pkgcad.solvers.conduction import Result, System
from pkgcad.thermal.conductivity import Conductivity
from pkgcad.thermal.section import section_png

Window = tuple[float, float, float, float]  # a picture's crop: u_min, u_max, z_min, z_max [mm]


def node_values(system: System, result: Result, on: System | None = None) -> np.ndarray:
    """``result``'s nodal temperatures on ``system``'s mesh: itself, or solved on ``on``, a subset of the mesh's
    parts (NaN where ``on`` has no node)."""
    if on is None or on is system:
        if result.temperature_c.shape != (system.tm.n_nodes,):
            raise ValueError(f"result {result.scenario.name!r} is not on this mesh: pass the System that was solved")
        return result.temperature_c
    nodes = system.tm.nodes_of(on.tm.part_names)
    if nodes.size != on.tm.n_nodes:
        raise ValueError(f"result {result.scenario.name!r}: its mesh is no subset of this one")
    out = np.full(system.tm.n_nodes, np.nan)
    out[nodes] = result.temperature_c
    return out


def write_vtu(path: Path, system: System, results: Mapping[str, Result], *,
              solved_on: Mapping[str, System] | None = None, notes: Sequence[str] = ()) -> None:
    """Nodes, tetrahedra, one temperature field per scenario (degC) and per-cell part id and conductivity; each
    of ``notes`` becomes a field-data array named by its text (ParaView lists them under Field Data)."""
    tm = system.tm
    on = solved_on or {}
    k = system.k_w_mk
    mesh = meshio.Mesh(
        points=tm.mesh.p.T,
        cells=[("tetra", tm.mesh.t.T.astype(np.int64))],
        point_data={f"T_{name}_degC": node_values(system, r, on.get(name)) for name, r in results.items()},
        cell_data={
            "part_id": [tm.part_of_element.astype(np.int32)],
            "k_x_W_mK": [k[0]],
            "k_y_W_mK": [k[1]],
            "k_z_W_mK": [k[2]],
        },
    )
    meshio.write(path, mesh, file_format="vtu")
    if notes:
        _field_notes(path, notes)


def _field_notes(path: Path, notes: Sequence[str]) -> None:
    """Put ``notes`` into the VTU as <FieldData>: one Int32 array per note, its name the note, its value its
    number (meshio writes no field data, and reads only numeric arrays: a String array would break it)."""
    arrays = "".join(f'<DataArray type="Int32" Name="{escape(f"note {i:02d}: {n}", quote=True)}" '
                     f'NumberOfTuples="1" format="ascii">{i}</DataArray>' for i, n in enumerate(notes, 1))
    text = path.read_text()
    tag = "<UnstructuredGrid>"
    if tag not in text:
        raise ValueError(f"{path.name}: no {tag} element to put the field data in")
    path.write_text(text.replace(tag, f"{tag}<FieldData>{arrays}</FieldData>", 1))


def parts_table(tm: FemMesh, conductivities: Mapping[str, Conductivity]) -> list[dict[str, Any]]:
    volumes = tm.volumes_mm3()
    return [
        {"part_id": i, "name": name, "conductivity_W_mK": list(conductivities[name].values),
         "material": conductivities[name].label, "volume_mm3": volumes[name]}
        for i, name in enumerate(tm.part_names)
    ]


def write_all(
    directory: Path, system: System, results: Mapping[str, Result], conductivities: Mapping[str, Conductivity],
    *, compact: Mapping[str, Any] | None = None, extra: Mapping[str, Any] | None = None, pictures: bool = True,
    solved_on: Mapping[str, System] | None = None, windows: Mapping[str, Window] | None = None,
    notes: Sequence[str] = (), titles: Mapping[str, str] | None = None,
) -> list[Path]:
    """Write every output into ``directory`` (which must exist); returns the paths written. ``solved_on``: the
    system a scenario was solved on when not ``system`` (a subset of its parts); ``windows``: a scenario's picture
    crop (u_min, u_max, z_min, z_max) mm; ``notes``: what the VTU lacks (its field data); ``titles``: picture
    titles."""
    tm = system.tm
    on = solved_on or {}
    written = [directory / "thermal.vtu", directory / "thermal.json"]
    write_vtu(written[0], system, results, solved_on=on, notes=notes)
    doc: dict[str, Any] = {
        "units": {"length": "mm", "temperature": "degC", "resistance": "K/W", "power": "W"},
        "parts": parts_table(tm, conductivities),
        "vtu": {"file": "thermal.vtu", "cell_data": "part_id indexes 'parts'; k_x/k_y/k_z in W/m K",
                "point_data": [f"T_{n}_degC" for n in results], "field_data": list(notes)},
        "scenarios": {name: r.to_dict() for name, r in results.items()},
        **(dict(extra) if extra else {}),
    }
    if pictures:
        for name, r in results.items():
            png = directory / f"section_{name}.png"
            mesh = on.get(name, system).tm
            title = (titles or {}).get(name) or (f"{name}: P = {r.power_w:g} W, Tj max {r.tj_max_c:.2f} degC, "
                                                 f"theta {r.theta_max_k_w:.3f} K/W")
            doc["scenarios"][name]["section_png"] = {"file": png.name, **section_png(
                png, mesh, r.temperature_c, window=(windows or {}).get(name), title=title)}
            written.append(png)
    written[1].write_text(json.dumps(doc, indent=2) + "\n")
    if compact is not None:
        path = directory / "compact_model.json"
        path.write_text(json.dumps(compact, indent=2) + "\n")
        written.append(path)
    return written
