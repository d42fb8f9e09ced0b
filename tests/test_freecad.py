"""FreeCAD itself (``freecadcmd``, Debian's ``freecad`` 0.20) on the FEM-ready output: the README's command runs as
written, and the macro beside the conformal STEP opens it as named solids that share their contact faces, counted
through FreeCAD's own Part topology.

Expected values come from the built package (its placements, parts, materials and volumes) and from OCCT reading
the STEP here in the test process, never from the macro. Without FreeCAD the tests are skipped on a developer's
machine and FAIL in CI (CI=true), where .ci/run installs it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import cadquery as cq
import pytest
from conftest import built, require_tool
from OCP.IFSelect import IFSelect_RetDone
from OCP.Interface import Interface_Static
from OCP.STEPControl import STEPControl_Reader
from OCP.TopAbs import TopAbs_FACE, TopAbs_SOLID
from OCP.TopExp import TopExp
from OCP.TopTools import TopTools_IndexedMapOfShape
from readme_runs import Ran
from test_conformal import readme_commands

pytestmark = pytest.mark.slow

#: the README's conformal build, whose folder the README's freecadcmd command opens
CONFORMAL_QFN = "pkgcad build qfn --step-mode conformal"

PROBE = '''
import json, os, runpy
import FreeCAD, Part
runpy.run_path(os.environ["MACRO"], run_name="__main__")
doc = FreeCAD.ActiveDocument
model = doc.getObject(os.environ["NAME"])
solids = model.Shape.Solids
links = []
for o in doc.Objects:
    if o.TypeId != "App::Link":
        continue
    shape = Part.getShape(o)
    linked, subs = o.LinkedObject if isinstance(o.LinkedObject, tuple) else (o.LinkedObject, "")
    links.append({"label": o.Label, "part": o.PartName, "material": o.Material, "linked": linked.Name,
                  "sub": subs if isinstance(subs, str) else subs[0], "type": shape.ShapeType,
                  "solids": len(shape.Solids), "volume": shape.Volume,
                  "group": next((g.Label for g in o.InList if g.TypeId == "App::DocumentObjectGroup"), None)})
same = {}  # (i, j) -> faces of solid i that are isSame with a face of solid j
owners = {}
for i, s in enumerate(solids):
    for f in s.Faces:
        owners.setdefault(f.hashCode(), []).append((i, f))
for uses in owners.values():
    for a in range(len(uses)):
        for b in range(a + 1, len(uses)):
            (i, f), (j, g) = uses[a], uses[b]
            if f.isSame(g):
                key = f"{min(i, j)},{max(i, j)}"
                same[key] = same.get(key, 0) + 1
again = Part.read(os.path.join(os.path.dirname(os.environ["MACRO"]), os.environ["NAME"] + ".step"))
out = {"again_solids": len(again.Solids), "again_shells": len(again.Shells),
       "document": doc.Name, "model_type": model.TypeId, "model_solids": len(solids),
       "model_faces": len(model.Shape.Faces), "faces_by_solid": sum(len(s.Faces) for s in solids),
       "volumes": [s.Volume for s in solids], "links": links, "same": same}
with open(os.environ["OUT"], "w") as f:
    json.dump(out, f)
'''


def require_freecad() -> str:
    exe = shutil.which("freecadcmd")
    require_tool(exe, "freecadcmd (Debian: apt-get install --no-install-recommends freecad)")
    assert exe is not None
    return exe


def freecad(script: Path, env: dict[str, str] | None = None, cwd: Path | None = None
            ) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([require_freecad(), str(script)], capture_output=True, text=True, timeout=600,
                          env={**os.environ, **(env or {})}, cwd=cwd)


@pytest.fixture(scope="module")
def qfn(readme: Callable[[str], Ran]) -> Path:
    """The folder the README's `pkgcad build qfn --step-mode conformal` wrote, its ``freecadcmd`` command's input
    (run once a session, tests/readme_runs.py; read-only here)."""
    require_freecad()
    return readme(CONFORMAL_QFN).ok().folder / "outputs" / "qfn"


def test_readme_command_runs_as_written(qfn: Path, tmp_path: Path) -> None:
    """`freecadcmd outputs/qfn/qfn.FCMacro`, as the README writes it, run from another folder: exit 0, no
    exception (the macro finds the STEP beside itself and every solid's volume as written)."""
    (line,) = readme_commands("freecadcmd")
    args = line.replace("outputs/qfn", str(qfn)).split()
    done = subprocess.run([require_freecad(), *args[1:]], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Exception" not in done.stdout + done.stderr, done.stdout[-2000:] + done.stderr[-2000:]


def _occt_shared_faces(step: Path) -> tuple[int, int]:
    """(solids, distinct faces) of ``step`` read by OCCT here with non-manifold reading on."""
    reader = STEPControl_Reader()
    Interface_Static.SetIVal_s("read.step.nonmanifold", 1)
    try:
        assert reader.ReadFile(str(step)) == IFSelect_RetDone
        reader.TransferRoots()
        shape = reader.OneShape()
    finally:
        Interface_Static.SetIVal_s("read.step.nonmanifold", 0)
    counts = []
    for kind in (TopAbs_SOLID, TopAbs_FACE):
        m = TopTools_IndexedMapOfShape()
        TopExp.MapShapes_s(shape, kind, m)
        counts.append(m.Extent())
    return counts[0], counts[1]


def test_freecad_opens_named_solids_that_share_their_contact_faces(qfn: Path, tmp_path: Path) -> None:
    """After the macro: the model object holds one solid per instance of the built package, in the order and with
    the volumes written, sharing faces (FreeCAD's distinct faces of the model = what OCCT reads here, fewer than
    the solids' faces one by one; the chip shares a face with its die attach, each wire with the chip); and each
    instance is an object named after it, one solid of the model, with its part and material."""
    pkg = built("qfn")
    instances = [(pl.name, p) for p in pkg.parts if p.role != "encapsulant" for pl in p.placements]
    instances.append(("encapsulant", pkg.part("encapsulant")))
    out = tmp_path / "probe.json"
    (tmp_path / "probe.py").write_text(PROBE)
    done = freecad(tmp_path / "probe.py", {"MACRO": str(qfn / "qfn.FCMacro"), "NAME": "qfn", "OUT": str(out)})
    assert out.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    got = json.loads(out.read_text())
    assert got["document"] == "qfn" and got["model_type"] == "Part::Feature"
    # the macro put FreeCAD's STEP reading back as it was: read again, the file gives shells, not solids
    assert got["again_solids"] == 0 and got["again_shells"] == 71
    # solids: one per instance, sharing faces exactly as OCCT reads the file here
    n, distinct = _occt_shared_faces(qfn / "qfn.step")
    assert got["model_solids"] == n == len(instances) == 71
    assert got["model_faces"] == distinct < got["faces_by_solid"]
    assert sum(got["same"].values()) == got["faces_by_solid"] - distinct  # every shared face: two solids
    # names: every instance one link, to one solid of the model, of its part's volume
    links = {r["label"]: r for r in got["links"]}
    assert sorted(links) == sorted(name for name, _p in instances)
    order = [r["label"] for r in got["links"]]
    for name, part in instances:
        r = links[name]
        assert (r["part"], r["material"]) == (part.name, part.material), name
        assert r["linked"] == "qfn" and r["type"] == "Solid" and r["solids"] == 1, r
        assert r["sub"] == f"Solid{order.index(name) + 1}"
        assert r["volume"] == pytest.approx(part.volume(), rel=1e-6), name
        assert got["volumes"][order.index(name)] == pytest.approx(part.volume(), rel=1e-6), name
        assert r["group"] == (part.name if part.count > 1 else None), name
    # contacts by name: the chip sits on its die attach, every wire is bonded to the chip
    pos = {name: i for i, name in enumerate(order)}

    def shared(a: str, b: str) -> int:
        i, j = sorted((pos[a], pos[b]))
        return int(got["same"].get(f"{i},{j}", 0))

    assert shared("chip", "die_attach") >= 1
    wires = [name for name, p in instances if p.role == "wire"]
    assert wires and all(shared(w, "chip") >= 1 for w in wires)
    assert shared("chip", "lead_00") == 0


def test_macro_refuses_a_step_it_was_not_written_for(qfn: Path, tmp_path: Path) -> None:
    """The macro beside another STEP (one box named qfn.step) stops with one line naming the file and the counts,
    and makes no document."""
    shutil.copy(qfn / "qfn.FCMacro", tmp_path / "qfn.FCMacro")
    cq.exporters.export(cq.Workplane().box(1, 1, 1), str(tmp_path / "qfn.step"))
    done = freecad(tmp_path / "qfn.FCMacro")
    assert "qfn.step: FreeCAD read 1 solids; pkgcad wrote 71" in done.stdout + done.stderr
