"""Published thermal metrics of packages comparable to each template's kind, to read the computed ones against.

Each figure is a datasheet's (JEDEC 2s2p board, the metric as the vendor names it), with its source; none has the
claimed exposed heat sink, so they compare with each template's no-heat-sink baseline, not with its heat-sink
figures. Values in K/W (= degC/W).
"""

from __future__ import annotations

from dataclasses import dataclass

from pkgcad.layout import Layout


@dataclass(frozen=True)
class Published:
    """One comparable package's published metrics [K/W] (None: not published) and where they come from."""

    package: str
    theta_jc_top: tuple[float, float] | None
    theta_jc_bot: tuple[float, float] | None
    theta_jb: tuple[float, float] | None
    source: str

    def describe(self) -> str:
        parts = [f"{name} {_span(v)}" for name, v in (("theta-JC(top)", self.theta_jc_top),
                                                      ("theta-JC(bot)", self.theta_jc_bot),
                                                      ("theta-JB", self.theta_jb)) if v is not None]
        return f"{self.package}: {', '.join(parts)} K/W ({self.source})"


def _span(v: tuple[float, float]) -> str:
    return f"{v[0]:g}" if v[0] == v[1] else f"{v[0]:g}-{v[1]:g}"


PUBLISHED: dict[str, tuple[Published, ...]] = {
    "qfn": (
        Published("TI VQFN-14 (RHL, 3.5 x 3.5 mm)", (34.4, 34.4), (1.8, 1.8), (11.4, 11.4),
                  "TI TPS54623 data sheet, 6.4 Thermal Information"),
        Published("TI VQFN-36 (DP83TG720S-Q1)", (22.2, 22.2), (3.2, 3.2), None,
                  "TI DP83TG720S-Q1 data sheet, Thermal Information"),
    ),
    "wire-bond BGA": (
        Published("TI PBGA (ZCE, TMS320C6742)", (7.6, 7.6), None, (11.3, 11.3),
                  "TI TMS320C6742 data sheet, Table 8-1 (JEDEC 2s2p)"),
    ),
    "flip-chip BGA": (
        Published("Renesas (NEC) FCBGA, one-piece lid, 21-29 mm, die 3.0-13 mm", (0.3, 5.1), None, None,
                  "Renesas/NEC FCBGA thermal characteristics (simulated to JEDEC)"),
    ),
}
"""By package kind (:func:`kind`)."""


def kind(lay: Layout) -> str:
    """The package kind a template is compared as: qfn, flip-chip BGA (bumps) or wire-bond BGA."""
    if lay.qfn:
        return "qfn"
    return "flip-chip BGA" if lay.bumps is not None and lay.bumps.realised else "wire-bond BGA"
