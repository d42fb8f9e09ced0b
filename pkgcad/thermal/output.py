"""Files of a thermal run: thermal.vtu (ParaView), thermal.json, compact_model.json and section pictures.

Everything is written into a folder the caller owns (a staged folder that is renamed into place by the CLI
layer): nothing here deletes or replaces anything else.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import meshio
import numpy as np

from pkgcad.conformal.femmesh import FemMesh
from pkgcad.solvers.conduction import Result, System
from pkgcad.thermal.conductivity import Conductivity
from pkgcad.thermal.section import section_png


def write_vtu(path: Path, system: System, results: Mapping[str, Result]) -> None:
    """Nodes, tetrahedra, one temperature field per scenario (degC) and per-cell part id and conductivity."""
    tm = system.tm
    for name, r in results.items():
        if r.temperature_c.shape != (tm.n_nodes,):
            raise ValueError(f"result {name!r} is not on this mesh: pass the System that was solved")
    k = system.k_w_mk
    mesh = meshio.Mesh(
        points=tm.mesh.p.T,
        cells=[("tetra", tm.mesh.t.T.astype(np.int64))],
        point_data={f"T_{name}_degC": r.temperature_c for name, r in results.items()},
        cell_data={
            "part_id": [tm.part_of_element.astype(np.int32)],
            "k_x_W_mK": [k[0]],
            "k_y_W_mK": [k[1]],
            "k_z_W_mK": [k[2]],
        },
    )
    meshio.write(path, mesh, file_format="vtu")


def parts_table(tm: FemMesh, conductivities: Mapping[str, Conductivity]) -> list[dict[str, Any]]:
    volumes = tm.volumes_mm3()
    return [
        {"part_id": i, "name": name, "conductivity_W_mK": list(conductivities[name].values),
         "material": conductivities[name].label, "volume_mm3": volumes[name]}
        for i, name in enumerate(tm.part_names)
    ]


def write_all(
    directory: Path, system: System, results: Mapping[str, Result], conductivities: Mapping[str, Conductivity],
    *, compact: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None, pictures: bool = True,
    window: tuple[float, float, float, float] | None = None,
) -> list[Path]:
    """Write every output into `directory` (which must exist); returns the paths written."""
    tm = system.tm
    written = [directory / "thermal.vtu", directory / "thermal.json"]
    write_vtu(written[0], system, results)
    doc: dict[str, Any] = {
        "units": {"length": "mm", "temperature": "degC", "resistance": "K/W", "power": "W"},
        "parts": parts_table(tm, conductivities),
        "vtu": {"file": "thermal.vtu", "cell_data": "part_id indexes 'parts'; k_x/k_y/k_z in W/m K",
                "point_data": [f"T_{n}_degC" for n in results]},
        "scenarios": {name: r.to_dict() for name, r in results.items()},
        **(dict(extra) if extra else {}),
    }
    if pictures:
        for name, r in results.items():
            png = directory / f"section_{name}.png"
            doc["scenarios"][name]["section_png"] = {"file": png.name, **section_png(
                png, tm, r.temperature_c, window=window,
                title=f"{name}: P = {r.power_w:g} W, Tj max {r.tj_max_c:.2f} degC, "
                      f"theta {r.theta_max_k_w:.3f} K/W")}
            written.append(png)
    written[1].write_text(json.dumps(doc, indent=2) + "\n")
    if compact is not None:
        path = directory / "compact_model.json"
        path.write_text(json.dumps(compact, indent=2) + "\n")
        written.append(path)
    return written
