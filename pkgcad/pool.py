"""The ONE process pool of pkgcad: ``build --all``'s builds, ``kicad``'s models and the tiled cut's tiles run
through :func:`run_jobs`. Why processes and why ``spawn``: docs/processes.md (OCP holds the GIL; OCCT's thread
pool does not survive a fork).

- **spawn**: every worker is a fresh interpreter that imports what it runs (about 2.4 CPU s for CadQuery/OCP, the
  price a caller weighs before asking for processes); a job and its result must pickle (return rows, paths or
  BinTools bytes, never OCCT shapes).
- **interrupt-aware** (:mod:`pkgcad.interrupts`): the workers start with SIGINT/SIGTERM blocked and decide for
  themselves (:func:`~pkgcad.interrupts.worker_init`: SIGINT ignored, SIGTERM removes the worker's temporaries and
  exits 143); on Ctrl-C / SIGTERM the parent ends its workers, then runs the caller's ``cleanup`` (which returns
  the outputs it knows were written), and exits 130/143 with one line.
- **no nesting inside a daemon**: a Dask worker (a sweep) is a daemonic process, which may not start children;
  :func:`can_spawn` says so before anyone tries, so the caller decides what to do instead (the tiled cut cuts its
  tiles in the worker itself: a sweep is already one process per core).
- A worker that dies (killed, out of memory) is a :class:`~pkgcad.errors.RunError` naming ``what``.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from . import interrupts
from .errors import InputError, RunError

J = TypeVar("J")
R = TypeVar("R")
MAX_JOBS = 64
"""Most processes ``--jobs`` may ask for."""


def check_jobs(jobs: int | None) -> None:
    """THE ``--jobs`` check (``build``, ``kicad``): None (the command's default) or 1 to :data:`MAX_JOBS`."""
    if jobs is not None and not 1 <= jobs <= MAX_JOBS:
        raise InputError("--jobs", jobs, f"allowed 1 to {MAX_JOBS}")


def cores() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def can_spawn() -> bool:
    """Whether this process may start worker processes: not inside a daemonic process (a Dask worker)."""
    return not multiprocessing.current_process().daemon


def _quiet_resource_tracker() -> None:
    """Start multiprocessing's resource tracker with its stderr on /dev/null. When this process ends on a signal
    (``os._exit``, see :mod:`pkgcad.interrupts`) or is killed, the tracker still removes the pool's semaphores,
    but would also print a ``UserWarning`` about them: the one-line promise of an interrupt must hold."""
    from multiprocessing import resource_tracker

    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(2)
    try:
        os.dup2(devnull, 2)
        resource_tracker.ensure_running()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _end_children() -> None:
    """Terminate this process's worker processes (they remove their own temporaries), killing what lingers."""
    children = multiprocessing.active_children()
    for child in children:
        child.terminate()
    for child in children:
        child.join(10)
        if child.is_alive():
            child.kill()
            child.join(5)


DEAD = "a worker process ended abruptly (out of memory? killed?); run it alone (--jobs 1) to see why"


def run_jobs(fn: Callable[[J], R], jobs: Sequence[J], processes: int, *, what: str, dead: str = DEAD,
             done: Callable[[int, R], None] | None = None,
             cleanup: Callable[[], list[str]] | None = None) -> list[R]:
    """``fn(job)`` for every job, results in the order of ``jobs``; ``done(index, result)`` hears each as it comes.

    In ``processes`` spawned worker processes (at most one a job); in this process, one job after the other, when
    that is 1 or less, or when this process may not start any (:func:`can_spawn`). ``fn`` must be a module-level
    function. ``cleanup``: run after the workers are ended by an interrupt; returns the outputs written.
    ``what`` and ``dead`` make the :class:`RunError` line of a worker that died."""
    n = min(processes, len(jobs))
    if n <= 1 or not can_spawn():
        out: list[R] = []
        for i, job in enumerate(jobs):
            out.append(fn(job))
            if done:
                done(i, out[-1])
        return out

    def stop() -> list[str]:
        _end_children()
        return cleanup() if cleanup else []

    results: dict[int, R] = {}
    with interrupts.on_interrupt(stop):
        # the workers start with SIGINT/SIGTERM blocked (interrupts.worker_init decides): a Ctrl-C meant for
        # this process group must not print a traceback from each worker's imports; the resource tracker keeps
        # them blocked, so it outlives this process and removes the pool's semaphores
        with interrupts.blocked():
            _quiet_resource_tracker()
            pool = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=interrupts.worker_init)
            futures = {pool.submit(fn, job): i for i, job in enumerate(jobs)}
        with pool:
            try:
                for fut in as_completed(futures):
                    i = futures[fut]
                    results[i] = fut.result()
                    if done:
                        done(i, results[i])
            except BrokenProcessPool:
                raise RunError(what, dead) from None
    return [results[i] for i in range(len(jobs))]
