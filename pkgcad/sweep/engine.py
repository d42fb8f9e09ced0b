"""The distributed engine: a dask.distributed Client on a local process cluster (one thread per worker) or on a
running scheduler, and the loop that submits one task per variant and hands back each result as it lands.

Dask is imported here only, lazily: the CLI and ``--dry-run`` start without it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import struct
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError

if TYPE_CHECKING:
    from distributed import Client

#: Seconds to reach a scheduler before ``--scheduler`` counts as unreachable (exit 2 well within 10 s).
CONNECT_TIMEOUT_S = 5
#: Seconds a peer has to send its Dask handshake once connected (a Dask server speaks first, at once).
HANDSHAKE_TIMEOUT_S = 4
#: Largest handshake accepted (a real one is about 100 bytes): a peer's length prefix is never trusted further.
MAX_HANDSHAKE_BYTES = 1 << 16


def _quiet() -> None:
    """Dask logs every worker start and stop at INFO on stderr; a sweep shows its own progress instead."""
    for name in ("distributed", "distributed.scheduler", "distributed.nanny", "distributed.worker",
                 "distributed.core", "distributed.http.proxy", "bokeh", "tornado"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _check_address(scheduler: str) -> dict[str, Any]:
    """``tcp://HOST:PORT`` (any dask protocol) or the JSON file that ``dask scheduler --scheduler-file`` wrote; a
    tcp:// address must answer with a Dask handshake (:func:`_handshake`)."""
    if "://" in scheduler:
        _reachable(scheduler)
        _handshake(scheduler, scheduler)
        return {"address": scheduler}
    if scheduler.endswith(".json"):
        if not Path(scheduler).is_file():
            raise InputError("--scheduler", scheduler, "no such scheduler file (written by dask scheduler "
                            "--scheduler-file FILE)")
        address = _file_address(scheduler)
        _reachable(address, scheduler)
        _handshake(address, scheduler)
        return {"scheduler_file": scheduler}
    raise InputError("--scheduler", scheduler, "give the scheduler's address, e.g. tcp://10.0.0.5:8786, or the "
                    "JSON file of dask scheduler --scheduler-file")


def _file_address(path: str) -> str:
    """The ``address`` a scheduler file holds, or one :class:`InputError` line."""
    try:
        with open(path, "rb") as fh:
            data = json.loads(fh.read(MAX_HANDSHAKE_BYTES))
        address = data["address"]
        if not isinstance(address, str):
            raise TypeError
    except (OSError, ValueError, KeyError, TypeError):
        raise InputError("--scheduler", path, "is not a scheduler file (a JSON object with the scheduler's "
                         "\"address\", as dask scheduler --scheduler-file writes it)") from None
    return address


def _host_port(address: str) -> tuple[str, str, int] | None:
    proto, _, rest = address.partition("://")
    host, _, port = rest.rpartition(":")
    if proto not in ("tcp", "tls") or not port.isdigit():
        return None  # other protocols: dask itself says
    return proto, host.strip("[]") or "127.0.0.1", int(port)


def _reachable(address: str, given: str | None = None) -> None:
    """Fail fast (before importing dask) when nothing listens at a tcp:// address."""
    where = _host_port(address)
    if where is None:
        return
    try:
        socket.create_connection(where[1:], timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise InputError("--scheduler", given or address, f"cannot connect to {address} ({why}); start one with "
                         "`dask scheduler` and `dask worker ADDRESS`, or leave --scheduler out for a local "
                         "cluster") from None


def _handshake(address: str, given: str) -> None:
    """Refuse, within :data:`HANDSHAKE_TIMEOUT_S` (plus a short HTTP probe), an endpoint that is not a Dask server:
    on connecting, a Dask server sends its handshake at once (an 8-byte length, then msgpack frames holding a
    table with its compression and pickle settings). The peer's length is judged before anything is read for
    it, so garbage never sizes an allocation; what answered instead is named (nothing, an HTTP server, bytes)."""
    where = _host_port(address)
    if where is None or where[0] != "tcp":
        return  # tls: the TLS handshake comes first; dask's own timeout judges it
    fix = ("point --scheduler at a `dask scheduler` (its tcp:// address, port 8786 by default), or leave it out "
           "for a local cluster")
    with socket.create_connection(where[1:], timeout=CONNECT_TIMEOUT_S) as sock:
        head = _recv(sock, 8, HANDSHAKE_TIMEOUT_S)
        if len(head) < 8:
            answer = _http_probe(sock, where[1]) if not head else f"{len(head)} bytes ({head[:16]!r}) and no more"
            raise InputError("--scheduler", given, f"{address} is not a Dask scheduler: it answered {answer} where "
                             f"a Dask server sends its handshake at once", fix)
        (size,) = struct.unpack("<Q", head)
        if not 8 < size <= MAX_HANDSHAKE_BYTES:
            raise InputError("--scheduler", given, f"{address} is not a Dask scheduler: it answered {_bytes(head)}, "
                             f"not a Dask handshake (it would announce a message of {size:,} bytes)", fix)
        body = _recv(sock, size, HANDSHAKE_TIMEOUT_S)
    if not _is_handshake(body):
        raise InputError("--scheduler", given, f"{address} is not a Dask scheduler: it answered {_bytes(head + body)}, "
                         "which is not a Dask handshake", fix)


def _recv(sock: socket.socket, n: int, timeout: float) -> bytes:
    """Up to ``n`` bytes, whatever arrives within ``timeout`` seconds in all."""
    end = time.monotonic() + timeout
    out = b""
    while len(out) < n:
        left = end - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(n - len(out))
        except OSError:  # a timeout included
            break
        if not chunk:
            break
        out += chunk
    return out


def _http_probe(sock: socket.socket, host: str) -> str:
    """What a silent peer is: ask it an HTTP question; an HTTP server names itself by its status line."""
    try:
        sock.sendall(f"HEAD / HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
    except OSError:
        return f"nothing within {HANDSHAKE_TIMEOUT_S} s"
    reply = _recv(sock, 256, 2.0)
    if reply.startswith(b"HTTP/"):
        status = reply.split(b"\r\n", 1)[0].decode("latin-1")[:60]
        return f"nothing within {HANDSHAKE_TIMEOUT_S} s, and HTTP when asked (\"{status}\": an HTTP server)"
    if reply:
        return f"nothing within {HANDSHAKE_TIMEOUT_S} s, then {_bytes(reply)} to an HTTP request"
    return f"nothing within {HANDSHAKE_TIMEOUT_S} s"


def _bytes(data: bytes) -> str:
    text = data[:24]
    return f"{len(data)} bytes starting {text!r}" if len(data) > len(text) else f"{text!r}"


def _is_handshake(body: bytes) -> bool:
    """Whether ``body`` (after the length prefix) is a Dask handshake: frames whose message is a table."""
    try:
        from distributed.protocol.core import loads
        from distributed.protocol.utils import unpack_frames

        frames = unpack_frames(body)
        if not frames or len(frames) > 64:
            return False
        msg = loads(frames, deserialize=False)
    except Exception:  # any failure to decode is the answer: not a handshake
        return False
    return isinstance(msg, dict) and "compression" in msg


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
