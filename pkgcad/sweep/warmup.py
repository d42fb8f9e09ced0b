"""A dask worker plugin that prepares every worker of a sweep, those that join later included: one OCCT
thread, and the kernel and steps imported before the first variant (imported by the engine only)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from .steps import warm_up


class KernelSetup(WorkerPlugin):
    """``local``: the workers are the sweep's own processes (a local cluster): they leave Ctrl-C to the sweep,
    which stops them, instead of each printing its own KeyboardInterrupt."""

    name = "pkgcad-sweep-kernel"

    def __init__(self, local: bool = False) -> None:
        self.local = local

    def setup(self, worker: Any) -> None:
        if self.local and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        warm_up()
