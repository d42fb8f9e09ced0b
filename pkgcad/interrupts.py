"""Ctrl-C (SIGINT) and SIGTERM at any moment: one line, exit 130 / 143, the previous output intact, no
temporary left behind.

:func:`install` runs first thing in ``main()``, before the heavy imports (CadQuery/OCP take seconds to load, and a
``KeyboardInterrupt`` raised inside a C extension's import gives an ``ImportError`` traceback or a segfault). The
handler therefore never raises: it removes the temporaries registered here (staged folders and files), lets
registered hooks stop child processes, prints one line saying what was written, and ends the process with
``os._exit`` (no interpreter teardown, nothing half-imported is finalised).

The renames that swap a staged folder into place run inside :func:`critical`: a signal that arrives there is
held until the swap is complete, so an output is either the old one or the new one, never missing.

Native code: Python runs a signal handler only between two bytecodes of the main thread, and native libraries
may replace the C-level handlers behind Python's back (``gmsh.initialize()`` resets SIGTERM to the default, so
the process died silently and left its temporaries). So:

- :func:`reinstall` puts the handlers Python believes in back at the C level; the one way pkgcad starts gmsh
  (:func:`pkgcad.conformal.mesh.initialize`, behind the session helper) calls it right after ``gmsh.initialize``;
- a watcher thread hears every signal through :func:`signal.set_wakeup_fd`; when the main thread has not
  handled it within :data:`GRACE_S` (it is inside a long native call that released the GIL, e.g. gmsh
  meshing), the watcher does the clean-up and exits itself. The main thread, back from native code, finds the
  clean-up under way and waits for the exit.

This module imports only the standard library's lightest modules: it is loaded before anything else.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from types import FrameType

EXIT_CODES: dict[int, int] = {int(signal.SIGINT): 130, int(signal.SIGTERM): 143}
NAMES: dict[int, str] = {int(signal.SIGINT): "interrupted", int(signal.SIGTERM): "terminated (SIGTERM)"}
GRACE_S = 0.25
"""How long the watcher leaves a signal to the main thread before handling it itself."""


class _State:
    def __init__(self) -> None:
        self.installed = False
        self.quiet = False  # a worker process: no message (its parent speaks for it)
        self.depth = 0  # inside critical()
        self.pending: int | None = None
        self.dying = False
        self.dier: int | None = None  # the thread doing the clean-up
        self.lock = threading.Lock()
        self.watcher: tuple[int, int] | None = None  # (pid, read end of the wakeup pipe)
        self.temporaries: dict[str, None] = {}  # an ordered set: removed on the way out
        self.written: list[str] = []
        self.hooks: list[Callable[[], list[str]]] = []


_state = _State()


def install(quiet: bool = False) -> None:
    """Handle SIGINT and SIGTERM from now on (idempotent). ``quiet``: print nothing (a worker process)."""
    _state.quiet = quiet
    if _state.installed:
        return
    signal.signal(signal.SIGINT, _handler)
    signal.signal(signal.SIGTERM, _handler)
    _state.installed = True
    _watch()


def installed() -> bool:
    return _state.installed


def reinstall() -> None:
    """Put back, at the C level, the SIGINT and SIGTERM handlers Python believes are installed, after native code
    that may have replaced them (gmsh.initialize resets SIGTERM to the default). A no-op off the main thread
    (only it may set handlers) and for handlers that were not set from Python."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGINT, signal.SIGTERM):
        current = signal.getsignal(sig)
        if current is not None:
            signal.signal(sig, current)


def _watch() -> None:
    """Start the watcher thread (see the module doc); only from the main thread of the process."""
    if threading.current_thread() is not threading.main_thread():
        return
    try:
        read, write = os.pipe()
        os.set_blocking(write, False)
        signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    except (OSError, ValueError):
        return
    _state.watcher = (os.getpid(), read)
    threading.Thread(target=_watcher, args=(read,), name="pkgcad-signals", daemon=True).start()


def _watcher(fd: int) -> None:
    me = os.getpid()
    while True:
        try:
            data = os.read(fd, 64)
        except OSError:
            return
        if not data or os.getpid() != me:
            return
        for signum in data:
            if signum not in EXIT_CODES:
                continue
            time.sleep(GRACE_S)  # the main thread's handler runs first if the main thread runs Python
            if _state.dying or signal.getsignal(signum) is not _handler:
                continue  # handled, or a command with handlers of its own (the sweep raises instead)
            if _state.depth:
                _state.pending = signum  # inside a swap: critical() dies when it ends
                continue
            die(signum)


def _forget_watcher() -> None:
    """In a forked child: the wakeup pipe is the parent's; a signal here must not reach the parent's watcher."""
    if _state.watcher is not None:
        with suppress(ValueError, OSError):
            signal.set_wakeup_fd(-1)
        _state.watcher = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_watcher)


def _handler(signum: int, _frame: FrameType | None) -> None:
    if _state.dying:
        _wait_if_another_is_dying()
        return  # already on the way out: a second Ctrl-C must not cut the clean-up short
    if _state.depth:
        _state.pending = signum  # inside a swap: finish it first (see critical)
        return
    die(signum)


def _wait_if_another_is_dying() -> None:
    """Another thread (the watcher) is cleaning up: nothing more may run here; it ends the process."""
    if _state.dier != threading.get_ident():
        while True:
            time.sleep(3600)


def die(signum: int) -> None:
    """Stop child processes, remove every registered temporary, say what is true in one line, exit."""
    with _state.lock:
        already = _state.dying
        if not already:
            _state.dying = True
            _state.dier = threading.get_ident()
    if already:
        _wait_if_another_is_dying()
        return
    extra: list[str] = []
    for hook in list(_state.hooks):
        with suppress(BaseException):  # nothing may stop the clean-up
            extra += hook()
    for path in reversed(list(_state.temporaries)):
        _remove(path)
    written = _state.written + extra
    if not _state.quiet:
        what = "nothing written" if not written else (
            f"wrote {', '.join(written[:3])}{f' and {len(written) - 3} more' if len(written) > 3 else ''}"
            "; nothing else written")
        with suppress(BaseException):
            sys.stdout.flush()
        try:
            tty = sys.stderr.isatty()
            # a spinner may own the line (and have hidden the cursor): clear it, show the cursor
            sys.stderr.write(("\r\x1b[2K\x1b[?25h" if tty else "") + f"{NAMES.get(signum, 'interrupted')}; {what}\n")
            sys.stderr.flush()
        except BaseException:
            pass
    os._exit(EXIT_CODES.get(signum, 128 + signum))


def _remove(path: str) -> None:
    import shutil  # here, not at the top: this module loads before anything else and must load fast

    with suppress(OSError):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.lexists(path):
            os.unlink(path)


@contextmanager
def critical() -> Iterator[None]:
    """Hold SIGINT/SIGTERM until the block is done (used around the renames that swap an output into place)."""
    _state.depth += 1
    try:
        yield
    finally:
        _state.depth -= 1
        if not _state.depth and _state.pending is not None and _state.installed:
            signum, _state.pending = _state.pending, None
            die(signum)


def register(path: os.PathLike[str] | str) -> None:
    """Remove ``path`` (a staged folder or temporary file) if the process is interrupted."""
    _state.temporaries[os.fspath(path)] = None


def unregister(path: os.PathLike[str] | str) -> None:
    _state.temporaries.pop(os.fspath(path), None)


def wrote(path: os.PathLike[str] | str) -> None:
    """Record that ``path`` was written in full (named by the line printed on an interrupt). A path inside a
    registered temporary is not recorded: the temporary is removed on an interrupt (or renamed into place, and
    then its own output is what was written)."""
    text = os.fspath(path)
    if any(text.startswith(t.rstrip(os.sep) + os.sep) for t in _state.temporaries):
        return
    _state.written.append(text)


@contextmanager
def on_interrupt(hook: Callable[[], list[str]]) -> Iterator[None]:
    """Run ``hook`` (e.g. stop worker processes) before the clean-up if interrupted inside the block; it returns
    the outputs it knows were written."""
    _state.hooks.append(hook)
    try:
        yield
    finally:
        _state.hooks.remove(hook)


@contextmanager
def blocked() -> Iterator[None]:
    """Block SIGINT/SIGTERM at the OS level in this thread and defer the Python handler: processes started
    inside the block inherit the blocked mask (a worker then decides what to do with them, see
    :func:`worker_init`), and a signal that arrives meanwhile is handled when the block ends."""
    sigs = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    try:
        with critical():
            yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def worker_init() -> None:
    """In a worker process started inside :func:`blocked`: SIGINT stays ignored (the parent stops its workers),
    SIGTERM removes this worker's temporaries and exits 143 without a word or a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    install(quiet=True)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
