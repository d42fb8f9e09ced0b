"""The distributed engine: a dask.distributed Client on a local process cluster (one thread per worker) or on a
running scheduler, and the loop that submits one task per variant and hands back each result as it lands.

Dask is imported here only, lazily: the CLI and ``--dry-run`` start without it.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .steps import InputError

if TYPE_CHECKING:
    from distributed import Client

#: Seconds to reach a scheduler before ``--scheduler`` counts as unreachable (exit 2 well within 10 s).
CONNECT_TIMEOUT_S = 5


def _quiet() -> None:
    """Dask logs every worker start and stop at INFO on stderr; a sweep shows its own progress instead."""
    for name in ("distributed", "distributed.scheduler", "distributed.nanny", "distributed.worker",
                 "distributed.core", "distributed.http.proxy", "bokeh", "tornado"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _check_address(scheduler: str) -> dict[str, Any]:
    """``tcp://HOST:PORT`` (any dask protocol) or the JSON file that ``dask scheduler --scheduler-file`` wrote."""
    if "://" in scheduler:
        _reachable(scheduler)
        return {"address": scheduler}
    if scheduler.endswith(".json"):
        if not Path(scheduler).is_file():
            raise InputError("--scheduler", scheduler, "no such scheduler file (written by dask scheduler "
                            "--scheduler-file FILE)")
        return {"scheduler_file": scheduler}
    raise InputError("--scheduler", scheduler, "give the scheduler's address, e.g. tcp://10.0.0.5:8786, or the "
                    "JSON file of dask scheduler --scheduler-file")


def _reachable(address: str) -> None:
    """Fail fast (before importing dask) when nothing listens at a tcp:// address."""
    proto, _, rest = address.partition("://")
    host, _, port = rest.rpartition(":")
    if proto not in ("tcp", "tls") or not port.isdigit():
        return  # other protocols: dask itself says
    try:
        socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise InputError("--scheduler", address, f"cannot connect ({exc.strerror or type(exc).__name__}); start one "
                        "with `dask scheduler` and `dask worker ADDRESS`, or leave --scheduler out for a local "
                        "cluster") from None


@contextmanager
def connect(workers: int, scheduler: str | None = None, dashboard: str | None = ":8787") -> Iterator[Client]:
    """A Client on ``scheduler`` (raises :class:`InputError` when unreachable within CONNECT_TIMEOUT_S), or on
    a new local cluster of ``workers`` processes with one thread each; closed (cluster too) on exit."""
    target = _check_address(scheduler) if scheduler else None
    _quiet()
    from distributed import Client, LocalCluster

    cluster = None
    if target is not None:
        try:
            client = Client(**target, timeout=f"{CONNECT_TIMEOUT_S}s")
        except Exception as exc:
            text = " ".join(str(exc).split()) or type(exc).__name__
            raise InputError("--scheduler", scheduler, f"cannot connect ({text}); start one with `dask scheduler` "
                            "and `dask worker ADDRESS`, or leave --scheduler out for a local cluster") from None
    else:
        with warnings.catch_warnings():  # "port 8787 is in use, using another": the link printed says which
            warnings.simplefilter("ignore")
            # no dashboard: the scheduler still serves /health over HTTP, on any free port rather than 8787
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=dashboard or ":0", silence_logs=logging.ERROR,
                                   scheduler_kwargs={"dashboard": dashboard is not None})
        client = Client(cluster)
    try:
        from .warmup import KernelSetup

        try:
            client.register_plugin(KernelSetup(local=cluster is not None))
        except Exception as exc:  # e.g. a worker without pkgcad (or another version) cannot unpickle it
            text = " ".join(str(exc).split()) or type(exc).__name__
            raise InputError("--scheduler", scheduler, f"the workers cannot run pkgcad ({type(exc).__name__}: "
                            f"{text}); install this pkgcad on every worker") from None
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def worker_count(client: Client) -> int:
    return len(client.scheduler_info().get("workers", {}))


def dashboard_link(client: Client, local_dashboard: str | None) -> str:
    """The dashboard's address: our local cluster's when it serves one; a running scheduler's as dask reports
    it (``dask scheduler --no-dashboard`` still answers there, without the pages)."""
    if client.cluster is not None and local_dashboard is None:
        return ""
    try:
        return str(client.dashboard_link or "")
    except Exception:
        return ""


def died(exc: BaseException) -> str:
    """The one-line error of a task that did not return: most often its worker died under it."""
    name = type(exc).__name__
    if name == "KilledWorker":
        return ("worker died while running this variant (killed, out of memory or crashed); rerun the sweep to "
                "retry it")
    return f"task lost: {name}: {' '.join(str(exc).split())}"


def run_tasks(client: Client, fn: Callable[[Any], dict[str, Any]], jobs: Sequence[Any], name: Callable[[Any], str],
              on_done: Callable[[Any, dict[str, Any] | None, BaseException | None], None]) -> None:
    """Submit ``fn(job)`` for every job as one task and call ``on_done(job, result, None)`` or
    ``on_done(job, None, exception)`` as each finishes, in completion order. On an interrupt the tasks not
    yet finished are cancelled before the interrupt goes on."""
    from distributed import as_completed

    run = uuid.uuid4().hex[:6]  # keys are global on a shared scheduler: never collide with another sweep's
    futures = {client.submit(fn, job, key=f"{name(job)}-{run}", pure=False): job for job in jobs}
    try:
        for fut in as_completed(list(futures)):
            job = futures.pop(fut)
            if fut.status == "finished":
                on_done(job, fut.result(), None)
            else:
                try:
                    exc = fut.exception()
                except (Exception, asyncio.CancelledError) as lost:  # cancelled under us (the scheduler went away)
                    exc = lost
                on_done(job, None, exc)
            fut.release()
    finally:
        if futures:
            client.cancel(list(futures))
