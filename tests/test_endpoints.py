"""Issue 19 section 2: ``--scheduler`` pointing at something that is not a Dask scheduler.

Real servers on loopback, started here: an HTTP server (the sweep waited forever: Dask's handshake read has no
timeout), a server that answers random bytes (their first 8 bytes, read as a message length, became "Unable to
allocate 3.07 EiB"), a server that accepts and says nothing, a scheduler file naming an HTTP server. Each must end
in exit 2 within about 10 s with ONE line naming the address and what answered, nothing written. A real Dask
scheduler still passes the probe (tests/test_sweep.py runs sweeps on one).
"""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

GARBAGE = bytes.fromhex("9f3c77a1e04b5d2266aa01ff") * 40  # its first 8 bytes read as a length: ~2.3e19


@contextmanager
def _server(handle: Callable[[socket.socket], None]) -> Iterator[int]:
    """A TCP server on 127.0.0.1 calling ``handle`` on each connection (in a thread); yields its port."""
    srv = socket.create_server(("127.0.0.1", 0))
    srv.settimeout(0.2)
    stop = threading.Event()
    conns: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            conns.append(conn)
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield srv.getsockname()[1]
    finally:
        stop.set()
        t.join(2)
        for c in conns:
            c.close()
        srv.close()


def _garbage(conn: socket.socket) -> None:
    try:
        conn.sendall(GARBAGE)
        time.sleep(30)
    except OSError:
        pass


def _silent(conn: socket.socket) -> None:
    time.sleep(30)  # accepts, reads nothing, says nothing


@contextmanager
def _http() -> Iterator[int]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield srv.server_address[1]
    finally:
        srv.shutdown()
        srv.server_close()


def _sweep(tmp_path: Path, scheduler: str) -> tuple[subprocess.CompletedProcess[str], float]:
    t0 = time.monotonic()
    res = subprocess.run([sys.executable, "-m", "pkgcad", "sweep", "qfn", "--grid", "heat_sink.thickness=0.2",
                          "--scheduler", scheduler, "-o", str(tmp_path / "sw")], capture_output=True, text=True,
                         timeout=60, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    return res, time.monotonic() - t0


def _refused(res: subprocess.CompletedProcess[str], took: float, *words: str) -> str:
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 2, (res.returncode, res.stderr[-2000:])
    assert len(lines) == 1 and lines[0].startswith("error: --scheduler"), res.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert "allocate" not in lines[0] and "Traceback" not in res.stderr
    assert took < 10 + 5, f"{took:.1f} s"  # the probe's bound is under 10 s; a Python start-up on top
    return lines[0]


def test_an_http_server_is_not_a_scheduler(tmp_path: Path) -> None:
    with _http() as port:
        address = f"tcp://127.0.0.1:{port}"
        res, took = _sweep(tmp_path, address)
    _refused(res, took, address, "not a Dask scheduler", "HTTP/1.0", "an HTTP server")
    assert not (tmp_path / "sw").exists()


def test_random_bytes_never_size_an_allocation(tmp_path: Path) -> None:
    with _server(_garbage) as port:
        address = f"tcp://127.0.0.1:{port}"
        res, took = _sweep(tmp_path, address)
    _refused(res, took, address, "not a Dask scheduler", "x9f<w", "not a Dask handshake", "would announce")
    assert not (tmp_path / "sw").exists()


def test_a_silent_peer_is_refused_in_bounded_time(tmp_path: Path) -> None:
    with _server(_silent) as port:
        address = f"tcp://127.0.0.1:{port}"
        res, took = _sweep(tmp_path, address)
    _refused(res, took, address, "not a Dask scheduler", "nothing within")


def test_a_scheduler_file_naming_an_http_server(tmp_path: Path) -> None:
    with _http() as port:
        sfile = tmp_path / "scheduler.json"
        sfile.write_text(json.dumps({"type": "Scheduler", "address": f"tcp://127.0.0.1:{port}"}))
        res, took = _sweep(tmp_path, str(sfile))
    _refused(res, took, "scheduler.json", f"tcp://127.0.0.1:{port}", "an HTTP server")


def test_a_real_scheduler_passes_the_probe(tmp_path: Path) -> None:
    """The probe reads a real Dask handshake (a `dask scheduler` process) and lets it through."""
    from pkgcad.sweep import engine

    dask = Path(sys.executable).parent / "dask"
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(dask), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, "the scheduler did not start"
                time.sleep(0.2)
        engine._handshake(f"tcp://127.0.0.1:{port}", "x")  # no error
    finally:
        proc.terminate()
        proc.wait(30)
