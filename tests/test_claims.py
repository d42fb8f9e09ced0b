"""The claims table: which claims a package embodies is derived from its parameters (never copied from a
template), every claim 1-20 has a bundled template, a declared ``meta.claims`` must agree, and ``pkgcad check``
tags every row with an element that the table knows.

The expected claim sets below are written out by hand from the claim texts (pkgcad/screen/claims.txt), not
computed by ``pkgcad.claims``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TEMPLATES, spec_of
from typer.testing import CliRunner

from pkgcad.claims import CLAIMS, ELEMENT_IDS, claims_of, claims_of_spec
from pkgcad.cli import app
from pkgcad.errors import InputError
from pkgcad.templates import load_layout

# claim 1 family: 1 base; 2 footprint; 3 material; 4 substrate (5 wires / 6 bumps); 7 QFN (8 wires); 9 texture;
# 10 connecting portion; 11 adhesive. Claim 12 family: 12 base (buffer pad); 13; 14; 15 substrate (16 wires);
# 17 QFN (18 wires); 19 texture; 20 adhesive. A flip chip on a buffer pad has no claim of its own below 15.
EXPECTED = {
    "wirebond-bga": {1, 2, 3, 4, 5, 11},
    "flipchip-bga": {1, 2, 3, 4, 6, 11},
    "qfn": {1, 2, 3, 7, 8, 11},
    "connecting-portion": {1, 2, 3, 4, 5, 10, 11},
    "textured-first-surface": {1, 2, 3, 4, 6, 9, 10, 11},
    "buffer-pad": {12, 13, 14, 15, 16, 20},
    "qfn-buffer-pad": {12, 13, 14, 17, 18, 20},
    "buffer-pad-uneven": {12, 13, 14, 15, 19, 20},
}


def test_expectations_cover_the_bundled_templates() -> None:
    assert set(EXPECTED) == set(TEMPLATES)


@pytest.mark.parametrize("template", TEMPLATES)
def test_claims_derived_from_parameters(template: str) -> None:
    assert set(claims_of_spec(spec_of(template))) == EXPECTED[template]


def test_every_claim_has_a_bundled_template() -> None:
    covered = set().union(*(claims_of_spec(spec_of(t)) for t in TEMPLATES))
    assert covered == set(range(1, 21))


@pytest.mark.parametrize("template, sets, want", [
    # the case of the issue: a QFN given a buffer pad is a claim 12/17/18 package, not 1/7/8
    ("qfn", ("buffer_pad.enabled=true", "buffer_pad.size=[1.6, 1.6]", "adhesive.thickness=0.03"),
     {12, 13, 14, 17, 18, 20}),
    ("flipchip-bga", ("heat_sink.first_surface=corrugated", "adhesive.thickness=0.06"), {1, 2, 3, 4, 6, 9, 11}),
    ("buffer-pad", ("heat_sink.first_surface=roughened", "adhesive.thickness=0.06"), {12, 13, 14, 15, 16, 19, 20}),
    ("wirebond-bga", ("interface_layer.material=ptfe",), {1, 2, 3, 4, 5, 11}),
])
def test_overrides_change_the_claims(template: str, sets: tuple[str, ...], want: set[int]) -> None:
    assert set(claims_of_spec(spec_of(template, *sets))) == want


def _user_template(tmp_path: Path, claims: str) -> Path:
    text = (Path(__file__).parent.parent / "templates" / "qfn.toml").read_text()
    text = text.replace('[meta]\n', f'[meta]\nclaims = {claims}\n', 1)
    path = tmp_path / "mine.toml"
    path.write_text(text)
    return path


def test_declared_claims_that_agree_are_accepted(tmp_path: Path) -> None:
    path = _user_template(tmp_path, "[1, 2, 3, 7, 8, 11]")
    assert load_layout(str(path)).spec.meta.claims == (1, 2, 3, 7, 8, 11)


def test_declared_claims_that_disagree_are_refused(tmp_path: Path) -> None:
    path = _user_template(tmp_path, "[1, 2, 3, 7, 8, 11]")
    with pytest.raises(InputError) as info:
        load_layout(str(path), ["buffer_pad.enabled=true", "buffer_pad.size=[1.6, 1.6]", "adhesive.thickness=0.03"])
    msg = str(info.value)
    assert info.value.key == "meta.claims" and "\n" not in msg
    assert "also embodies 12, 13, 14, 17, 18, 20" in msg and "does not embody 1, 2, 3, 7, 8, 11" in msg
    assert "remove meta.claims" in msg


def test_declared_claims_refused_on_the_cli_with_exit_2(tmp_path: Path) -> None:
    path = _user_template(tmp_path, "[1, 2, 3, 4, 5]")
    res = CliRunner().invoke(app, ["show", str(path)])
    assert res.exit_code == 2
    assert res.output.count("\n") == 1 and "meta.claims" in res.output


def test_table_shape() -> None:
    assert sorted(CLAIMS) == list(range(1, 21))
    for n, c in CLAIMS.items():
        assert c.parent is None or c.parent < n  # dependent claims name an earlier claim
        assert c.elements, f"claim {n} names no check element"
    assert {n for n, c in CLAIMS.items() if c.parent is None} == {1, 12}
    # an element proves the claims that list it, among those a model embodies
    assert claims_of("wire_connection", {1, 2, 3, 4, 5, 11}) == (1, 5)
    assert claims_of("first_surface_textured", {12, 19}) == (19,)
    assert claims_of("buffer_pad_cte", {1, 2}) == ()


def test_claims_command_lists_all_twenty() -> None:
    res = CliRunner().invoke(app, ["claims"])
    assert res.exit_code == 0
    for n in range(1, 21):
        assert f"claim {n:>2} " in res.output
    assert "qfn-buffer-pad" in res.output and "templates: none" not in res.output
    assert all(e in res.output for e in ELEMENT_IDS)
