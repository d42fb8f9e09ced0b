"""The Layout is the one source of geometry (issue 20, item 3): no feature reads the footprint or a z level from
the spec, and a strip's sawn unit is a re-resolved, re-judged Layout (``Layout.resized``), not a copy with one
field replaced. Expected values are hand arithmetic from the bundled templates' TOML (mm)."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from pkgcad import rules
from pkgcad.templates import load_layout

PKG = Path(__file__).resolve().parent.parent / "pkgcad"
SPEC_GEOMETRY = {("carrier", "size"), ("carrier", "thickness"), ("balls", "height"), ("bumps", "height")}
"""Spec fields the Layout turns into geometry: the footprint and the z stack (seating plane, ball and bump z)."""
MAY_READ = {
    "layout.py",  # makes the Layout
    "rules.py",  # judges the spec (its messages name the spec's keys)
    "mockup/thicken.py",  # judges a thickened copy of the spec, naming its keys
    "export/estimate.py",  # a triangle-count estimate of a ball cap (not a placement); to read Layout.ball_z next
}


def test_no_feature_reads_the_footprint_or_a_z_level_from_the_spec() -> None:
    found = []
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG).as_posix()
        if rel in MAY_READ:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)
                    and (node.value.attr, node.attr) in SPEC_GEOMETRY):
                found.append(f"{rel}:{node.lineno}: .{node.value.attr}.{node.attr}")
    assert not found, found


def test_a_qfn_resized_by_a_rim_keeps_its_inside_and_runs_its_leads_to_the_new_side() -> None:
    lay = load_layout("qfn")  # 5 x 5 mm body, leads 0.4 mm long, 0.25 mm wide
    sawn = lay.resized((5.2, 5.2))
    rules.check(sawn)  # the package rules accept it
    assert sawn.footprint == (0.0, 0.0, 5.2, 5.2)
    assert sawn.rim == pytest.approx((0.1, 0.1), abs=1e-12)
    assert sawn.spec == lay.spec  # the package as designed
    for a, b in zip(lay.leads, sawn.leads, strict=True):
        assert b.side == a.side and b.bond == a.bond
        along = 0 if a.side % 2 == 0 else 1
        inner_a = abs(a.rect[along]) - a.rect[2 + along] / 2
        inner_b = abs(b.rect[along]) - b.rect[2 + along] / 2
        assert inner_b == pytest.approx(2.5 - 0.4, abs=1e-12) == inner_a  # inner end where it was
        assert abs(b.rect[along]) + b.rect[2 + along] / 2 == pytest.approx(2.6, abs=1e-12)  # at the sawn side
        assert b.rect[2 + along] == pytest.approx(0.5, abs=1e-12) and b.rect[3 - along] == 0.25
    assert [w.start for w in sawn.wires] == [w.start for w in lay.wires]
    assert [w.end for w in sawn.wires] == [w.end for w in lay.wires]
    assert (sawn.chip, sawn.die_pad, sawn.stack) == (lay.chip, lay.die_pad, lay.stack)


@pytest.mark.parametrize("template", ["wirebond-bga", "textured-first-surface"])
def test_a_resized_substrate_package_keeps_its_arrays_and_texture(template: str) -> None:
    lay = load_layout(template)
    _cx, _cy, sx, sy = lay.footprint
    sawn = lay.resized((sx + 0.4, sy + 0.4))
    rules.check(sawn)
    assert sawn.footprint[2:] == (sx + 0.4, sy + 0.4)
    assert sawn.bounds[0] == pytest.approx(-(sx + 0.4) / 2) and sawn.bounds[3] == pytest.approx((sx + 0.4) / 2)
    assert lay.balls is not None and sawn.balls is not None
    assert np.array_equal(sawn.balls.points, lay.balls.points) and sawn.balls.region == lay.balls.region
    assert np.array_equal(sawn.texture.asperities, lay.texture.asperities)
    assert sawn.texture.grooves == lay.texture.grooves and np.array_equal(sawn.texture.pockets, lay.texture.pockets)
    assert sawn.fingers == lay.fingers and sawn.seating_plane == lay.seating_plane


def test_the_strip_saws_units_through_resized() -> None:
    """A kerf narrower than the street: the sawn unit's layout is the unit resized to footprint + street - kerf
    (5 + 0.3 - 0.2 = 5.1 mm for the qfn), and it passed the package rules."""
    from pkgcad.strip.layout import strip_layout
    from pkgcad.strip.model import body_layout

    unit = load_layout("qfn")
    sawn = body_layout(strip_layout(unit, (2, 2), 0.3, 0.2, 1.0))
    assert sawn is not unit and sawn.footprint == pytest.approx((0.0, 0.0, 5.1, 5.1))
    assert sawn.rim == pytest.approx((0.05, 0.05))
    assert body_layout(strip_layout(unit, (2, 2), 0.3, 0.3, 1.0)) is unit  # the kerf fills the street
