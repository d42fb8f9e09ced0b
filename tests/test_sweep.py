"""`pkgcad sweep` on Dask: a real scheduler and two workers started as processes on localhost (`dask scheduler`,
`dask worker --nthreads 1`), a worker killed mid-sweep, an interrupted sweep resumed, the same table from the
local cluster, dry-run counts reasoned from the rules, and bad input (exit 2, one line, nothing written).

Sweeps run `pkgcad sweep` as a subprocess, like a user; the models are the small QFN at --quality draft.
Expected volumes come from the geometry: the heat sink and the interface layer are plates over the whole
5 x 5 mm body (volume 25 mm^2 x thickness), and the mold between carrier and heat sink does not depend on
either thickness.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import session_root, shared
from typer.testing import CliRunner

from pkgcad.cli import app
from pkgcad.sweep.results import read_table
from pkgcad.sweep.steps import load_spec
from pkgcad.sweep.variants import make_plan, refusals, spec_id

BIN = Path(sys.executable).parent
PKGCAD, DASK = str(BIN / "pkgcad"), str(BIN / "dask")
BODY_AREA = 5.0 * 5.0  # qfn carrier.size [mm]: heat sink and interface layer cover it whole
#: columns that differ between two runs of the same variant (timing, place)
RUN_COLUMNS = {"seconds", "cpu_s", "build_s", "check_s", "worker", "path"}


# --------------------------------------------------------------------------------------------- helpers
def sweep_cmd(out: Path, *args: str) -> list[str]:
    return [PKGCAD, "sweep", "qfn", "--quality", "draft", "-o", str(out), *args]


def run_sweep(out: Path, *args: str, timeout: float = 400) -> subprocess.CompletedProcess[str]:
    return subprocess.run(sweep_cmd(out, *args), capture_output=True, text=True, timeout=timeout)


def rows_of(out: Path) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in read_table(out / "results.parquet")}


def wait_for(what: str, test: Any, timeout: float, poll: float = 0.2) -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = test()
        if got:
            return got
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@contextmanager
def dask_cluster(tmp: Path, workers: int = 2, allowed_failures: int | None = None) -> Iterator[dict[str, Any]]:
    """`dask scheduler` and ``workers`` `dask worker --nthreads 1 --no-nanny` processes on localhost; stopped
    (every process) on exit. Yields the address, the worker processes by name and a client to watch them."""
    from distributed import Client

    env = dict(os.environ)
    if allowed_failures is not None:  # a task whose worker dies is failed at once, not retried elsewhere
        env["DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"] = str(allowed_failures)
    sfile = tmp / "scheduler.json"
    log = (tmp / "dask.log").open("w")
    procs: list[subprocess.Popen[Any]] = []
    client = None
    try:
        procs.append(subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                       "--dashboard-address", "127.0.0.1:0",
                                       "--scheduler-file", str(sfile)], stdout=log, stderr=log, env=env))
        wait_for("the scheduler file", sfile.is_file, 60)
        named = {}
        for i in range(workers):
            p = subprocess.Popen([DASK, "worker", "--scheduler-file", str(sfile), "--nthreads", "1", "--no-nanny",
                                  "--no-dashboard", "--dashboard-address", "127.0.0.1:0", "--host", "127.0.0.1",
                                  "--name", f"w{i}"],
                                 stdout=log, stderr=log, env=env)
            procs.append(p)
            named[f"w{i}"] = p
        client = Client(scheduler_file=str(sfile), timeout="30s")
        client.wait_for_workers(workers, timeout=120)
        yield {"address": client.scheduler.address, "workers": named, "client": client}
    finally:
        if client is not None:
            client.close()
        for p in reversed(procs):
            stop(p)
        log.close()


def canonical_id(parameters: dict[str, Any]) -> str:
    """A variant's id by the README's definition, independent of pkgcad.sweep."""
    text = json.dumps(parameters, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def assert_one_line_exit_2(result: Any, *words: str) -> str:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


# ------------------------------------------------------------------------------- real scheduler runs
GRID = ("--grid", "heat_sink.thickness=0.2,0.3", "--grid", "interface_layer.thickness=0.003,0.005")


def _done(res: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    return {"returncode": res.returncode, "stdout": res.stdout, "stderr": res.stderr}


def _kill_a_worker_mid_sweep(cluster: dict[str, Any], out: Path, grid: tuple[str, ...]) -> dict[str, Any]:
    """A sweep on the cluster; once the first variant has finished, SIGKILL a worker busy with another (it dies
    under its variant); the rows as the sweep left them; then the rerun on the one worker left."""
    proc = subprocess.Popen(sweep_cmd(out, *grid, "--scheduler", cluster["address"]), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        wait_for("the first finished variant", lambda: list((out / "rows").glob("*.json")), 300)
        client = cluster["client"]
        busy = wait_for("a busy worker", lambda: [a for a, keys in client.processing().items() if keys], 60)
        name = client.scheduler_info()["workers"][busy[0]]["name"]
        cluster["workers"][name].kill()  # SIGKILL: the worker dies under its variant
        stdout, stderr = proc.communicate(timeout=400)
    finally:
        stop(proc)
    rows = rows_of(out)
    mtimes = {vid: (out / vid / "manifest.json").stat().st_mtime_ns for vid, r in rows.items() if r["status"] == "ok"}
    folders = {vid: (out / vid).exists() for vid in rows}
    rerun = run_sweep(out, *grid, "--scheduler", cluster["address"])
    return {"killed": {"returncode": proc.returncode, "stdout": stdout, "stderr": stderr}, "rows": rows,
            "mtimes": mtimes, "folders": folders, "rerun": _done(rerun)}


@pytest.fixture(scope="session")
def real_cluster(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """ONE real Dask cluster (`dask scheduler` and two `dask worker --nthreads 1` processes; a task whose worker
    dies is failed at once, not retried) for every scenario that needs one, in order, once a session (every
    xdist worker reads what it recorded): the GRID sweep on it (and the same grid on a local cluster, for the
    comparison), then a sweep whose worker is killed mid-variant and its rerun on the worker left. Each test
    below asserts on its scenario's folders and recorded output."""
    root = session_root(tmp_path_factory) / "real-cluster"
    record = root.parent / "real-cluster.json"
    with shared(root.parent, "real-cluster") as (folder, first):
        if first:
            folder.mkdir(parents=True)
            got: dict[str, Any] = {}
            with dask_cluster(folder, allowed_failures=0) as cluster:
                got["grid"] = _done(run_sweep(folder / "dist", *GRID, "--scheduler", cluster["address"]))
                got["kill"] = _kill_a_worker_mid_sweep(cluster, folder / "sweep", KILL_GRID)
            got["local"] = _done(run_sweep(folder / "local", *GRID, "--workers", "2"))
            record.write_text(json.dumps(got))
    return {"folder": folder, **json.loads(record.read_text())}


@pytest.mark.slow
@pytest.mark.first  # the real cluster's runs (minutes) start with the other long runs
@pytest.mark.timeout(1800)
def test_grid_on_a_real_scheduler_matches_the_local_cluster(real_cluster: dict[str, Any]) -> None:
    tmp_path = real_cluster["folder"]
    res = real_cluster["grid"]
    assert res["returncode"] == 0, res["stderr"]
    assert "dask: 2 workers" in res["stderr"]
    assert "4 variants: 4 valid, 0 refused" in res["stdout"]
    rows = rows_of(tmp_path / "dist")
    assert len(rows) == 4
    combos = set()
    for vid, r in rows.items():
        t, til = r["heat_sink.thickness"], r["interface_layer.thickness"]
        combos.add((t, til))
        assert r["status"] == "ok" and r["error"] == "", r
        assert r["check_pass"] is True and r["check_failures"] == 0, r["check_failed"]
        assert r["volume_heat_sink_mm3"] == pytest.approx(BODY_AREA * t, rel=1e-9)
        assert r["volume_interface_layer_mm3"] == pytest.approx(BODY_AREA * til, rel=1e-9)
        assert r["claims"] == "1,2,3,7,8,11"
        folder = tmp_path / "dist" / vid
        assert r["path"] == str(folder.resolve())
        for f in ("manifest.json", "check.json", "qfn.step", "qfn.glb", "parts/heat_sink.stl"):
            assert (folder / f).is_file(), f
        written = json.loads((folder / "manifest.json").read_text())
        assert written["totals"]["volume_mm3"] == r["volume_mm3"]
        # the id is the README's: 12 hex digits of the SHA-256 of the resolved spec as canonical JSON, done here on
        # the parameters the variant's manifest holds (the swept values among them)
        params = written["parameters"]
        assert vid == canonical_id(params)
        assert (params["heat_sink"]["thickness"], params["interface_layer"]["thickness"]) == (t, til)
    assert combos == {(0.2, 0.003), (0.2, 0.005), (0.3, 0.003), (0.3, 0.005)}
    by = {(r["heat_sink.thickness"], r["interface_layer.thickness"]): r for r in rows.values()}
    # the mold does not depend on either plate; the totals differ by exactly the plates' volumes
    assert len({round(r["volume_encapsulant_mm3"], 9) for r in rows.values()}) == 1
    assert by[(0.3, 0.003)]["volume_mm3"] - by[(0.2, 0.003)]["volume_mm3"] == pytest.approx(BODY_AREA * 0.1)
    assert by[(0.2, 0.005)]["volume_mm3"] - by[(0.2, 0.003)]["volume_mm3"] == pytest.approx(BODY_AREA * 0.002)
    # the CSV holds the same rows; plots and the summary page exist and link every variant's folder
    csv = (tmp_path / "dist" / "results.csv").read_text().splitlines()
    assert len(csv) == 5 and csv[0].startswith('"id","status","heat_sink.thickness","interface_layer.thickness"')
    assert {p.name for p in (tmp_path / "dist" / "plots").iterdir()} == {"heat_sink.thickness.png",
                                                                         "interface_layer.thickness.png", ".pkgcad"}
    index = (tmp_path / "dist" / "index.html").read_text()
    for vid in rows:
        assert f"href='{vid}/'" in index and f"href='{vid}/check.json'" in index

    # the same sweep on a local cluster of two processes: the same rows, the same volumes
    local = real_cluster["local"]
    assert local["returncode"] == 0, local["stderr"]
    assert "dask: 2 workers, dashboard http" in local["stderr"]
    again = rows_of(tmp_path / "local")
    assert again.keys() == rows.keys()
    for vid, r in rows.items():
        a = {k: v for k, v in r.items() if k not in RUN_COLUMNS}
        b = {k: v for k, v in again[vid].items() if k not in RUN_COLUMNS}
        assert a == b


@pytest.mark.slow
def test_kicad_step_writes_each_variants_footprint(tmp_path: Path) -> None:
    """`--do build,kicad` on the local cluster: every variant gets its KiCad footprint and model, with one land
    per lead plus the exposed pad (qfn: 32 + 1, the lead count being what is swept)."""
    res = run_sweep(tmp_path / "k", "--grid", "leads.count=32", "--grid", "heat_sink.thickness=0.2,0.3", "--do",
                    "build,kicad", "--workers", "1", "--no-dashboard")
    assert res.returncode == 0, res.stderr
    rows = rows_of(tmp_path / "k")
    assert len(rows) == 2
    for vid, r in rows.items():
        assert r["status"] == "ok", r["error"]
        assert r["kicad_pads"] == 32 + 1 and r["kicad_footprint"].startswith("QFN-32-1EP_5x5mm_P0.5mm")
        pretty = tmp_path / "k" / vid / "kicad" / "pkgcad.pretty"
        assert (pretty / f"{r['kicad_footprint']}.kicad_mod").is_file()
        assert any((tmp_path / "k" / vid / "kicad" / "pkgcad.3dshapes").glob("*.step"))


KILL_GRID = ("--grid", "heat_sink.thickness=0.2,0.25,0.3")


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_a_killed_worker_is_recorded_and_the_rerun_resumes(real_cluster: dict[str, Any]) -> None:
    out = real_cluster["folder"] / "sweep"
    killed, rows = real_cluster["kill"]["killed"], real_cluster["kill"]["rows"]
    assert killed["returncode"] == 1, killed["stderr"]  # a variant failed
    assert len(rows) == 3
    dead = [r for r in rows.values() if r["status"] == "error"]
    ok = [r for r in rows.values() if r["status"] == "ok"]
    assert dead and len(dead) + len(ok) == 3, rows
    for r in dead:
        assert "worker died" in r["error"], r
        assert not real_cluster["kill"]["folders"][r["id"]]  # nothing half-written
    for r in ok:
        assert r["volume_heat_sink_mm3"] == pytest.approx(BODY_AREA * r["heat_sink.thickness"], rel=1e-9)
    before = real_cluster["kill"]["mtimes"]
    assert set(before) == {r["id"] for r in ok}

    # the rerun (one worker left) builds only the variants that died
    res = real_cluster["kill"]["rerun"]
    assert res["returncode"] == 0, res["stderr"]
    assert f"resuming: {len(ok)} variant" in res["stderr"]
    assert f"ran {len(dead)} (0 failed" in res["stdout"]
    rows = rows_of(out)
    assert all(r["status"] == "ok" and r["check_pass"] for r in rows.values()), rows
    assert {r["heat_sink.thickness"] for r in rows.values()} == {0.2, 0.25, 0.3}
    for vid, mtime in before.items():  # untouched
        assert (out / vid / "manifest.json").stat().st_mtime_ns == mtime


@pytest.mark.slow
def test_ctrl_c_keeps_finished_variants_and_the_rerun_resumes(tmp_path: Path) -> None:
    """Ctrl-C in a terminal reaches the whole process group: the CLI and its local cluster."""
    out = tmp_path / "sweep"
    grid = ("--grid", "heat_sink.thickness=0.2,0.25", "--workers", "1", "--no-dashboard")
    proc = subprocess.Popen(sweep_cmd(out, *grid), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        first = wait_for("the first finished variant", lambda: list((out / "rows").glob("*.json")), 300)
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, (stdout, stderr)
    assert "interrupted: the finished variants are kept" in stderr
    rows = rows_of(out)  # the table was compiled on the way out: every variant, finished or pending
    assert len(rows) == 2
    finished = {p.stem for p in first}
    assert {vid for vid, r in rows.items() if r["status"] == "ok"} >= finished
    assert {r["status"] for r in rows.values()} <= {"ok", "pending"}
    mtimes = {vid: (out / vid / "manifest.json").stat().st_mtime_ns for vid in finished}
    # a client that died right after a worker finished never wrote that row: the rerun adopts the variant's
    # own record (variant.json) instead of building it again
    lost = sorted(finished)[0]
    (out / "rows" / f"{lost}.json").unlink()

    # the second variant may finish as the signal lands (its worker completes it after the table was compiled):
    # what the rerun adopts is every variant folder holding its own record
    done = len(list(out.glob("*/variant.json")))
    res = run_sweep(out, *grid)
    assert res.returncode == 0, res.stderr
    if done == 2:
        assert "nothing to run: 2 variants already done" in res.stderr
    else:
        assert f"resuming: {done} variant" in res.stderr
    rows = rows_of(out)
    assert all(r["status"] == "ok" for r in rows.values()), rows
    for vid, mtime in mtimes.items():
        assert (out / vid / "manifest.json").stat().st_mtime_ns == mtime
    assert rows[lost]["volume_heat_sink_mm3"] == pytest.approx(BODY_AREA * rows[lost]["heat_sink.thickness"])
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [".pkgcad"], "stages left behind"


# ---------------------------------------------------------------------------------------------- --keep
def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


RECORDS = {"manifest.json", "check.json", "variant.json", ".pkgcad"}


@pytest.mark.slow
def test_keep_summary_keeps_every_figure_and_the_records_only(tmp_path: Path) -> None:
    """``--keep summary``: each variant's folder holds its JSON records only, its row every figure (the plates'
    volumes, exactly 25 mm^2 times their thickness) and what was written and kept; rerun with ``--keep all``,
    the pruned variants are built again (their model files were asked for), then a rerun has nothing to do."""
    out = tmp_path / "sweep"
    grid = ("--grid", "heat_sink.thickness=0.2,0.3", "--workers", "1", "--no-dashboard")
    res = run_sweep(out, *grid, "--keep", "summary")
    assert res.returncode == 0, res.stderr
    rows = rows_of(out)
    assert len(rows) == 2
    for vid, r in rows.items():
        assert r["status"] == "ok" and r["check_pass"] is True and r["kept"] == "summary"
        assert r["volume_heat_sink_mm3"] == pytest.approx(BODY_AREA * r["heat_sink.thickness"], rel=1e-9)
        assert _files(out / vid) == RECORDS
        kept = sum((out / vid / f).stat().st_size for f in RECORDS)
        assert r["kept_mb"] == pytest.approx(kept / 1e6, abs=2e-3)
        assert r["written_mb"] > 10 * r["kept_mb"]
    assert json.loads((out / "sweep.json").read_text())["keep"] == "summary"
    res = run_sweep(out, *grid)  # --keep all: the pruned variants again, with their files
    assert res.returncode == 0, res.stderr
    again = rows_of(out)
    for vid, r in again.items():
        assert r["kept"] == "all" and r["kept_mb"] == pytest.approx(r["written_mb"])
        assert {"qfn.step", "qfn.glb", "qfn.3mf", "parts/heat_sink.stl"} <= _files(out / vid)
        assert {k: v for k, v in r.items() if k not in RUN_COLUMNS | {"kept", "kept_mb"}} == \
            {k: v for k, v in rows[vid].items() if k not in RUN_COLUMNS | {"kept", "kept_mb"}}
    res = run_sweep(out, *grid, "--keep", "summary")  # kept all covers summary: nothing to run, nothing deleted
    assert res.returncode == 0 and "nothing to run: 2 variants already done" in res.stderr
    assert all("qfn.step" in _files(out / vid) for vid in again)


def _job(tmp_path: Path, keep: str) -> Any:
    from pkgcad.sweep.steps import StepOptions
    from pkgcad.sweep.task import Job

    return Job("0123456789ab", load_spec("qfn"), str(tmp_path / "0123456789ab"), ("build", "check"),
               StepOptions(quality="draft"), keep)


@pytest.mark.parametrize("fails", [True, False])
def test_keep_failed_keeps_the_files_of_a_failing_variant_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               fails: bool) -> None:
    """``--keep failed`` (one variant, in this process): a variant whose check fails keeps every file, one that
    passes its records only. The check is made to fail by stating so (no valid spec fails it)."""
    from dataclasses import replace

    from pkgcad.sweep import steps, task

    if fails:
        real = steps.STEPS["check"]
        failing = replace(real, run=lambda spec, folder, opts: replace(real.run(spec, folder, opts),
                                                                       failed=("claim 1: stated to fail",)))
        monkeypatch.setitem(steps.STEPS, "check", failing)
    row = task.run_variant(_job(tmp_path, "failed"))
    assert row["status"] == "ok", row["error"]
    folder = tmp_path / "0123456789ab"
    if fails:
        assert row["kept"] == "all" and {"qfn.step", "qfn.3mf", "parts/chip.stl"} <= _files(folder)
    else:
        assert row["kept"] == "summary" and _files(folder) == RECORDS
        assert row["check_pass"] is True and row["written_mb"] > row["kept_mb"] > 0


# ------------------------------------------------------------------------------------------- dry run
def test_dry_run_counts_what_the_rules_refuse(tmp_path: Path) -> None:
    """qfn: 5 x 5 mm body, leads 0.5 pitch 0.25 wide 0.4 long, saw margin 0.1, 32 wires. Expected by hand:
    heat_sink.thickness 0.05 breaks its field limit (> 0.05) whatever the leads: 4 variants. Of the other 8:
    30 leads are no multiple of 4 (2); 36 leads put 9 a side spanning 8 x 0.5 + 0.25 = 4.25 mm where
    5 - 2 x (0.4 + 0.1) = 4.0 mm is free (2); 28 leads are fewer than the 32 wires (2); 32 is the template (2)."""
    res = CliRunner().invoke(app, ["sweep", "qfn", "--grid", "leads.count=28,30,32,36", "--grid",
                                   "heat_sink.thickness=0.05,0.2,0.3", "--dry-run", "-o", str(tmp_path / "x")])
    assert res.exit_code == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "qfn: 12 variants: 2 valid, 10 refused by the rules"
    assert "4 refused by heat_sink.thickness, e.g. heat_sink.thickness = 0.05" in lines[1]
    body = "\n".join(lines[1:])
    assert "2 refused by leads.count, e.g. leads.count = 30: must be a multiple of 4" in body
    assert "2 refused by leads.count, e.g. leads.count = 36: 9 leads a side at pitch 0.5 span 4.25 mm" in body
    assert "2 refused by wires.count, e.g. wires.count = 32: a QFN wires each pad to a lead" in body
    assert len(lines) == 5
    assert not (tmp_path / "x").exists()  # validation only: nothing written

    plan = make_plan("qfn", grids=("leads.count=28,30,32,36", "heat_sink.thickness=0.05,0.2,0.3"))
    assert [(v.params["leads.count"], v.params["heat_sink.thickness"]) for v in plan.valid] == [(32, 0.2), (32, 0.3)]
    assert sorted(n for n, _, _ in refusals(plan)) == [2, 2, 2, 4]


def test_random_draws_are_reproducible_and_in_range() -> None:
    ranges = ("heat_sink.thickness=0.2:0.4", "leads.count=20:40", "chip.size=2.0:2.6")
    a = make_plan("qfn", random_n=40, ranges=ranges, seed=7)
    b = make_plan("qfn", random_n=40, ranges=ranges, seed=7)
    c = make_plan("qfn", random_n=40, ranges=ranges, seed=8)
    assert [v.id for v in a.variants] == [v.id for v in b.variants]
    assert [v.id for v in a.variants] != [v.id for v in c.variants]
    assert len(a.variants) + a.duplicates == 40
    for v in a.variants:
        t, n, size = v.params["heat_sink.thickness"], v.params["leads.count"], v.params["chip.size"]
        assert 0.2 <= t <= 0.4 and isinstance(n, int) and 20 <= n <= 40
        assert size[0] == size[1] and 2.0 <= size[0] <= 2.6
        if v.spec is not None:
            assert v.spec.heat_sink.thickness == t and v.spec.leads.count == n and v.spec.chip.size == tuple(size)
        else:  # refused: exactly the leads rule reasoned in test_dry_run_counts_what_the_rules_refuse
            assert v.error is not None and v.error.key in ("leads.count", "wires.count"), v.error


def test_variant_id_is_the_resolved_spec() -> None:
    same = [load_spec("qfn", ["heat_sink.thickness=1"]), load_spec("qfn", ["heat_sink.thickness=1.0"]),
            load_spec("qfn", ["chip.thickness=0.2", "heat_sink.thickness=1"])]  # 0.2 is the template's value
    assert len({spec_id(s) for s in same}) == 1
    assert spec_id(load_spec("qfn", ["heat_sink.thickness=1.001"])) != spec_id(same[0])
    # the README's definition, done here: 12 hex digits of the SHA-256 of the resolved spec as canonical JSON
    assert spec_id(same[0]) == canonical_id(same[0].model_dump(mode="json"))
    plan = make_plan("qfn", grids=("heat_sink.thickness=0.3,0.30,0.4",))
    assert len(plan.variants) == 2 and plan.duplicates == 1


# ----------------------------------------------------------------------------------------- bad input
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(("args", "words"), [
    (["--grid", "chip.sise=1,2"], ["--grid", "unknown key 'chip.sise'", "chip has: size, thickness"]),
    (["--grid", "heat_sink=1"], ["heat_sink is a table", "thickness"]),
    (["--grid", "heat_sink.thickness="], ["no values for heat_sink.thickness"]),
    (["--grid", "heat_sink.thickness=0.2,,0.3"], ["an empty value"]),
    (["--grid", "heat_sink.thickness"], ["expected KEY="]),
    ([], ["give at least one --grid"]),
    (["--random", "5", "--range", "heat_sink.thickness=0.5:0.2"], ["--range", "LO must be less than HI"]),
    (["--random", "5", "--range", "heat_sink.thickness=a:b"], ["--range", "two numbers"]),
    (["--random", "5", "--range", "heat_sink.material=0:1"], ["not a number", "--grid heat_sink.material"]),
    (["--random", "5", "--range", "leads.count=20.5:40"], ["whole number"]),
    (["--random", "5"], ["needs at least one --range"]),
    (["--range", "heat_sink.thickness=0.2:0.3"], ["needs --random N"]),
    (["--random", "0", "--range", "heat_sink.thickness=0.2:0.3"], ["--random", "at least 1"]),
    (["--grid", "a.b=1", "--random", "2"], ["not both"]),
    (["--grid", "heat_sink.thickness=0.2", "--do", "build,mesh"], ["unknown step 'mesh'"]),
    (["--grid", "heat_sink.thickness=0.2", "--workers", "0"], ["--workers", "allowed 1 to"]),
    (["--grid", "heat_sink.thickness=0.2", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], ["not both"]),
    (["--grid", "heat_sink.thickness=0.2", "--scheduler", "somewhere"], ["--scheduler", "tcp://"]),
    (["--grid", "heat_sink.thickness=0.2", "--quality", "best"], ["--quality", "draft | normal | fine"]),
    (["--grid", "heat_sink.thickness=0.2", "--keep", "some"], ["--keep", "all | summary | failed"]),
    (["--grid", "leads.count=" + ",".join(str(4 * i) for i in range(400)), "--grid",
      "heat_sink.thickness=" + ",".join(f"0.{i + 10}" for i in range(300))],
     ["--grid variants = 120000: at most 100,000"]),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], words: list[str]) -> None:
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["sweep", "qfn", "-o", str(out), *args])
    assert_one_line_exit_2(res, *words)
    assert not out.exists()


def test_a_foreign_folder_is_refused_and_left_alone(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    res = CliRunner().invoke(app, ["sweep", "qfn", "--grid", "heat_sink.thickness=0.2", "-o", str(mine)])
    assert_one_line_exit_2(res, "-o", "not empty and is not a pkgcad sweep folder (no .pkgcad stamp")
    assert [p.name for p in mine.iterdir()] == ["thesis.tex"] and (mine / "thesis.tex").read_text() == "precious"
    afile = tmp_path / "a-file"
    afile.write_text("x")
    res = CliRunner().invoke(app, ["sweep", "qfn", "--grid", "heat_sink.thickness=0.2", "-o", str(afile)])
    assert_one_line_exit_2(res, "is a file")


#: a grid whose every variant the rules refuse (36 leads do not fit the 5 mm QFN, see the dry-run test): the sweep
#: claims, stamps and compiles its folder in seconds, nothing is built
REFUSED_ONLY = ["sweep", "qfn", "--grid", "leads.count=36", "--no-dashboard", "-o"]


def test_the_sweep_folder_carries_the_one_stamp_and_only_a_sweep_folder_is_resumed(tmp_path: Path) -> None:
    """The sweep marks its folder with the stamp every pkgcad output carries (``.pkgcad``, command ``sweep``);
    ``sweep.json`` is the definition. A folder pkgcad's sweep wrote is resumed; a user's folder holding a
    ``sweep.json`` made by hand, another command's output and a folder with a user's file beside an old-style
    marker are refused and left as they were; a sweep folder of the version before the stamp (``sweep.json`` was
    the marker) is resumed and stamped."""
    out = tmp_path / "sweep"
    res = CliRunner().invoke(app, [*REFUSED_ONLY, str(out)])
    assert res.exit_code == 0, (res.stdout, res.stderr)
    stamp = json.loads((out / ".pkgcad").read_text())
    assert stamp["tool"] == "pkgcad" and stamp["command"] == "sweep"
    definition = json.loads((out / "sweep.json").read_text())
    assert definition["template"].endswith("qfn.toml") and definition["keys"] == ["leads.count"]
    res = CliRunner().invoke(app, [*REFUSED_ONLY, str(out)])  # pkgcad's own sweep folder: resumed
    assert res.exit_code == 0, (res.stdout, res.stderr)

    def refused(files: dict[str, str], *words: str) -> None:
        mine = tmp_path / f"mine-{len(list(tmp_path.iterdir()))}"
        mine.mkdir()
        for name, text in files.items():
            (mine / name).write_text(text)
        res = CliRunner().invoke(app, [*REFUSED_ONLY, str(mine)])
        assert_one_line_exit_2(res, "-o", *words)
        assert {p.name: p.read_text() for p in mine.iterdir()} == files  # untouched

    no_sweep = "is not a pkgcad sweep folder (no .pkgcad stamp of `pkgcad sweep`)"
    refused({"sweep.json": '{"runs": [0.2, 0.3], "note": "my own sweep"}'}, no_sweep)
    old_marker = '{"tool": "pkgcad", "kind": "sweep", "version": "0.1.0", "template": "qfn.toml"}'
    refused({"sweep.json": old_marker, "thesis.tex": "precious"}, no_sweep)
    refused({".pkgcad": '{"tool": "pkgcad", "command": "build", "files": {"qfn.step": 5}}', "qfn.step": "STEP;"},
            "holds the output of `pkgcad build`, not of `pkgcad sweep`")

    legacy = tmp_path / "legacy"
    (legacy / "rows").mkdir(parents=True)
    (legacy / "sweep.json").write_text(old_marker)
    (legacy / "results.csv").write_text("id\n")
    (legacy / "0123456789ab").mkdir()
    res = CliRunner().invoke(app, [*REFUSED_ONLY, str(legacy)])
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert json.loads((legacy / ".pkgcad").read_text())["command"] == "sweep"
    assert json.loads((legacy / "sweep.json").read_text())["keys"] == ["leads.count"]


def test_an_unreachable_scheduler_is_exit_2_within_10_s(tmp_path: Path) -> None:
    """Timed in-process: the sweep's own giving up (dask alone would wait 30 s); the CLI's start-up (imports,
    a few seconds, more on a loaded machine) is the same for every command."""
    address = f"tcp://127.0.0.1:{_free_port()}"  # nothing listens there
    t0 = time.monotonic()
    res = CliRunner().invoke(app, ["sweep", "qfn", "-o", str(tmp_path / "out"), "--grid", "heat_sink.thickness=0.2",
                                   "--scheduler", address])
    seconds = time.monotonic() - t0
    line = assert_one_line_exit_2(res, f"--scheduler = '{address}': cannot connect", "dask scheduler")
    assert seconds < 10, (seconds, line)
    assert not (tmp_path / "out").exists()


def test_a_base_that_only_the_swept_values_make_valid_is_a_sweep() -> None:
    """36 leads do not fit the 5 mm body (see the dry-run test); on 6 mm they do: 9 a side span 4.25 mm of the
    6 - 2 x 0.5 = 5.0 mm free."""
    plan = make_plan("qfn", sets=("leads.count=36",), grids=("carrier.size=[5.0,5.0],[6.0,6.0]",))
    assert [v.params["carrier.size"] for v in plan.valid] == [[6.0, 6.0]]
    assert [v.error.key for v in plan.invalid if v.error] == ["leads.count"]


def test_an_unreadable_template_is_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[carrier\n")
    res = CliRunner().invoke(app, ["sweep", str(bad), "--grid", "heat_sink.thickness=0.2", "--dry-run"])
    assert_one_line_exit_2(res, "template", "malformed TOML")


def test_sigterm_is_exit_143(monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGTERM unwinds a sweep like Ctrl-C (the same finally blocks compile the table) and exits 143."""
    def terminated_mid_sweep(*args: Any, **kwargs: Any) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises before this ends
        raise AssertionError("SIGTERM did not interrupt the sweep")

    monkeypatch.setattr("pkgcad.sweep.run_sweep", terminated_mid_sweep)
    previous = signal.getsignal(signal.SIGTERM)
    res = CliRunner().invoke(app, ["sweep", "qfn", "--grid", "heat_sink.thickness=0.2"])
    assert res.exit_code == 143, (res.stdout, res.stderr, res.exception)
    assert "terminated: the finished variants are kept" in res.stderr
    assert signal.getsignal(signal.SIGTERM) == previous  # the CLI's handler is gone again
