"""The sweep's output folder: its stamp, one JSON row file per variant, and what a rerun may skip.

Layout (all lengths in the files are mm)::

    DIR/.pkgcad               the stamp every pkgcad output folder carries (:mod:`pkgcad.export.outpath`), its
                              command ``sweep``: a rerun resumes only such a folder
    DIR/sweep.json            the last sweep's definition (template, keys, grids, steps, quality, keep...)
    DIR/rows/<id>.json        one row per variant, written atomically as each variant finishes
    DIR/<id>/                 the variant's files (staged: the folder appears whole or not at all)
    DIR/results.parquet|csv   the table, compiled from the rows
    DIR/plots/*.png, DIR/index.html

pkgcad never replaces or deletes what it did not write: a non-empty folder without a sweep's stamp is refused, and
so is another command's output. A sweep folder of a version before the stamp (its ``sweep.json`` was the marker:
``"tool": "pkgcad", "kind": "sweep"``) is still resumed when it holds nothing but what a sweep writes, like the
outputs older than the stamp that :mod:`pkgcad.export.outpath` recognises by their manifest or kit; the rerun
stamps it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import time
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import InputError
from ..export.outpath import STAMP, check_output_place, judge_stamp
from ..export.staging import replace_file, stamp_in_place

COMMAND = "sweep"
#: the sweep's definition, rewritten by every run (a record for the user: the marker is the stamp)
DEFINITION = "sweep.json"
#: What ``--keep`` leaves in a variant's folder. Its row (and so the table) holds every figure whatever the policy.
KEEP = {
    "all": "every file of every variant (the model files, report, thermal fields)",
    "summary": "each variant's JSON records only (manifest.json, check.json, variant.json, thermal/*.json); its "
    "model files are deleted once its figures are in its row",
    "failed": "every file of the variants whose check found a failing claim element, the JSON records of the rest",
}
ROWS = "rows"
#: variant folders are named by 12 hex digits (``spec_id``); their stages ``.<id>.<random>.tmp`` (the build's
#: own stage inside it ``..<id>.<random>.tmp.<random>.tmp``) and ``.<id>.old-<pid>`` while being replaced
_VARIANT = re.compile(r"^[0-9a-f]{12}$")
_STAGE = re.compile(r"^\.{1,2}[0-9a-f]{12}\..*(\.tmp|\.old-\d+)$")
#: what a sweep of a version before the stamp wrote at the top of its folder (besides variant folders and stages)
_LEGACY_NAMES = {DEFINITION, ROWS, "results.parquet", "results.csv", "plots", "index.html"}
_TEMPORARY = re.compile(r"^\..+\.(tmp|old|old-\d+)$")  # our stages and atomic writes, cut short


def check_usable(folder: Path) -> None:
    """Raise :class:`InputError` for a file, another command's output, or a non-empty folder that is not a sweep's
    (no stamp of ``pkgcad sweep``, and not a sweep folder of a version before the stamp); nothing is written."""
    p, st = check_output_place(folder)  # never /, the current folder or its parents, home, a link, a file...
    if st is None:
        return
    stamp = judge_stamp(p, "-o")  # a malformed pkgcad stamp: refused, naming it
    if stamp is not None:
        if stamp.command != COMMAND:
            raise InputError("-o", str(p), f"holds the output of `pkgcad {stamp.command}`, not of `pkgcad "
                             f"{COMMAND}`; give a new folder or an earlier sweep's")
        return
    if legacy_sweep(p) or not any(p.iterdir()):
        return
    raise InputError("-o", str(p), f"is not empty and is not a pkgcad sweep folder (no {STAMP} stamp of `pkgcad "
                     f"{COMMAND}`); pkgcad does not write into a folder it did not make: give a new folder or an "
                     "earlier sweep's")


def legacy_sweep(folder: Path) -> bool:
    """A sweep folder written before the stamp: its ``sweep.json`` (a regular file) says ``"tool": "pkgcad",
    "kind": "sweep"`` and the folder holds nothing but what such a sweep wrote (the names above, variant folders
    named by 12 hex digits, our temporaries)."""
    marker = Path(folder) / DEFINITION
    try:
        if not stat.S_ISREG(os.lstat(marker).st_mode):
            return False
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(data, dict) or data.get("tool") != "pkgcad" or data.get("kind") != COMMAND:
        return False
    return all(name in _LEGACY_NAMES or _VARIANT.match(name) or _TEMPORARY.match(name)
               for name in os.listdir(folder))


def claim(folder: Path, definition: dict[str, Any]) -> None:
    """Make ``folder`` ours (or confirm it is, see :func:`check_usable`): stamp it, write the sweep's
    ``definition`` and clear the stages an interrupted run left (ours, by their names)."""
    folder = Path(folder)
    check_usable(folder)
    (folder / ROWS).mkdir(parents=True, exist_ok=True)
    stamp_in_place(folder, COMMAND)
    write_json(folder / DEFINITION, {"tool": "pkgcad", "kind": COMMAND, "version": __version__,
                                     "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **definition})
    for p in folder.iterdir():
        if p.is_dir() and _STAGE.match(p.name):
            shutil.rmtree(p, ignore_errors=True)
    for p in [*folder.glob(".*.tmp"), *(folder / ROWS).glob(".*.tmp")]:  # our atomic writes, cut short
        if p.is_file():
            p.unlink(missing_ok=True)


def write_json(path: Path, data: Any) -> None:
    replace_file(path, json.dumps(data, indent=1, default=str) + "\n", clean=False)


def row_path(folder: Path, vid: str) -> Path:
    return Path(folder) / ROWS / f"{vid}.json"


def read_row(folder: Path, vid: str) -> dict[str, Any] | None:
    try:
        data = json.loads(row_path(folder, vid).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_row(folder: Path, row: dict[str, Any]) -> None:
    write_json(row_path(folder, row["id"]), row)


def kept_files(files: tuple[str, ...]) -> tuple[str, ...]:
    """Of the files the steps leave (``Step.files``), those a variant pruned to its records keeps: its JSON
    records and the thermal folder (its JSON)."""
    return tuple(f for f in files if f.endswith(".json") or f == "thermal")


def covers(row: dict[str, Any], keep: str) -> bool:
    """Does what a finished variant kept (its row's ``kept``; rows of earlier versions kept everything) satisfy
    the ``--keep`` policy ``keep``? A variant pruned to its records is built again for ``all``, and for
    ``failed`` when its check failed."""
    if row.get("kept", "all") == "all":
        return True
    return keep == "summary" or (keep == "failed" and row.get("check_pass") is not False)


def needed_files(files: tuple[str, ...], keep: str) -> tuple[str, ...]:
    return files if keep == "all" else kept_files(files)


def adoptable(folder: Path, vid: str, steps: tuple[str, ...], files: tuple[str, ...], settings: dict[str, Any],
              record: str, keep: str = "all") -> dict[str, Any] | None:
    """The results a worker left in ``DIR/<vid>/<record>``, usable as the variant's row when they cover
    ``steps`` with ``settings`` and the ``keep`` policy (the client was interrupted or died after the variant
    finished)."""
    try:
        data = json.loads((Path(folder) / vid / record).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("id") != vid or data.get("status") != "ok":
        return None
    if not set(steps) <= set(data.get("steps", ())) or any(data.get(k) != v for k, v in settings.items()):
        return None
    if not covers(data, keep) or not all((Path(folder) / vid / f).exists() for f in needed_files(files, keep)):
        return None
    return {k: v for k, v in data.items() if k not in ("id", "steps", *settings)}


def done(folder: Path, vid: str, steps: tuple[str, ...], files: tuple[str, ...], settings: dict[str, Any],
         keep: str = "all") -> bool:
    """A rerun skips this variant: its row says it finished the same ``steps`` with the same ``settings``,
    what it kept covers the ``keep`` policy (:func:`covers`) and every file those steps leave (pruned: its
    records) is in its folder."""
    row = read_row(folder, vid)
    if row is None or row.get("status") != "ok" or not set(steps) <= set(row.get("steps", ())):
        return False
    if any(row.get(k) != v for k, v in settings.items()) or not covers(row, keep):
        return False
    vdir = Path(folder) / vid
    return bool(_VARIANT.match(vid)) and all((vdir / f).exists() for f in needed_files(files, keep))
