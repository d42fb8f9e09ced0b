"""The default solver mesh resolves where the heat crowds (issue 25 item 2). The per-template convergence table is
bench/thermal_convergence.py's (README, Thermal); this proves the part the default mesh had missed, at the lowest
cost that can fail. Millimetres, K/W."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import built

from pkgcad.conformal.meshing import mesh_model
from pkgcad.conformal.options import PRESETS
from pkgcad.solvers.conduction import prepare, solve
from pkgcad.thermal import jedec
from pkgcad.thermal.model import build_model


def theta_jc_top(template: str, edge: float) -> float:
    """theta-JC(top) of ``template`` alone (no board) at --mesh normal with ``edge`` x the near-chip size at the
    rims the model names."""
    model = build_model(built(template).layout, board=False)
    fm, _seconds = mesh_model(model.fem, replace(PRESETS["normal"], edge=edge))
    layers = tuple(p.name for p in model.fem.thin_parts())
    system = prepare(fm, model.conductivity_w_mk(fm), layers=layers)
    return solve(system, jedec.theta_jc_top(model.faces, 1.0)).theta_max_k_w


@pytest.mark.slow
def test_connecting_portion_theta_jc_top_is_resolved_at_the_adhesive_rim() -> None:
    """connecting-portion: the 4 x 4 mm adhesive under the connecting portion is smaller than the 6 x 6 mm chip,
    so the heat crowds at its rim. Halving the size at the rims (edge 0.25 -> 0.125 of the near-chip size)
    moves theta-JC(top) by under 0.5 % at the default (measured 1.3856 -> 1.3895 K/W, 0.28 %). Before the
    rims were refined the default (a uniform 0.25 mm there) gave 1.3723 K/W, 1.24 % under the same refined
    value: this bound fails for it."""
    default = PRESETS["normal"].edge
    assert default > 0.0
    normal, finer = theta_jc_top("connecting-portion", default), theta_jc_top("connecting-portion", default / 2)
    assert finer > normal  # refinement raises the resistance (a coarse mesh conducts too well)
    assert abs(normal / finer - 1.0) < 0.005
