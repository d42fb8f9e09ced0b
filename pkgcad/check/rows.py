"""A row of ``pkgcad check``: one claim element judged on the exported files, and small helpers the elements
share."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass
class Row:
    """``id`` names the claim element (see :data:`pkgcad.claims.CLAIMS`; "" for file hygiene); ``claims`` is
    filled in by :func:`pkgcad.check.run.run_checks` from the claims the model embodies."""

    id: str
    element: str
    measured: str
    tolerance: str
    passed: bool
    detail: str = ""
    claims: str = ""

    def __post_init__(self) -> None:
        self.passed = bool(self.passed)  # a numpy comparison gives numpy's bool, which JSON cannot write

    @property
    def status(self) -> str:
        return "PASS" if self.passed else "FAIL"

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "status": self.status}


def um(mm: float) -> str:
    return f"{mm * 1000:.1f} µm"


def grid(lo: float, hi: float, n: int, inset: float) -> np.ndarray:
    lo, hi = lo + inset, hi - inset
    if hi <= lo:
        return np.array([(lo + hi) / 2])
    return lo + (np.arange(n) + 0.5) * (hi - lo) / n
