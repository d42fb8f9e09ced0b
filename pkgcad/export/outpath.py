"""The output guard: what ``-o`` may replace, judged BEFORE any work (the writers that then replace it are in
:mod:`.staging`).

pkgcad replaces only what it wrote itself. Every command that writes goes through here:

- a folder output (``build``, ``build --all``, ``mockup``, and new commands): :func:`check_output_folder` up
  front, then :func:`.staging.staged_dir` writes into ``.NAME.pkgcad-PID-N.tmp`` beside it, stamps it
  (:data:`STAMP`: the command, the files written with their sizes) and swaps it into place;
- a file output (``report``, ``section``, ``render``, ...): :func:`check_output_file` up front, then
  :func:`.staging.write_file` writes ``.NAME.pkgcad-PID-N.tmp`` beside it and renames it into place.

A folder may be replaced when it does not exist, is empty, or is a pkgcad output of the same command holding
nothing but what pkgcad wrote: the files its stamp lists at their recorded sizes (outputs older than the stamp:
the files of ``manifest.json`` / ``kit.json``), and the pictures and reports pkgcad drew into it (``views``).
Those pictures are KEPT across a rebuild (linked into the new folder; a note names them): they may have been
drawn with options nobody wrote down, and a stale picture is one command away from fresh, a lost one is not.

Refused, with one line naming the path and why (:class:`~pkgcad.errors.InputError`, exit 2), nothing written
and nothing moved: a folder holding anything else, a file, a device, a symbolic link (never followed), a mount
point, the current folder or one of its ancestors, the home folder and ``/``. A file output may replace only a
regular file that pkgcad wrote, recognised by its content (:func:`written_by_pkgcad`).

Both judges run again just before the rename (what is there may have changed meanwhile).
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError, megabytes
from ..reader.schema import Stamp, StampError, parse_stamp

STAMP = ".pkgcad"
"""The stamp file in every output folder pkgcad writes: JSON naming the tool, the command, the version, the files
written with their sizes, and the pictures drawn into it since (``views``)."""

MARKERS = (b'<meta name="generator" content="pkgcad', b"<!-- generator: pkgcad", b"Software\x00pkgcad")
"""What marks a file pkgcad wrote (HTML report, SVG, PNG text chunk), looked for in its first 64 kB."""

LEGACY = {"build": ("manifest.json", "pkgcad"), "mockup": ("kit.json", "pkgcad mockup")}
"""Outputs written before the stamp existed: the file that lists what was written, and its ``tool`` field."""

MAX_ENTRIES = 100_000  # a folder holding more than this was not written by pkgcad; stop looking

TEMP_OVERHEAD = len(".") + len(".pkgcad-") + 6 + 1 + 6 + 1 + 7 + 1 + 6 + len(".tmp")
"""Characters a temporary's name adds to the output's (``.NAME.pkgcad-HOST-BOOT-PID-N.tmp``, see
:mod:`.staging`): 41, with room for a pid of 7 digits (Linux's largest, 4194304) and a millionth temporary."""


# ------------------------------------------------------------------------------------------ judging
@dataclass
class Verdict:
    """What is at a folder output now: ``path`` (parents resolved, the last component not followed),
    ``exists``, and the pictures drawn into it (kept across a rebuild)."""

    path: Path
    exists: bool = False
    views: list[str] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)  # empty folders a user made in it: kept across a rebuild


def _locate(path: Path | str, option: str) -> Path:
    """``path`` with its parents resolved (``..`` the way the kernel sees it) and its last component as given."""
    text = os.fspath(path)
    if not text.strip():
        raise InputError(option, text, "is empty; name the output, e.g. -o outputs/qfn")
    head, name = os.path.split(text.rstrip("/") or "/")
    if name in ("", ".", ".."):  # "-o .", "-o ..", "-o /": a folder given by dots
        return Path(os.path.realpath(text))
    return Path(os.path.realpath(head or ".")) / name


def _dangerous(p: Path, option: str) -> None:
    """The places never replaced, whatever they hold."""
    cwd = Path(os.path.realpath(os.getcwd()))
    if p == Path("/"):
        raise InputError(option, str(p), "is the root folder; pkgcad writes its output into a folder of its own, "
                         "e.g. -o outputs/qfn")
    if p == cwd:
        raise InputError(option, str(p), "is the current folder; pkgcad would replace it: give a new folder, "
                         "e.g. -o outputs/qfn")
    if p in cwd.parents:
        raise InputError(option, str(p), "holds the current folder; pkgcad would replace it: give a new folder, "
                         "e.g. -o outputs/qfn")
    home = Path(os.path.realpath(os.path.expanduser("~")))
    if p == home:
        raise InputError(option, str(p), "is the home folder; give a folder of its own, e.g. -o ~/pkgcad/qfn")


def _what(st: os.stat_result) -> str:
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return f"a file ({st.st_size:,} bytes)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file or folder"


def _parent_ok(p: Path, option: str) -> None:
    """The nearest existing ancestor of a path to be created must be a folder we may write into."""
    for up in p.parents:
        try:
            st = os.stat(up)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            raise InputError(option, str(p), f"cannot reach {up}: {exc.strerror}") from None
        if not stat.S_ISDIR(st.st_mode):
            raise InputError(option, str(p), f"{up} is {_what(st)}, not a folder")
        if not os.access(up, os.W_OK | os.X_OK):
            raise InputError(option, str(p), f"cannot write into {up} (permission denied)")
        return


def _symlink(p: Path, option: str) -> InputError:
    return InputError(option, str(p), f"is a symbolic link (to {os.readlink(p)}); pkgcad never writes through "
                      "a link: give the real path or a new name")


def check_output_place(path: Path | str, option: str = "-o") -> tuple[Path, os.stat_result | None]:
    """The checks every folder output passes whatever it holds: not a dangerous place (``/``, the current folder
    or its ancestors, home), not a link, not a file or device, a writable parent. Returns the located path and
    its lstat (``None`` when it does not exist yet). Used alone by writers that fill their folder in place
    (``pkgcad sweep`` resumes into it); see :func:`check_output_folder` for the rest."""
    p = _locate(path, option)
    _dangerous(p, option)
    check_name_lengths(p.parent, [p.name], option, temporary=True)
    try:
        st = os.lstat(p)
    except (FileNotFoundError, NotADirectoryError):
        _parent_ok(p, option)
        return p, None
    except OSError as exc:
        raise InputError(option, str(p), f"cannot be read: {exc.strerror}") from None
    if stat.S_ISLNK(st.st_mode):
        raise _symlink(p, option)
    if not stat.S_ISDIR(st.st_mode):
        raise InputError(option, str(p), f"is {_what(st)}, not a folder; pkgcad replaces only a folder it wrote: "
                         "give a new folder name")
    return p, st


def check_output_folder(path: Path | str, command: str, option: str = "-o") -> Verdict:
    """Judge a folder output of ``command`` (``"build"``, ``"mockup"``, ...) before any work: what may be replaced
    (see the module doc). Raises :class:`InputError` naming the path and why; returns the :class:`Verdict`."""
    p, st = check_output_place(path, option)
    if st is None:
        return Verdict(p)
    if os.path.ismount(p):
        raise InputError(option, str(p), "is a mount point; give a folder inside it, e.g. "
                         f"-o {p / 'qfn'}")
    if st.st_mode & stat.S_ISVTX:
        raise InputError(option, str(p), "is a shared folder (sticky bit, like /tmp); give a folder inside it, "
                         f"e.g. -o {p / 'qfn'}")
    if not os.access(p.parent, os.W_OK | os.X_OK):
        raise InputError(option, str(p), f"cannot replace it: no permission to write into {p.parent}")
    views, dirs = _judge_contents(p, st.st_dev, command, option)
    return Verdict(p, True, views, dirs)


def _entries(root: Path, dev: int) -> Iterator[tuple[str, os.stat_result]]:
    """Every entry under ``root`` (relative path, lstat), links not followed, at most :data:`MAX_ENTRIES`."""
    stack, seen = [root], 0
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as it:
            for entry in it:
                seen += 1
                if seen > MAX_ENTRIES:
                    yield "…", os.lstat(root)  # more than any pkgcad output holds
                    return
                st = entry.stat(follow_symlinks=False)
                rel = os.path.relpath(entry.path, root)
                if stat.S_ISDIR(st.st_mode) and st.st_dev == dev:
                    stack.append(Path(entry.path))
                yield rel, st


def _judge_contents(p: Path, dev: int, command: str, option: str) -> tuple[list[str], list[str]]:
    """The views and the empty user folders to keep, or :class:`InputError` if ``p`` holds anything pkgcad did
    not write (a malformed stamp included)."""
    stamp = judge_stamp(p, option)
    legacy = None
    if stamp is None:
        legacy = _legacy_files(p, command)
    if stamp is not None and stamp.command != command:
        raise InputError(option, str(p), f"holds the output of `pkgcad {stamp.command}`, not of "
                         f"`pkgcad {command}`; give another folder (or delete it first)")
    files: dict[str, int | None] = {STAMP: None}
    views: list[str] = []
    if stamp is not None:
        files.update(stamp.files)
        views = list(stamp.views)
    elif legacy is not None:
        files.update(legacy)
        views = ["report.html"] if written_by_pkgcad(p / "report.html") else []
    ours = {d for rel in [*files, *views] for d in _ancestors(os.path.dirname(rel))}  # folders of pkgcad's files
    strangers: list[str] = []
    changed: list[str] = []
    folders: list[str] = []
    for rel, st in _entries(p, dev):
        if stat.S_ISDIR(st.st_mode) and st.st_dev == dev:
            if rel not in ours:
                folders.append(rel)  # a user's folder: kept if nothing but folders is in it
            continue  # its files are judged one by one
        if stat.S_ISREG(st.st_mode) and rel in views:
            continue
        if stat.S_ISREG(st.st_mode) and rel in files:
            want = files[rel]
            if want is not None and want != st.st_size:
                changed.append(rel)
            continue
        strangers.append(rel)  # anything else: another file, a link, a device, a mount point
        if len(strangers) > 3:
            break
    if strangers:
        names = ", ".join(strangers[:3]) + (" and more" if len(strangers) > 3 else "")
        kind = "a pkgcad output" if (stamp is not None or legacy is not None) else "not a pkgcad output"
        raise InputError(option, str(p), f"is {kind} and holds files pkgcad did not write ({names}); pkgcad "
                         "replaces only what it wrote: move them away or give another folder")
    if changed:
        raise InputError(option, str(p), f"holds {', '.join(changed[:3])}, changed since pkgcad wrote it "
                         "(its size differs); move it away or give another folder")
    if stamp is None and legacy is None and os.listdir(p):  # only empty folders in it, but not ours
        raise InputError(option, str(p), "is not a pkgcad output (no .pkgcad stamp) and not empty; give another "
                         "folder")
    return [v for v in views if (p / v).is_file()], sorted(folders)


def _ancestors(rel: str) -> list[str]:
    out = []
    while rel:
        out.append(rel)
        rel = os.path.dirname(rel)
    return out


def read_stamp(folder: Path) -> Stamp | None:
    """The stamp of a folder pkgcad wrote, or None (no stamp, not pkgcad's, unreadable or malformed)."""
    try:
        return judge_stamp(folder, "-o")
    except InputError:
        return None


def judge_stamp(folder: Path, option: str) -> Stamp | None:
    """The stamp of ``folder`` read with its schema (:class:`~pkgcad.reader.schema.Stamp`): None when there is
    none or it is not pkgcad's; :class:`InputError` naming the stamp when it says it is pkgcad's but is
    malformed (sizes as strings, ``views`` not a list, a path leading out of the folder...)."""
    path = folder / STAMP
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        with path.open("rb") as fh:
            raw = fh.read(1 << 22)
        text = raw.decode("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
        raise InputError(option, str(folder), f"its stamp {path} cannot be read ({why}); pkgcad replaces only "
                         "what it wrote: give another folder") from None
    try:
        return parse_stamp(text)
    except StampError as exc:
        raise InputError(option, str(folder), f"its stamp {path} is malformed ({exc}); pkgcad replaces only what it "
                         "wrote, and cannot tell what that was: move the folder away or give another") from None


def _legacy_files(p: Path, command: str) -> dict[str, int | None] | None:
    """The files an output written before the stamp existed lists (its manifest or kit.json), or None. A
    ``report.html`` pkgcad wrote beside them counts as a view (kept across a rebuild)."""
    listing, tool = LEGACY.get(command, ("", ""))
    if not listing:
        return None
    try:
        data = json.loads((p / listing).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("tool") != tool:
            return None
        out: dict[str, int | None] = {listing: None}
        for f in data.get("files", []):
            out[str(f["path"])] = int(f["bytes"])
        if command == "mockup":
            out["kit.md"] = None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return out


def check_output_parent(path: Path | str, option: str = "-o") -> Path:
    """Judge the folder that receives one output folder per model (``build --all -o DIR``): it is never
    replaced, so it may hold anything, but it must be (or become) a folder; each ``DIR/<name>`` is judged by
    :func:`check_output_folder`."""
    p = Path(os.path.abspath(os.fspath(path) or "."))
    if p == Path("/"):
        raise InputError(option, str(p), "is the root folder; give a folder of its own, e.g. -o outputs")
    try:
        st = os.stat(p)  # following a link is fine here: the folder itself is never replaced
    except (FileNotFoundError, NotADirectoryError):
        _parent_ok(p, option)
        return p
    except OSError as exc:
        raise InputError(option, str(p), f"cannot be read: {exc.strerror}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise InputError(option, str(p), f"is {_what(st)}; with --all, -o names the folder that receives one "
                         "folder per template, e.g. -o outputs")
    return p


def check_output_file(path: Path | str, option: str = "-o", suffixes: tuple[str, ...] = ()) -> Path:
    """Judge a file output before any work: a new file, or a regular file pkgcad wrote (recognised by its
    content), ending in one of ``suffixes``. Raises :class:`InputError` naming the path and why; returns the path
    (parents resolved, the last component not followed)."""
    text = os.fspath(path)
    p = _locate(path, option)
    example = ("report" if suffixes[:1] == (".html",) else "picture") + (suffixes[0] if suffixes else "")
    if text.endswith("/") or os.path.basename(text.rstrip("/")) in ("", ".", ".."):
        raise InputError(option, text, f"is a folder; -o takes a file name, e.g. -o {Path(text) / example}")
    try:
        st: os.stat_result | None = os.lstat(p)
    except (FileNotFoundError, NotADirectoryError):
        st = None
    except OSError as exc:
        raise InputError(option, str(p), f"cannot be read: {exc.strerror}") from None
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise _symlink(p, option)
        if stat.S_ISDIR(st.st_mode):
            raise InputError(option, str(p), f"is a folder; -o takes a file name, e.g. -o {p / example}")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(option, str(p), f"is {_what(st)}; pkgcad writes only regular files")
    if suffixes and p.suffix.lower() not in suffixes:
        raise InputError(option, str(p), f"the file must end in {' or '.join(suffixes)}")
    check_name_lengths(p.parent, [p.name], option, temporary=True)
    if st is None:
        _parent_ok(p, option)
        return p
    if os.path.ismount(p):
        raise InputError(option, str(p), "is a mount point; give another file name")
    if not written_by_pkgcad(p):
        raise InputError(option, str(p), "exists and was not written by pkgcad; pkgcad will not replace it: give "
                         "another name or delete it first")
    if not os.access(p.parent, os.W_OK | os.X_OK):
        raise InputError(option, str(p), f"cannot replace it: no permission to write into {p.parent}")
    return p


def written_by_pkgcad(path: Path) -> bool:
    """Whether the regular file ``path`` carries pkgcad's mark (:data:`MARKERS`) in its first 64 kB."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
    except OSError:
        return False
    return any(m in head for m in MARKERS)


# ------------------------------------------------------------------------------------------ the file system
def _existing(p: Path) -> Path:
    """``p`` or its nearest existing ancestor."""
    while not os.path.exists(p) and p != p.parent:
        p = p.parent
    return p


def check_name_lengths(folder: Path | str, names: list[str], option: str, temporary: bool = False,
                       value: str | None = None) -> None:
    """Refuse, before any work, a name pkgcad would create in ``folder`` that its file system cannot hold
    (longer than its NAME_MAX, usually 255 bytes; ``temporary``: with the temporary's prefix and suffix,
    :data:`TEMP_OVERHEAD`), or a path longer than PATH_MAX. ``value`` is what the user gave (default: the name)."""
    where = _existing(Path(os.path.abspath(folder)))
    try:
        name_max = os.pathconf(where, "PC_NAME_MAX")
        path_max = os.pathconf(where, "PC_PATH_MAX")
    except (OSError, ValueError):
        name_max, path_max = 255, 4096
    extra = TEMP_OVERHEAD if temporary else 0
    for name in names:
        size = len(os.fsencode(name)) + extra
        if size > name_max:
            what = f" ({size} with the {extra} of pkgcad's temporary name)" if extra else ""
            given = value if value is not None else name
            rest = len(os.fsencode(name)) - len(os.fsencode(given)) if given in name else 0  # e.g. ".3dshapes"
            raise InputError(option, given, f"makes a file name of {len(os.fsencode(name))} bytes{what}, over the "
                             f"{name_max} bytes a name may have on {where}",
                             f"use a name of at most {name_max - extra - rest} bytes")
        full = len(os.fsencode(os.path.join(os.path.abspath(folder), name))) + extra + 64  # + what goes inside
        if full > path_max:
            raise InputError(option, value if value is not None else name,
                             f"the path would be about {full} bytes long, over the {path_max} a path may have",
                             "write into a shorter folder")


def check_free_space(folders: dict[Path, int], option: str = "-o") -> None:
    """Refuse (exit 2), before any work, outputs that cannot fit: ``folders`` maps each output folder to the
    bytes it is estimated to need; estimates on one file system are added up (the previous output stays until
    the new one is complete, so it frees nothing)."""
    import shutil

    need: dict[int, tuple[Path, int]] = {}
    for folder, size in folders.items():
        where = _existing(folder)
        try:
            dev = os.stat(where).st_dev
        except OSError:
            continue
        prev = need.get(dev, (where, 0))
        need[dev] = (prev[0], prev[1] + size)
    for where, size in need.values():
        try:
            free = shutil.disk_usage(where).free
        except OSError:
            continue
        if size > free:
            names = ", ".join(str(f) for f in folders)
            raise InputError(option, names, f"about {megabytes(size)} will be written, but the file system "
                             f"holding {where} has {megabytes(free)} free",
                             "free some space, write elsewhere (-o) or lower --quality")
