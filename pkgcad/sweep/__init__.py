"""Design-space sweeps on Dask: many variants of one template, built, checked (and later solved or exported)
on a local process cluster or a running dask scheduler, into one folder with a table, plots and a summary.

``run_sweep(SweepRequest(...))`` is the library call behind ``pkgcad sweep``; see :mod:`pkgcad.sweep.run`.
"""

from .run import SweepRequest, SweepResult, run_sweep
from .variants import Plan, make_plan, refusals

__all__ = ["Plan", "SweepRequest", "SweepResult", "make_plan", "refusals", "run_sweep"]
