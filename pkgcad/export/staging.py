"""The writers behind the output guard (:mod:`.outpath`): a folder output staged beside its destination and
swapped into place, a file output written beside its destination and renamed into place.

Folders are created 0777 and files 0666 less the umask (0755 / 0644 usually). Temporaries are named
``.NAME.pkgcad-HOST-BOOT-PID-N.tmp`` (HOST and BOOT: six hex digits of a hash of the host name and of the
kernel's boot id) and registered with :mod:`pkgcad.interrupts` (removed on Ctrl-C / SIGTERM). Those of dead
processes (SIGKILL, power loss) are removed by the next write into the same folder (:func:`clean_stale`), but
only this host's: on a folder shared between machines a pid says nothing about another machine's process, and a
temporary of an earlier boot of this host is dead whatever its pid.

A write that runs out of space (ENOSPC, EDQUOT) ends in :class:`~pkgcad.errors.DiskFullError`: one line naming
the folder, the free space and what had been written, the temporary removed, the previous output intact.
"""

from __future__ import annotations

import errno
import hashlib
import itertools
import json
import os
import re
import shutil
import socket
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from .. import __version__, interrupts
from ..errors import DiskFullError
from .outpath import STAMP, Verdict, check_output_file, check_output_folder, read_stamp

_TEMP = re.compile(r"^\.(?P<name>.+)\.pkgcad-(?:(?P<host>[0-9a-f]{6})-(?P<boot>[0-9a-f]{6})-)?(?P<pid>\d+)-\d+"
                   r"\.(?:tmp|old)$")
_counter = itertools.count()
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def _hash6(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:6]


def boot_id() -> str:
    """The kernel's id of this boot ("" where there is none to read)."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


HOST = socket.gethostname()
HOST_TAG, BOOT_TAG = _hash6(HOST), _hash6(boot_id())


def _umask() -> int:
    with suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_umask()


def temp_name(out: Path, suffix: str = "tmp", pid: int | None = None, host: str = HOST_TAG,
              boot: str = BOOT_TAG) -> Path:
    """The temporary beside ``out``: ``.NAME.pkgcad-HOST-BOOT-PID-N.tmp`` (see the module doc)."""
    pid = os.getpid() if pid is None else pid
    return out.parent / f".{out.name}.pkgcad-{host}-{boot}-{pid}-{next(_counter)}.{suffix}"


def make_dirs(p: Path) -> None:
    """``mkdir -p`` with the umask's modes (0755 usually)."""
    p.mkdir(mode=0o777, parents=True, exist_ok=True)


def clean_stale(folder: Path) -> list[Path]:
    """Remove the staged folders and temporary files pkgcad left in ``folder`` when a process was killed
    (SIGKILL, power loss): names ``.NAME.pkgcad-HOST-BOOT-PID-N.tmp|old`` of this host whose process is gone (an
    earlier boot, or a pid not running now). A staged folder must also carry pkgcad's stamp. Older names without
    HOST-BOOT are removed only when they are folders whose stamp names this host. Returns what was removed."""
    removed: list[Path] = []
    try:
        names = [e for e in os.listdir(folder) if e.startswith(".") and ".pkgcad-" in e]
    except OSError:
        return removed
    for name in names:
        m = _TEMP.match(name)
        if not m or not _dead(m):
            continue
        p = folder / name
        try:
            st = os.lstat(p)
        except OSError:
            continue
        if stat.S_ISDIR(st.st_mode):
            stamp = read_stamp(p)
            if stamp is None or (m["host"] is None and stamp.host != HOST):
                continue  # not ours, or an older name of another machine's (its pid says nothing here)
            dest = folder / m["name"]
            if name.endswith(".old") and not os.path.lexists(dest):
                os.rename(p, dest)  # killed between the two renames of a swap: the old output comes back
                continue
            shutil.rmtree(p, ignore_errors=True)
        elif stat.S_ISREG(st.st_mode) and m["host"] is not None:
            p.unlink(missing_ok=True)
        else:
            continue
        removed.append(p)
    return removed


def _dead(m: re.Match[str]) -> bool:
    """Whether the process that named a temporary is gone: this host's, and an earlier boot or a pid that is not
    running. Another host's is never judged dead."""
    if m["host"] is not None:
        if m["host"] != HOST_TAG:
            return False
        if m["boot"] != BOOT_TAG:
            return True
    return not _alive(int(m["pid"]))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, another user's
    return True


def _write_stamp(folder: Path, data: dict[str, Any]) -> None:
    tmp = folder / f"{STAMP}.tmp"
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, folder / STAMP)


def stamp_in_place(folder: Path, command: str) -> None:
    """Stamp ``folder`` as the output of ``command`` for a writer that fills its folder in place (``pkgcad sweep``
    resumes into it, so it is never staged whole): the same :data:`~.outpath.STAMP` every staged folder carries,
    with no ``files`` list (the writer judges its own folder, see :mod:`pkgcad.sweep.folder`)."""
    _write_stamp(folder, _stamp(command))


def _stamp(command: str, **more: Any) -> dict[str, Any]:
    return {"tool": "pkgcad", "command": command, "version": __version__, "pid": os.getpid(),
            "ppid": os.getppid(), "host": HOST, "boot": boot_id(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **more}


def _size(root: Path) -> int:
    """Bytes of the files under ``root`` (what a temporary held when the disk filled)."""
    total = 0
    for folder, _dirs, files in os.walk(root):
        for f in files:
            with suppress(OSError):
                total += os.lstat(os.path.join(folder, f)).st_size
    return total


def _free(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


@contextmanager
def staged_dir(out: Path, command: str = "build") -> Iterator[Path]:
    """Yield a fresh folder beside ``out``; when the block succeeds it replaces ``out`` (judged again by
    :func:`check_output_folder` first), with the pictures drawn into the old one and the empty folders a user made
    in it kept; on any error or interrupt it vanishes and ``out`` is untouched. A full disk ends in
    :class:`~pkgcad.errors.DiskFullError`."""
    verdict = check_output_folder(out, command)
    out = verdict.path
    make_dirs(out.parent)
    clean_stale(out.parent)
    tmp = temp_name(out)
    interrupts.register(tmp)
    old: Path | None = None
    try:
        tmp.mkdir(mode=0o777)
        _write_stamp(tmp, _stamp(command, state="staging"))
        yield tmp
        verdict = check_output_folder(out, command)  # what is there now (it may have changed meanwhile)
        kept = _keep_views(verdict, tmp)
        for rel in verdict.dirs:  # a user's empty folders: kept, like a user's files are
            if not os.path.lexists(tmp / rel):
                make_dirs(tmp / rel)
        files = {os.path.relpath(p, tmp): p.stat().st_size for p in sorted(tmp.rglob("*"))
                 if p.is_file() and not p.is_symlink() and os.path.relpath(p, tmp) not in (STAMP, *kept)}
        _write_stamp(tmp, _stamp(command, files=files, views=kept, views_kept=kept))
        with interrupts.critical():
            if verdict.exists:
                old = temp_name(out, "old")
                interrupts.register(old)
                os.rename(out, old)
            os.rename(tmp, out)
            interrupts.unregister(tmp)
            interrupts.wrote(out)
    except (OSError, DiskFullError) as exc:  # DiskFullError: a staged folder inside this one ran out
        full = isinstance(exc, DiskFullError) or exc.errno in _DISK_FULL
        written = _size(tmp) if full else 0
        shutil.rmtree(tmp, ignore_errors=True)
        interrupts.unregister(tmp)
        if full:
            raise DiskFullError(out.parent, _free(out.parent), written=written) from None
        raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        interrupts.unregister(tmp)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
            interrupts.unregister(old)


def _keep_views(verdict: Verdict, tmp: Path) -> list[str]:
    """Link (or copy) the pictures drawn into the old folder into the new one, unless the new one has a file
    of that name."""
    kept = []
    for rel in verdict.views:
        src, dst = verdict.path / rel, tmp / rel
        if dst.exists():
            continue
        make_dirs(dst.parent)
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
        kept.append(rel)
    return kept


def write_file(path: Path, write: Callable[[Path], object] | str | bytes) -> Path:
    """Write a file output atomically (:func:`replace_file`), judged by the output guard first
    (:func:`check_output_file`: it replaces only a file pkgcad wrote) and again just before the rename. A file
    written into a pkgcad output folder is recorded in its stamp as a view (kept across a rebuild). Returns the
    path."""
    p = check_output_file(path)
    replace_file(p, write, judge=check_output_file)
    _record_view(p)
    return p


def replace_file(path: Path, write: Callable[[Path], object] | str | bytes,
                 judge: Callable[[Path], object] | None = None, clean: bool = True) -> Path:
    """THE atomic file writer: ``write(tmp)`` (or the text / bytes) into a temporary file beside ``path`` (registered
    with :mod:`pkgcad.interrupts`, so an interrupt removes it), then rename it over ``path``: a reader (and an
    interrupt) sees the old file or the new one, never half of one; ``judge(path)`` runs just before the rename.
    A full disk ends in :class:`~pkgcad.errors.DiskFullError`. Alone, for a file pkgcad keeps up to date in a
    folder it owns (a sweep's rows and tables: ``clean=False``, the sweep clears its folder once when it starts);
    an output the user names goes through :func:`write_file`."""
    p = Path(path)
    make_dirs(p.parent)
    if clean:
        clean_stale(p.parent)
    tmp = temp_name(p)
    interrupts.register(tmp)
    try:
        if isinstance(write, str):
            tmp.write_text(write, encoding="utf-8")
        elif isinstance(write, bytes):
            tmp.write_bytes(write)
        else:
            write(tmp)
        os.chmod(tmp, FILE_MODE)
        with interrupts.critical():
            if judge is not None:
                judge(p)
            os.replace(tmp, p)
            interrupts.unregister(tmp)
            interrupts.wrote(p)
    except OSError as exc:
        written = tmp.stat().st_size if exc.errno in _DISK_FULL and tmp.exists() else 0
        tmp.unlink(missing_ok=True)
        interrupts.unregister(tmp)
        if exc.errno in _DISK_FULL:
            need = len(write.encode()) if isinstance(write, str) else len(write) if isinstance(write, bytes) else None
            raise DiskFullError(p.parent, _free(p.parent), need, written) from None
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        interrupts.unregister(tmp)
        raise
    return p


def _record_view(p: Path) -> None:
    """Add ``p`` to the views of the pkgcad output folder it was written into (if it was)."""
    folder = p.parent
    stamp = read_stamp(folder)
    if stamp is None:
        return
    if p.name.startswith(".") or p.name in stamp.views or p.name in stamp.files:
        return
    data = stamp.model_dump()
    data["views"] = [*stamp.views, p.name]
    with suppress(OSError):
        _write_stamp(folder, data)
