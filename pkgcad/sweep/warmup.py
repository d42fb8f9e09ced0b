"""A dask worker plugin that prepares every worker of a sweep, those that join later included: one OCCT
thread, and the kernel and steps imported before the first variant (imported by the engine only)."""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from .steps import warm_up


class KernelSetup(WorkerPlugin):
    name = "pkgcad-sweep-kernel"

    def setup(self, worker: Any) -> None:
        warm_up()
