"""Shared fixtures and helpers for the pkgcad tests.

Building a package costs 0.5-10 s of OCCT time, so built packages are cached per test process
(:func:`built`), keyed by template and ``--set`` overrides; every test module that needs the same model
reuses it. Geometry helpers (placed instances, boxes, common volume, distance) live here too, so the
geometry and property tests judge the models the same way.

Randomness: every randomised test (hypothesis's property tests, the randomised run of every template) draws
from ONE seed per session (:func:`session_seed`), new each run, shown in the header and in every failure;
``PKGCAD_FUZZ_SEED=N`` replays a run. Under xdist the controller hands its seed to the workers.

Hypothesis: ``PKGCAD_HYPOTHESIS_EXAMPLES`` sets the number of examples of the tests that BUILD models
(default 8); ``PKGCAD_HYPOTHESIS_VALIDATION_EXAMPLES`` those that only validate specs (default 60). Every
example a property test runs is counted with the ``example_counter`` fixture and the totals are printed at
the end of the session (summed over xdist workers).
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cadquery as cq
import numpy as np
import pytest

from pkgcad.geometry import build_package
from pkgcad.layout import Layout
from pkgcad.package import Package, Part
from pkgcad.spec import PackageSpec
from pkgcad.templates import load_layout, template_paths

TEMPLATES: tuple[str, ...] = tuple(p.stem for p in template_paths())

#: Common volume [mm^3] below which two parts count as not overlapping.
OVERLAP_TOL = 1e-9
#: Distance [mm] below which two shapes count as touching.
TOUCH_TOL = 1e-6

BUILD_EXAMPLES = int(os.environ.get("PKGCAD_HYPOTHESIS_EXAMPLES", "8"))
VALIDATION_EXAMPLES = int(os.environ.get("PKGCAD_HYPOTHESIS_VALIDATION_EXAMPLES", "60"))


# ------------------------------------------------------------------------------------------ building
@cache
def _layout(template: str, sets: tuple[str, ...]) -> Layout:
    return load_layout(template, sets)


@cache
def _built(template: str, sets: tuple[str, ...]) -> Package:
    return build_package(_layout(template, sets))


def layout_of(template: str, *sets: str) -> Layout:
    """The judged layout of a bundled template with ``--set`` overrides (cached)."""
    return _layout(template, tuple(sets))


def spec_of(template: str, *sets: str) -> PackageSpec:
    """The validated spec of a bundled template with ``--set`` overrides (cached)."""
    return _layout(template, tuple(sets)).spec


def built(template: str, *sets: str) -> Package:
    """The built package of a bundled template with ``--set`` overrides, cached for the test process.
    Tests must not mutate it."""
    return _built(template, tuple(sets))


# ------------------------------------------------------------------------------------------ instances
@dataclass(frozen=True)
class Inst:
    """One placed instance of a part."""

    part: Part
    index: int
    shape: cq.Shape
    lo: np.ndarray  # (3,) bounding box
    hi: np.ndarray

    @property
    def name(self) -> str:
        return self.part.placements[self.index].name

    @property
    def label(self) -> str:
        return f"{self.part.name}[{self.name}]"

    @property
    def centre(self) -> np.ndarray:
        return (self.lo + self.hi) / 2


_BOXES: dict[int, tuple[cq.Shape, np.ndarray]] = {}


def _local_box(shape: cq.Shape) -> np.ndarray:
    """The shape's tight (optimal) bounding box, cached: it takes seconds for a mold with many wire holes.

    Measured on a mesh-free copy: once a triangulation hangs on a shape (pkgcad no longer leaves one, see
    test_export.test_writing_leaves_the_package_untouched; a test might) OCCT's box follows the mesh and is off by
    up to the chordal deviation."""
    hit = _BOXES.get(id(shape))
    if hit is None or hit[0] is not shape:
        bb = shape.copy(mesh=False).BoundingBox()
        hit = _BOXES[id(shape)] = (shape, np.array([[bb.xmin, bb.ymin, bb.zmin], [bb.xmax, bb.ymax, bb.zmax]]))
    return hit[1]


def instances(part: Part) -> list[Inst]:
    """Every placed instance of ``part`` with its bounding box (numpy transform of the shape's box)."""
    local = _local_box(part.shape)
    corners = np.array([[x, y, z, 1.0] for x in local[:, 0] for y in local[:, 1] for z in local[:, 2]])
    out = []
    for i, pl in enumerate(part.placements):
        pts = (corners @ pl.matrix().T)[:, :3]
        out.append(Inst(part, i, part.shape.moved(pl.location()), pts.min(axis=0), pts.max(axis=0)))
    return out


def all_instances(pkg: Package) -> list[Inst]:
    return [inst for part in pkg.parts for inst in instances(part)]


def boxes_meet(a: Inst, b: Inst, tol: float = 1e-7) -> bool:
    return bool(np.all(a.lo <= b.hi + tol) and np.all(b.lo <= a.hi + tol))


def sample(insts: Sequence[Inst], k: int = 3, seed: int = 1234) -> list[Inst]:
    """First, last and ``k`` random instances (fixed seed) of a repeated part; every instance of a small one."""
    if len(insts) <= k + 2:
        return list(insts)
    rng = random.Random(seed + len(insts))
    picks = {0, len(insts) - 1, *rng.sample(range(1, len(insts) - 1), k)}
    return [insts[i] for i in sorted(picks)]


def nearest(inst: Inst, others: Sequence[Inst], k: int = 4) -> list[Inst]:
    """The ``k`` instances of ``others`` (excluding ``inst``) whose box centres lie nearest ``inst``'s."""
    cand = [o for o in others if o is not inst]
    cand.sort(key=lambda o: float(np.linalg.norm(o.centre - inst.centre)))
    return cand[:k]


def common_volume(a: cq.Shape, b: cq.Shape) -> float:
    return float(a.intersect(b).Volume())


def distance(a: cq.Shape, b: cq.Shape) -> float:
    return float(a.distance(b))


def overlap_pairs(pkg: Package, k: int = 3) -> list[tuple[Inst, Inst]]:
    """Pairs of placed instances to test for overlap, cheap enough for every test run.

    Parts placed once: every pair whose boxes meet. Repeated parts (bumps, wires, balls, leads, fingers): a
    sample (first, last, ``k`` random) against every instance of every other part whose box meets its box,
    plus its nearest neighbours of the same part (their boxes need not meet).
    """
    by_part = [instances(p) for p in pkg.parts]
    singles = [insts[0] for insts in by_part if len(insts) == 1]
    everything = [i for insts in by_part for i in insts]
    seen: set[tuple[int, int]] = set()
    pairs: list[tuple[Inst, Inst]] = []

    def add(a: Inst, b: Inst) -> None:
        key = (min(id(a), id(b)), max(id(a), id(b)))
        if a is b or key in seen:
            return
        seen.add(key)
        pairs.append((a, b))

    for i, a in enumerate(singles):
        for b in singles[i + 1:]:
            if boxes_meet(a, b):
                add(a, b)
    for insts in by_part:
        if len(insts) == 1:
            continue
        for a in sample(insts, k):
            for b in everything:
                if b.part is not a.part and boxes_meet(a, b):
                    add(a, b)
            for b in nearest(a, insts):
                add(a, b)
    return pairs


def overlaps(pkg: Package, k: int = 3) -> list[tuple[str, str, float]]:
    """(label, label, common volume) of every checked pair that overlaps by more than OVERLAP_TOL."""
    bad = []
    for a, b in overlap_pairs(pkg, k):
        v = common_volume(a.shape, b.shape)
        if v >= OVERLAP_TOL:
            bad.append((a.label, b.label, v))
    return bad


def parts_with_role(pkg: Package, *roles: str) -> list[Part]:
    return [p for p in pkg.parts if p.role in roles]


def total_volume(parts: Iterable[Part]) -> float:
    return sum(p.volume() * p.count for p in parts)


def box_solid(x0: float, y0: float, z0: float, x1: float, y1: float, z1: float) -> cq.Solid:
    return cq.Solid.makeBox(x1 - x0, y1 - y0, z1 - z0, pnt=cq.Vector(x0, y0, z0))


def plane_area(shape: cq.Shape, axis: int, value: float, sign: int, tol: float = 1e-7) -> float:
    """Total area [mm^2] of the planar faces of ``shape`` that lie in the plane ``x[axis] = value`` and face
    ``sign`` (+1 or -1) along that axis (outward normal)."""
    total = 0.0
    for f in shape.Faces():
        if f.geomType() != "PLANE":
            continue
        n = f.normalAt().toTuple()
        if abs(n[axis] - sign) > 1e-9:
            continue
        if abs(f.Center().toTuple()[axis] - value) > tol:
            continue
        total += f.Area()
    return total


def rel_close(got: float, want: float, rel: float = 1e-6) -> bool:
    return abs(got - want) <= rel * max(abs(want), 1e-12)


# ------------------------------------------------------------------------------------------ system tools
def require_tool(found: object, missing: str) -> None:
    """Skip the test when a system tool (chromium, npm) is ``missing`` on a developer's machine; FAIL in CI
    (CI=true), where .ci/run installs every tool the tests need."""
    if found:
        return
    if os.environ.get("CI"):
        pytest.fail(missing)
    pytest.skip(missing)


# ------------------------------------------------------------------------------------------ session-wide
def session_root(factory: pytest.TempPathFactory) -> Path:
    """A folder every xdist worker of this session shares (the session's base temp folder; without xdist, the
    process's own)."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def shared(root: Path, name: str) -> Iterator[tuple[Path, bool]]:
    """A folder ``root/name`` that every xdist worker of a session shares: yields (folder, True) to the first
    worker to arrive, which must fill it, and (folder, False) to the others once it is filled (they wait)."""
    root.mkdir(parents=True, exist_ok=True)
    folder, done = root / name, root / f"{name}.done"
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            first = not done.exists()
            if first:
                shutil.rmtree(folder, ignore_errors=True)
            yield folder, first
            if first:
                done.touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def readme(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """``readme(command)``: a README command run as written, once a session (tests/readme_runs.py)."""
    from readme_runs import SETUPS, Runner

    return Runner(tmp_path_factory, SETUPS)


# ------------------------------------------------------------------------------------------ randomness
_SEED: list[int] = []


def session_seed() -> int:
    """The session's random seed: ``PKGCAD_FUZZ_SEED`` if set, else drawn once by the controller (or a run
    without xdist) and handed to every xdist worker, so one number replays the whole run."""
    if not _SEED:
        env = os.environ.get("PKGCAD_FUZZ_SEED")
        _SEED.append(int(env) if env else random.SystemRandom().randrange(2**32))
    return _SEED[0]


def replay_hint() -> str:
    return f"random seed {session_seed()}: PKGCAD_FUZZ_SEED={session_seed()} replays this run"


#: Seconds the suite's long tests took (``pytest -n 2 --durations``, a test's fixture set-up added to its call): the
#: slow ones from CI on a fresh clone (``.ci/run``, an idle 2-core machine, 2026-12-05), the others from a run of the
#: tests not marked slow at load 4 (2026-12-05). Each of ``make test`` and ``make test-slow`` starts its longest
#: first: xdist hands each worker one test more as it finishes one (``--maxschedchunk=1``), so longest-first lets the
#: two workers finish together instead of one running a 5-minute test after the other is done. A stale figure only
#: changes the order in which tests start, never what they test; a test marked ``first`` that is not listed counts as
#: :data:`FIRST_SECONDS`. Update the figures from a CI run's ``--durations`` when the order stops fitting.
LONG_RUNS: dict[str, float] = {
    # make test-slow
    "tests/test_readme.py::test_readme_command[pkgcad thermal --compare]": 291,
    "tests/test_thermal_package.py::test_theta_jc_changes_under_2_percent_from_normal_to_fine[flipchip-bga]": 175,
    "tests/test_warp.py::test_warpage_changes_under_3_percent_from_normal_to_fine": 280,
    "tests/test_readme.py::test_readme_command[pkgcad sweep buffer-pad --grid heat_sink.thickness=0.2,0.3,0.5 "
    "--do build,warp,report]": 170,
    "tests/test_readme.py::test_readme_command[pkgcad thermal qfn --power 0.5 --mesh fine --set "
    "interface_layer.material=ptfe]": 99,
    "tests/test_thermal_package.py::test_theta_jc_changes_under_2_percent_from_normal_to_fine[wirebond-bga]": 89,
    "tests/test_readme.py::test_readme_command[pkgcad warp outputs/qfn --stress-free 165]": 70,
    "tests/test_readme.py::test_readme_command[pkgcad warp --compare buffer-pad --mesh coarse]": 57,
    "tests/test_readme.py::test_readme_command[pkgcad warp flipchip-bga]": 57,
    "tests/test_thermal_package.py::test_homogenised_arrays_match_every_bump_and_ball_within_3_percent_on_theta_jc"
    "[flipchip-bga]": 51,
    "tests/test_install.py::test_sdist_holds_the_viewer_bundle_and_what_builds_it": 42,
    "tests/test_thermal_package.py::test_homogenised_arrays_match_every_bump_and_ball_within_3_percent_on_theta_jc"
    "[wirebond-bga]": 38,
    "tests/test_warp.py::test_the_ball_block_gives_the_board_warpage_of_every_ball_in_full_detail_within_5_percent": 69,
    "tests/test_mesh_convergence.py::test_bga_theta_jb_converges_from_coarse_to_normal": 40,
    "tests/test_sweep.py::test_grid_on_a_real_scheduler_matches_the_local_cluster": 29,
    "tests/test_geometry.py::test_large_models[wirebond-400-wires]": 28,
    "tests/test_warp.py::test_a_buffer_pad_loads_the_chip_less_than_the_heat_sink_bonded_straight_on": 25,
    "tests/test_mesh_convergence.py::test_connecting_portion_theta_jc_top_is_resolved_at_the_adhesive_rim": 22,
    # make test
    "tests/test_thermal_cli.py::test_thermal_writes_json_vtu_compact_model_and_pictures": 54,
    "tests/test_thermal_package.py::test_copper_beats_aluminium_and_the_heat_sink_beats_mold": 50,
    "tests/test_thermal_cli.py::test_compare_table_and_chart": 46,
    "tests/test_thermal_package.py::test_a_thicker_copper_plate_adds_at_most_its_own_1d_resistance": 40,
    "tests/test_thermal_package.py::test_thin_layers_have_two_elements_through_their_thickness": 36,
    "tests/test_thermal_package.py::test_each_thermal_part_meshes_to_its_cad_part_or_block[wirebond-bga]": 34,
    "tests/test_thermal_package.py::test_the_board_estimate_obeys_the_film_bound": 32,
    "tests/test_thermal_package.py::test_each_thermal_part_meshes_to_its_cad_part_or_block[flipchip-bga]": 28,
    "tests/test_thermal_package.py::test_interface_layer_cost_lies_between_heat_sink_and_chip_area_bounds": 24,
    "tests/test_screen_models.py::test_claim_12_without_materials_cannot_tell": 22,
    "tests/test_thermal_package.py::test_each_thermal_part_meshes_to_its_cad_part_or_block[qfn]": 22,
    "tests/test_property.py::test_valid_specs_build_sound_geometry": 21,
}
FIRST_SECONDS = 60.0


def expected_seconds(item: pytest.Item) -> float:
    """What :data:`LONG_RUNS` says ``item`` takes (0 for a test not listed and not marked ``first``)."""
    listed = LONG_RUNS.get(item.nodeid)
    if listed is not None:
        return float(listed)
    return FIRST_SECONDS if item.get_closest_marker("first") is not None else 0.0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The long tests (:data:`LONG_RUNS`, and those marked ``first``) go to the front, longest first; the rest keep
    their order. xdist's first hand-out gives each of its workers two tests (the first worker items 0-1, the second
    2-3): the 4th longest is put second, so that the first worker's pair (1st + 4th) and the second's (2nd + 3rd)
    are of about the same length."""
    items.sort(key=lambda item: -expected_seconds(item))  # stable: equal keys keep their order
    if len(items) >= 4 and expected_seconds(items[3]) > 0:
        items[1], items[2], items[3] = items[3], items[1], items[2]


def pytest_configure(config: pytest.Config) -> None:
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and "pkgcad_seed" in workerinput:
        _SEED[:] = [int(workerinput["pkgcad_seed"])]


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:  # type: ignore[no-untyped-def]
    node.workerinput["pkgcad_seed"] = session_seed()


def pytest_report_header(config: pytest.Config) -> str:
    return f"pkgcad: {replay_hint()}"


# ------------------------------------------------------------------------------------------ hypothesis
class ExampleCounter:
    """Counts hypothesis examples per test; totals are reported at the end of the session."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def hit(self, test: str) -> None:
        self.counts[test] += 1


_COUNTER = ExampleCounter()


@pytest.fixture(scope="session")
def example_counter() -> ExampleCounter:
    return _COUNTER


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the counts to the controller
        workeroutput["pkgcad_hypothesis_examples"] = json.dumps(dict(_COUNTER.counts))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:  # type: ignore[no-untyped-def]
    data = getattr(node, "workeroutput", {}).get("pkgcad_hypothesis_examples")
    if data:
        _COUNTER.counts.update(json.loads(data))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    if getattr(config, "workeroutput", None) is not None or not _COUNTER.counts:
        return
    tr = terminalreporter
    tr.section("pkgcad hypothesis examples")
    tr.write_line(replay_hint())
    for test, n in sorted(_COUNTER.counts.items()):
        tr.write_line(f"{test}: {n} examples")
    tr.write_line(f"total: {sum(_COUNTER.counts.values())} examples "
                  f"(PKGCAD_HYPOTHESIS_EXAMPLES={BUILD_EXAMPLES}, "
                  f"PKGCAD_HYPOTHESIS_VALIDATION_EXAMPLES={VALIDATION_EXAMPLES})")


# ------------------------------------------------------------------------------- independent arithmetic
@dataclass(frozen=True)
class ZLevels:
    """Z levels [mm], bottom to top, added up BY HAND from a template's TOML (and the spec's documented default
    where the TOML is silent): written out below, so geometry is judged against numbers ``pkgcad.layout`` never
    computed."""

    carrier_top: float
    chip_bottom: float
    chip_top: float
    buffer_bottom: float | None
    buffer_top: float | None
    adhesive_bottom: float
    adhesive_top: float
    first_surface: float
    second_surface: float
    interface_top: float


def _z(carrier_top: float, chip_bottom: float, chip_top: float, adhesive_top: float, first_surface: float,
       second_surface: float, interface_top: float, buffer: tuple[float, float] | None = None) -> ZLevels:
    """The adhesive starts where the buffer pad ends, else on the chip."""
    return ZLevels(carrier_top, chip_bottom, chip_top, buffer[0] if buffer else None, buffer[1] if buffer else None,
                   buffer[1] if buffer else chip_top, adhesive_top, first_surface, second_surface, interface_top)


#: Every bundled template's z levels [mm], summed by hand, bottom up: carrier; die attach (wire bond; 0.025 the
#: default) or bumps (flip chip); chip; [buffer pad attach (0.02 default), buffer pad]; adhesive; [connecting
#: portion]: first surface; heat sink: second surface; interface layer.
TEMPLATE_Z: dict[str, ZLevels] = {
    # 0.203 lead frame + 0.025 die attach = 0.228; + 0.2 chip = 0.428; + 0.12 adhesive = 0.548; + 0.25 plate
    # = 0.798; + 0.003 layer = 0.801
    "qfn": _z(0.203, 0.228, 0.428, 0.548, 0.548, 0.798, 0.801),
    # 0.203 + 0.025 = 0.228; + 0.2 chip = 0.428; + 0.02 pad attach = 0.448; + 0.12 pad = 0.568; + 0.03 adhesive
    # = 0.598; + 0.25 plate = 0.848; + 0.002 layer = 0.850
    "qfn-buffer-pad": _z(0.203, 0.228, 0.428, 0.598, 0.598, 0.848, 0.850, buffer=(0.448, 0.568)),
    # 0.36 laminate + 0.025 die attach = 0.385; + 0.28 chip = 0.665; + 0.12 adhesive = 0.785; + 0.3 plate
    # = 1.085; + 0.005 layer = 1.090
    "wirebond-bga": _z(0.36, 0.385, 0.665, 0.785, 0.785, 1.085, 1.090),
    # 0.36 + 0.025 = 0.385; + 0.28 chip = 0.665; + 0.02 pad attach = 0.685; + 0.15 pad = 0.835; + 0.03 adhesive
    # = 0.865; + 0.3 plate = 1.165; + 0.005 layer = 1.170
    "buffer-pad": _z(0.36, 0.385, 0.665, 0.865, 0.865, 1.165, 1.170, buffer=(0.685, 0.835)),
    # 0.36 + 0.025 = 0.385; + 0.28 chip = 0.665; + 0.03 adhesive = 0.695; + 0.15 pedestal = 0.845; + 0.3 plate
    # = 1.145; + 0.003 layer = 1.148
    "connecting-portion": _z(0.36, 0.385, 0.665, 0.695, 0.845, 1.145, 1.148),
    # 0.36 + 0.09 bumps = 0.45; + 0.3 chip = 0.75; + 0.03 adhesive = 0.78; + 0.3 plate = 1.08; + 0.002 = 1.082
    "flipchip-bga": _z(0.36, 0.45, 0.75, 0.78, 0.78, 1.08, 1.082),
    # 0.36 + 0.11 bumps = 0.47; + 0.3 chip = 0.77; + 0.03 adhesive = 0.80; + 0.1 pedestal = 0.90; + 0.3 plate
    # = 1.20; + 0.01 layer = 1.21
    "textured-first-surface": _z(0.36, 0.47, 0.77, 0.80, 0.90, 1.20, 1.21),
    # 0.36 + 0.14 bumps = 0.50; + 0.3 chip = 0.80; + 0.02 pad attach = 0.82; + 0.2 pad = 1.02; + 0.03 adhesive
    # = 1.05; + 0.3 plate = 1.35; + 0.01 layer = 1.36
    "buffer-pad-uneven": _z(0.36, 0.50, 0.80, 1.05, 1.05, 1.35, 1.36, buffer=(0.82, 1.02)),
}


def adhesive_footprint(spec: PackageSpec) -> tuple[float, float]:
    """What the adhesive covers: its own size, else the pedestal, else the buffer pad, else the die (inside the
    pad ring when wire bonded)."""
    if spec.adhesive.size is not None:
        return spec.adhesive.size
    if spec.heat_sink.connecting_portion.enabled:
        return spec.heat_sink.connecting_portion.size
    if spec.buffer_pad.enabled:
        return spec.buffer_pad.size
    sx, sy = spec.chip.size
    if spec.chip.connection == "wirebond":
        ring = 2 * (spec.wires.pad_inset + spec.wires.diameter + spec.rules.min_gap)
        return (sx - ring, sy - ring)
    return (sx, sy)


def texture_recess(spec: PackageSpec) -> float:
    hs = spec.heat_sink
    return {"corrugated": hs.corrugated.depth, "uneven": hs.uneven.depth}.get(hs.first_surface, 0.0)
