"""pkgcad's one process pool (``pkgcad.pool``): spawned workers, results in order, this process when it may not
start workers (a Dask worker is a daemon), and the tiled cut that decides so explicitly instead of falling back
to the slow single cut (issue 20, item 6)."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import cadquery as cq
import pytest

from pkgcad import pool

HERE = Path(__file__).resolve().parent


def _pid_and(job: int) -> tuple[int, int]:
    return os.getpid(), job * job


def _die(job: int) -> int:
    os._exit(3)


def test_jobs_run_in_spawned_workers_and_come_back_in_order() -> None:
    heard: list[int] = []
    out = pool.run_jobs(_pid_and, [3, 1, 2], 2, what="squares", done=lambda i, _r: heard.append(i))
    assert [sq for _pid, sq in out] == [9, 1, 4]
    assert os.getpid() not in {pid for pid, _sq in out}
    assert sorted(heard) == [0, 1, 2]


def test_one_process_means_this_one() -> None:
    out = pool.run_jobs(_pid_and, [5, 6], 1, what="squares")
    assert out == [(os.getpid(), 25), (os.getpid(), 36)]


DIE = """
from pkgcad import pool
from pkgcad.errors import RunError
from test_pool import _die
try:
    pool.run_jobs(_die, [1, 2], 2, what="the test jobs")
except RunError as exc:
    print(exc)
"""


def test_a_worker_that_dies_is_one_run_error_naming_what() -> None:
    """In a process of its own: a pool whose worker dies must not share the test runner's process (under xdist a
    worker of the suite went down with it once, on a loaded CI machine)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(HERE.parent)])}
    res = subprocess.run([sys.executable, "-c", DIE], capture_output=True, text=True, timeout=300, env=env)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.startswith("the test jobs: a worker process ended abruptly"), res.stdout


def _in_a_daemon(target: Any, queue: Any) -> None:
    queue.put(target())


def _daemon(target: Any) -> Any:
    """``target()`` run in a daemonic process (as a Dask worker is), its result."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_in_a_daemon, args=(target, queue), daemon=True)
    proc.start()
    try:
        return queue.get(timeout=600)
    finally:
        proc.join(30)


def _pids_in_daemon() -> tuple[int, bool, list[int]]:
    out = pool.run_jobs(_pid_and, [1, 2, 3], 2, what="squares")
    return os.getpid(), pool.can_spawn(), [pid for pid, _sq in out]


def test_inside_a_daemon_the_jobs_run_in_it() -> None:
    me, can, pids = _daemon(_pids_in_daemon)
    assert not can and pids == [me, me, me]


def _tiled_cut_in_daemon() -> tuple[int, int, float]:
    from pkgcad.geometry.tiles import tiled_cut

    # a 10 x 10 x 1 mm block minus a 20 x 20 grid of 0.2 mm cubes: enough tools to tile (MIN_TOOLS = 150)
    block = cq.Solid.makeBox(10, 10, 1)
    cube = cq.Solid.makeBox(0.2, 0.2, 0.5, pnt=cq.Vector(0, 0, 0.25))
    tools = [cube.moved(cq.Location(cq.Vector(0.25 + 0.5 * i, 0.25 + 0.5 * j, 0)))
             for i in range(20) for j in range(20)]
    cut = tiled_cut(block, tools, "test block", workers=2)  # asks for 2 processes: refused in a daemon
    return cut.tiles, cut.cuts, sum(s.Volume() for s in cut.pieces())


def test_a_tiled_cut_inside_a_daemon_is_cut_tile_by_tile_not_in_one_piece() -> None:
    """Inside a Dask worker the tiles are cut in the worker; they used to fall back to the plain single cut
    (a fork refused in a daemon, caught by ``except Exception``): one tile."""
    tiles, cuts, volume = _daemon(_tiled_cut_in_daemon)
    assert tiles > 1 and cuts < tiles  # tiled, congruent tiles cut once
    assert volume == pytest.approx(10 * 10 * 1 - 400 * 0.2 * 0.2 * 0.5, rel=1e-9)
