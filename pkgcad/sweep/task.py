"""One variant, in a worker process: run the steps into the variant's staged folder and return its row.

Only plain data crosses the process boundary: the job (a validated spec and a folder path) in, a row of
result columns out, never a shape. The folder appears whole when every step succeeded, else not at all; the
``--keep`` policy (:data:`pkgcad.sweep.folder.KEEP`) may prune it to its JSON records first (the row records
``kept``, and the MB written and kept).
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..export.outpath import STAMP
from ..export.staging import staged_dir
from ..spec import PackageSpec
from .steps import STEPS, StepFailed, StepOptions, limit_kernel_threads


@dataclass(frozen=True)
class Job:
    id: str
    spec: PackageSpec
    folder: str  # DIR/<id>: a path every worker sees
    steps: tuple[str, ...]
    options: StepOptions
    keep: str = "all"  # see KEEP


def prune(folder: Path) -> None:
    """Delete every file of ``folder`` but its JSON records (and the output stamp), then the emptied folders."""
    for p in sorted(folder.rglob("*"), key=lambda q: -len(q.parts)):
        if p.is_file() or p.is_symlink():
            if p.suffix != ".json" and p.name != STAMP:
                p.unlink()
        elif p.is_dir() and not any(p.iterdir()):
            p.rmdir()


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


#: Written into the variant's folder with its results: a finished variant whose row the client never wrote
#: (interrupted, or the client died) is adopted from it on the next run instead of being built again.
RECORD = "variant.json"


def one_line(text: str, limit: int = 400) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def run_variant(job: Job) -> dict[str, Any]:
    """Run ``job.steps`` in order; never raises for a failing variant (``status`` "error" and ``error``)."""
    t0, c0 = time.perf_counter(), time.process_time()
    limit_kernel_threads()
    row: dict[str, Any] = {"status": "ok", "error": ""}
    current = ""

    def finish() -> None:
        row["seconds"] = round(time.perf_counter() - t0, 3)
        row["cpu_s"] = round(time.process_time() - c0, 3)  # of the worker process: its one task, mostly
        row["worker"] = f"{socket.gethostname()}:{os.getpid()}"

    try:
        with staged_dir(Path(job.folder)) as tmp:
            for current in job.steps:
                run = STEPS[current].run
                assert run is not None, f"step {current} has no run function"
                t = time.perf_counter()
                row.update(run(job.spec, tmp, job.options).columns())
                row[f"{current}_s"] = round(time.perf_counter() - t, 3)
            row["written_mb"] = round(folder_bytes(tmp) / 1e6, 3)
            keep_all = job.keep == "all" or (job.keep == "failed" and row.get("check_pass") is False)
            if not keep_all:
                prune(tmp)
            row["kept"] = "all" if keep_all else "summary"
            row["kept_mb"] = round(folder_bytes(tmp) / 1e6, 3)
            finish()
            record = {"id": job.id, "steps": list(job.steps), "quality": job.options.quality,
                      "step_mode": job.options.step_mode, **row}
            (tmp / RECORD).write_text(json.dumps(record, indent=1) + "\n")
    except StepFailed as exc:
        row.update(status="error", error=one_line(f"{current}: {exc}"))
    except Exception as exc:  # a bug or an OCCT failure: recorded, the sweep goes on
        row.update(status="error", error=one_line(f"{current}: {type(exc).__name__}: {exc}"))
    finish()
    return row
