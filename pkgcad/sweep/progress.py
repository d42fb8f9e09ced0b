"""The sweep's progress on the terminal (rich): the dashboard address, then a bar of finished variants."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class RichProgress:
    """:class:`pkgcad.sweep.run.Progress` drawn on ``console`` (stderr in the CLI)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.bar: Progress | None = None
        self.task: Any = None
        self.errors = 0

    def start(self, todo: int, skipped: int, workers: int, dashboard: str) -> None:
        say = self.console.print
        if todo == 0:
            say(f"nothing to run: {skipped} variant{'s' if skipped != 1 else ''} already done", markup=False)
            return
        say(f"dask: {workers} worker{'s' if workers != 1 else ''}"
            + (f", dashboard {dashboard}" if dashboard else ", no dashboard")
            + (" (waiting for workers to join the scheduler)" if workers == 0 else ""), markup=False)
        if skipped:
            say(f"resuming: {skipped} variant{'s' if skipped != 1 else ''} already done, skipped", markup=False)
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            TimeRemainingColumn(), console=self.console, transient=False)
        self.bar.start()
        self.task = self.bar.add_task(f"running {todo} variants", total=todo)

    def advance(self, row: dict[str, Any]) -> None:
        if self.bar is None:
            return
        if row.get("status") == "error":
            self.errors += 1
            self.bar.console.print(f"variant {row['id']}: {row.get('error')}", markup=False, style="red")
        self.bar.update(self.task, advance=1,
                        description=f"variant {row['id']} {row.get('status')}"
                        + (f" ({self.errors} failed)" if self.errors else ""))

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
