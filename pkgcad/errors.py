"""The error vocabulary of pkgcad: what went wrong, and the exit status it means.

- :class:`InputError` (exit 2): a parameter, option, path or input file that cannot be used. ``str()`` is the
  one line users see: the key (or option, or path), the value, the rule it breaks and, where there is one,
  the fix. Raised before anything is written.
- :class:`GeometryError` (exit 1): the geometry kernel (or a mesh boolean) failed on a part; names the part.
- :class:`RunError` (exit 1): the work could not finish for a reason that is neither the input nor the geometry:
  the mesher or the solver failed, a worker process died, the disk filled up (:func:`disk_full`).

Anything else that escapes a command is a bug in pkgcad: the CLI prints ONE line ``internal error in <command>:
<type>: <message>`` and exits 1 (``--debug`` or ``PKGCAD_DEBUG=1`` prints the traceback). None of these classes
derives from a built-in error such as ``ValueError``: an ``except ValueError`` meant for a library's failure must
never turn a refusal into something else, nor a bug into a refusal.

Values are echoed capped (:data:`ECHO_LIMIT` characters): a 50 MB string typed by mistake must not become a
50 MB error message.
"""

from __future__ import annotations

import math
from typing import Any

ECHO_LIMIT = 80
"""Most characters of a user's value repeated in a message."""

EXIT_GEOMETRY, EXIT_INPUT = 1, 2  # the work failed (geometry, mesher, solver, disk, a bug); bad input


class PkgcadError(Exception):
    """Base of pkgcad's own errors; ``exit_code`` is the process exit status it stands for."""

    exit_code = EXIT_GEOMETRY


class InputError(PkgcadError):
    """Unusable input: ``key`` (a dotted parameter, an ``--option``, a path), its ``value``, the ``rule`` it
    breaks and an optional ``fix``. ``value=NO_VALUE`` leaves the value out of the message."""

    exit_code = EXIT_INPUT

    def __init__(self, key: str, value: Any, rule: str, fix: str = "") -> None:
        self.key, self.value, self.rule, self.fix = key, value, rule, fix
        head = key if value is NO_VALUE else f"{key} = {echo(value)}"
        super().__init__(f"{head}: {rule}" + (f"; {fix}" if fix else ""))


class GeometryError(PkgcadError):
    """The geometry kernel could not make ``part``."""

    exit_code = EXIT_GEOMETRY

    def __init__(self, part: str, why: str) -> None:
        self.part = part
        super().__init__(f"could not build {part}: {why}")


class RunError(PkgcadError):
    """``what`` could not be done, ``why``: a mesher or solver failure, a dead worker, a full disk."""

    exit_code = EXIT_GEOMETRY

    def __init__(self, what: str, why: str) -> None:
        self.what, self.why = what, why
        super().__init__(f"{what}: {why}")


def kernel_failure(exc: BaseException) -> bool:
    """Whether ``exc`` came from the geometry kernel (OCCT through OCP, or CadQuery on top of it)."""
    module = type(exc).__module__ or ""
    return module.split(".")[0] in ("OCP", "cadquery") or type(exc).__name__.startswith(("Standard_", "StdFail_"))


def megabytes(n: float) -> str:
    """A byte count as people read it: ``3.2 MB``, ``1.4 GB``, ``512 kB``."""
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} bytes"


class DiskFullError(RunError):
    """A write ran out of space (ENOSPC, EDQUOT) in ``folder``: the free space there (``free``, bytes) and
    roughly what was needed (``need``: an estimate; ``written``: what had been written when it ran out)."""

    def __init__(self, folder: object, free: int | None, need: int | None = None,
                 written: int | None = None) -> None:
        self.folder, self.free, self.need, self.written = folder, free, need, written
        have = "free space unknown" if free is None else f"{megabytes(free)} free"
        if need is not None:
            want = f"about {megabytes(need)} needed"
        elif written:
            want = f"more than the {megabytes(written)} written when it ran out needed"
        else:
            want = "more needed"
        super().__init__(f"no space left in {folder}", f"{have}, {want}; free some space or write elsewhere (-o)")

    def with_need(self, need: int) -> DiskFullError:
        """The same error, saying roughly what was needed."""
        return DiskFullError(self.folder, self.free, max(need, self.written or 0), self.written)


def disk_full(folder: object, free: int | None, need: int | None = None, written: int | None = None) -> DiskFullError:
    return DiskFullError(folder, free, need, written)


class _NoValue:
    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE: Any = _NoValue()


def echo(value: Any, limit: int = ECHO_LIMIT) -> str:
    """``value`` as TOML spells it, at most about ``limit`` characters: a longer one keeps its start and its end
    (where a path keeps its file name) around an ellipsis, and says how long it was."""
    text = _toml(value)
    if len(text) > limit:
        head = limit // 2
        size = len(value) if isinstance(value, str) else len(text)  # _toml shortened a long string already
        text = f"{text[:head]}…{text[-(limit - head - 1):]} ({size:,} characters)"
    return text


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}" if math.isfinite(value) else str(value)
    if isinstance(value, tuple | list):
        inner: list[str] = []
        size = 0
        for v in value:  # never format a huge list whole
            inner.append(_toml(v))
            size += len(inner[-1]) + 2
            if size > 4 * ECHO_LIMIT:
                inner.append("...")
                break
        return "[" + ", ".join(inner) + "]"
    if isinstance(value, str):
        if len(value) > 4 * ECHO_LIMIT:  # never repr a 50 MB string whole
            value = value[: 2 * ECHO_LIMIT] + "…" + value[-2 * ECHO_LIMIT:]
        return repr(value)
    if isinstance(value, dict):
        return "{table of " + f"{len(value)} keys" + "}"
    return str(value)[: 4 * ECHO_LIMIT]
