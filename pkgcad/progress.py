"""The ONE progress display of the command line (rich, on stderr): a spinner naming the stage a command is in, a
bar over finished jobs (``build --all``), and the sweep's bar of variants. The library reports progress through a
plain ``progress(stage: str)`` callback (or :class:`pkgcad.sweep.run.Progress`); only the CLI draws."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


@contextmanager
def spinner(console: Console, name: str, first: str = "starting") -> Iterator[Callable[[str], None]]:
    """A spinner reading ``<name>: <stage>`` while the block runs; yields the callback that sets the stage."""
    with console.status(f"{name}: {first}", spinner="dots") as status:
        yield lambda stage: status.update(f"{name}: {stage}")


@contextmanager
def bar(console: Console, title: str, total: int) -> Iterator[Callable[[str], None]]:
    """A bar of ``total`` jobs headed ``title``; yields the callback that counts one finished job (its text)."""
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as shown:
        task = shown.add_task(title, total=total)
        yield lambda text: shown.update(task, advance=1, description=text)


class SweepProgress:
    """:class:`pkgcad.sweep.run.Progress` drawn on ``console``: the dashboard address, then a bar of finished
    variants (a failed one also gets its line)."""

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
