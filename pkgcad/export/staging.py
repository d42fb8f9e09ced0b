"""Kept for imports written before the output guard: :func:`staged_dir` lives in :mod:`.outpath` now."""

from .outpath import staged_dir

__all__ = ["staged_dir"]
