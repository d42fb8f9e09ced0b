"""`pkgcad screen` against `pkgcad check` on pkgcad's own models: the STEP of every template, its names
stripped (re-exported by OpenCASCADE as one unnamed compound) or changed (opaque codes, decided by a roles
file), judged element by element like `pkgcad check` judges the manifest and part files: the same verdict on
every element check runs, the claims met exactly the claims the template embodies, and role inference from
geometry alone giving >= 95 % of the solids the role the manifest states.

qfn runs in the quick suite (names stripped); every template, both ways, is marked slow.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import TEMPLATES, built, instances

from pkgcad.check.run import check_folder
from pkgcad.export.writer import write_package
from pkgcad.screen.roles import name_role
from pkgcad.screen.run import screen
from pkgcad.screen.screening import Screening

MATERIAL_ROLES = ("interface_layer", "heat_sink", "buffer_pad", "chip", "adhesive")


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """A template's output folder (STEP + part STL), written once per test process."""
    root = tmp_path_factory.mktemp("screen-templates")
    done: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in done:
            write_package(built(name), root / name, formats=("step", "stl"))
            done[name] = root / name
        return done[name]

    return get


def strip_names(src: Path, dst: Path) -> Path:
    """The STEP re-exported by OpenCASCADE without labels: one compound of solids, no names, colours or
    assembly (every solid its own definition)."""
    from OCP.Interface import Interface_Static
    from OCP.STEPControl import STEPControl_AsIs, STEPControl_Reader, STEPControl_Writer

    reader = STEPControl_Reader()
    reader.ReadFile(str(src))
    reader.TransferRoots()
    was = Interface_Static.IVal_s("write.step.assembly")  # a global of OpenCASCADE: pkgcad's writer uses it too
    Interface_Static.SetIVal_s("write.step.assembly", 0)
    try:
        writer = STEPControl_Writer()
        writer.Transfer(reader.OneShape(), STEPControl_AsIs)
        writer.Write(str(dst))
    finally:
        Interface_Static.SetIVal_s("write.step.assembly", was)
    text = dst.read_text(encoding="latin-1")
    assert "heat_sink" not in text and "chip" not in text
    return dst


def rename(src: Path, manifest: dict, dst: Path, roles_file: Path) -> None:
    """Every product and occurrence name replaced by an opaque code per role (``Q07_0012``), and a roles file
    mapping each code's pattern to its role."""
    inst = {i: p["role"] for p in manifest["parts"] for i in p["instances"]}
    codes = {role: f"Q{k:02d}" for k, role in enumerate(sorted(set(inst.values())))}
    names: dict[str, str] = {}

    def code(name: str) -> str:
        role = inst.get(name) or ("encapsulant" if name.startswith("encapsulant") else None)
        if role is None:
            return name  # the root assembly
        if name not in names:
            names[name] = f"{codes[role]}_{len(names):04d}"
        return names[name]

    text = src.read_text(encoding="latin-1")
    text = re.sub(r"PRODUCT\('([^']*)','([^']*)'", lambda m: f"PRODUCT('{code(m[1])}','{code(m[2])}'", text)
    text = re.sub(r"NEXT_ASSEMBLY_USAGE_OCCURRENCE\('([^']*)','([^']*)'",
                  lambda m: f"NEXT_ASSEMBLY_USAGE_OCCURRENCE('{m[1]}','{code(m[2])}'", text)
    assert "heat_sink" not in text and "bump_" not in text
    dst.write_text(text, encoding="latin-1")
    roles_file.write_text("[roles]\n" + "".join(f'"{c}_*" = "{r}"\n' for r, c in codes.items()))


def materials_of(manifest: dict) -> list[str]:
    """The materials the manifest states, as --materials items (what a user states for a foreign file)."""
    out: dict[str, str] = {}
    for p in manifest["parts"]:
        if p["role"] in MATERIAL_ROLES:
            out.setdefault(p["role"], p["material"])
    return [f"{k}={v}" for k, v in out.items()]


def check_verdicts(folder: Path) -> tuple[dict[str, bool], set[int]]:
    """``pkgcad check``'s verdict per element id (every row passes) and the claims its rows prove."""
    rows = check_folder(folder)
    verdicts: dict[str, bool] = {}
    claims: set[int] = set()
    for r in rows:
        if r.id:
            verdicts[r.id] = verdicts.get(r.id, True) and r.passed
            claims |= {int(c) for c in r.claims.split(", ")}
    return verdicts, claims


def assert_agrees(s: Screening, folder: Path) -> None:
    verdicts, claims = check_verdicts(folder)
    assert all(verdicts.values())  # every bundled template passes its check
    got = {e: s.judgement.elements[e].verdict for e in verdicts}
    assert got == dict.fromkeys(verdicts, "met"), {e: s.judgement.elements[e].evidence for e, v in got.items()
                                                    if v != "met"}
    met = {c.claim for c in s.judgement.claims if c.verdict == "met"}
    assert met == claims
    assert {c.claim for c in s.judgement.claims if c.verdict == "cannot_tell"} == set()
    assert all(r.passed for r in s.judgement.hygiene), [r for r in s.judgement.hygiene if not r.passed]


def inferred_share(s: Screening, name: str) -> float:
    """The share of the file's solids given the role of the pkgcad instance they are: the smallest instance
    whose box holds the solid's box (an encapsulant tile lies in the encapsulant's box only)."""
    insts = [(i.part.role, i.lo, i.hi) for p in built(name).parts for i in instances(p)]
    lo = np.array([x[1] for x in insts])
    hi = np.array([x[2] for x in insts])
    vol = np.prod(hi - lo, axis=1)
    right = 0
    for solid in s.step.solids:
        v = solid.placed(s.step.definitions[solid.definition])
        slo, shi = v.min(axis=0), v.max(axis=0)
        holds = np.flatnonzero(np.all(lo <= slo + 1e-4, axis=1) & np.all(hi >= shi - 1e-4, axis=1))
        assert len(holds), solid.index
        want = insts[int(holds[np.argmin(vol[holds])])][0]
        right += s.assigned[solid.index].role == want
    return right / len(s.step.solids)


def _stripped(exported: Callable[[str], Path], name: str, tmp_path: Path) -> None:
    folder = exported(name)
    manifest = json.loads((folder / "manifest.json").read_text())
    bare = strip_names(folder / f"{name}.step", tmp_path / f"{name}-bare.step")
    s = screen(bare, materials=materials_of(manifest))
    assert not any(name_role(x.name) or name_role(x.product) for x in s.step.solids)  # no name says a role
    assert {a.how for a in s.assigned.values()} == {"geometry"}
    assert inferred_share(s, name) >= 0.95
    assert_agrees(s, folder)


def test_stripped_qfn_agrees_with_check(exported: Callable[[str], Path], tmp_path: Path) -> None:
    _stripped(exported, "qfn", tmp_path)


def test_materials_unstated_cannot_be_told(exported: Callable[[str], Path]) -> None:
    """The same model with no material stated: the geometric elements still met, the material ones "cannot
    tell", and the claims resting on them with them."""
    folder = exported("qfn")
    s = screen(folder / "qfn.step")
    e = s.judgement.elements
    assert e["interface_material"].verdict == e["interface_adheres_less"].verdict == "cannot_tell"
    assert e["adhesive_material"].verdict == "cannot_tell"
    assert e["coplanar_sides"].verdict == e["gap_filled"].verdict == e["carrier_qfn"].verdict == "met"
    v = {c.claim: c.verdict for c in s.judgement.claims}
    assert v[1] == v[2] == v[7] == v[8] == v[3] == v[11] == "cannot_tell"
    assert v[4] == v[12] == v[9] == "not_met"
    assert {a.how for a in s.assigned.values()} == {"name"}  # pkgcad's own names say the roles


@pytest.mark.slow
@pytest.mark.parametrize("name", [t for t in TEMPLATES if t != "qfn"])
def test_stripped_template_agrees_with_check(exported: Callable[[str], Path], tmp_path: Path, name: str) -> None:
    _stripped(exported, name, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("name", TEMPLATES)
def test_renamed_template_with_roles_file_agrees_with_check(exported: Callable[[str], Path], tmp_path: Path,
                                                            name: str) -> None:
    folder = exported(name)
    manifest = json.loads((folder / "manifest.json").read_text())
    step, roles = tmp_path / f"{name}-renamed.step", tmp_path / "roles.toml"
    rename(folder / f"{name}.step", manifest, step, roles)
    s = screen(step, roles, materials_of(manifest))
    assert {a.how for a in s.assigned.values()} == {"roles file"}, [
        (x.name, x.product, x.path) for x in s.step.solids if s.assigned[x.index].how != "roles file"][:5]
    assert inferred_share(s, name) == 1.0
    assert_agrees(s, folder)


def test_a_failing_numpy_verdict_writes_as_json() -> None:
    """A row judged by a numpy comparison holds a Python bool: a failing one used to break `--json`."""
    from pkgcad.check.rows import Row

    row = Row("chip_between", "chip between carrier and heat sink", "", "", np.float64(0.4) <= np.float64(0.3))
    assert json.loads(json.dumps(row.as_dict()))["passed"] is False
