"""What one steady-conduction run asks: a heat source, held and convective faces, faces to monitor.

Faces are ``faces.Face`` selections (part + side); temperatures are degC, powers W, film coefficients W/(m2 K)
(converted to W/(mm2 K) by the solver, which works in millimetres).
"""

from __future__ import annotations

from dataclasses import dataclass

from pkgcad.thermal.faces import Face


@dataclass(frozen=True)
class HeatSource:
    """Power P (W) entering uniformly (flux P / A) through a face, e.g. the chip's active face."""

    face: Face
    power_w: float = 1.0
    name: str = "junction"

    def __post_init__(self) -> None:
        if not self.power_w > 0.0:
            raise ValueError(f"heat source power {self.power_w!r} W must be positive")


@dataclass(frozen=True)
class Isothermal:
    """A face held at one temperature (a cold plate, the board side)."""

    face: Face
    temperature_c: float = 25.0
    name: str = ""

    @property
    def title(self) -> str:
        return self.name or self.face.describe()


@dataclass(frozen=True)
class Convective:
    """A Robin face: heat flux h (T - T_ambient) leaves it. Also models a thin layer under a held face, h = k/t."""

    face: Face
    h_w_m2k: float
    ambient_c: float = 25.0
    name: str = ""

    def __post_init__(self) -> None:
        if not self.h_w_m2k > 0.0:
            raise ValueError(f"film coefficient h={self.h_w_m2k!r} W/(m2 K) must be positive")

    @property
    def title(self) -> str:
        return self.name or self.face.describe()


def series_h_w_m2k(h_w_m2k: float | None, layers: tuple[tuple[float, float], ...]) -> float:
    """Film coefficient of layers (thickness mm, k W/m K) in series with a film h (None: a held face).

    A thin interface layer under a cold plate is exactly h = k / t (1-D through the layer); with a film
    coefficient on top it is 1 / (1/h + sum t/k).
    """
    r_m2k_w = 0.0 if h_w_m2k is None else 1.0 / h_w_m2k
    for thickness_mm, k_w_mk in layers:
        if not thickness_mm > 0.0 or not k_w_mk > 0.0:
            raise ValueError(f"layer thickness {thickness_mm!r} mm and k {k_w_mk!r} W/m K must be > 0")
        r_m2k_w += thickness_mm * 1e-3 / k_w_mk
    if r_m2k_w <= 0.0:
        raise ValueError("a series film needs a film coefficient or at least one layer")
    return 1.0 / r_m2k_w


@dataclass(frozen=True)
class Scenario:
    """One boundary-value problem: the source, the held and convective faces, and the faces to report."""

    name: str
    description: str
    source: HeatSource
    isothermal: tuple[Isothermal, ...] = ()
    convective: tuple[Convective, ...] = ()
    monitors: tuple[tuple[str, Face], ...] = ()

    def __post_init__(self) -> None:
        if not self.isothermal and not self.convective:
            raise ValueError(f"scenario {self.name!r}: no held or convective face, so no steady state exists")

    @property
    def reference_c(self) -> float:
        """The temperature the thermal resistance is measured from: the held face, else the ambient."""
        return self.isothermal[0].temperature_c if self.isothermal else self.convective[0].ambient_c
