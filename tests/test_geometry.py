"""Built geometry against the claims and plain arithmetic: validity, volumes, no overlaps, contacts, a mold
that fills the envelope exactly, and sides coplanar with the carrier footprint.

Every case is built once per test process (``conftest.built`` caches it) and judged by several tests.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from conftest import (
    OVERLAP_TOL,
    TEMPLATE_Z,
    TEMPLATES,
    TOUCH_TOL,
    Inst,
    ZLevels,
    adhesive_footprint,
    box_solid,
    built,
    common_volume,
    distance,
    instances,
    overlaps,
    parts_with_role,
    plane_area,
    rel_close,
    sample,
    spec_of,
    texture_recess,
    total_volume,
)

from pkgcad import layout
from pkgcad.errors import InputError
from pkgcad.layout import resolve
from pkgcad.materials import INTERFACE_MATERIALS
from pkgcad.package import Package, Part

#: id -> (template, --set overrides)
VARIANTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "flipchip-cp-corrugated-x": ("flipchip-bga", (
        "heat_sink.connecting_portion.enabled=true", "heat_sink.connecting_portion.size=[4.0, 4.0]",
        "heat_sink.connecting_portion.height=0.1", "heat_sink.first_surface=corrugated",
        "heat_sink.corrugated.direction=x", "heat_sink.material=aluminium")),
    "flipchip-cp-roughened": ("textured-first-surface", ("heat_sink.first_surface=roughened",)),
    "qfn-roughened": ("qfn", ("heat_sink.first_surface=roughened", "adhesive.thickness=0.14")),
    "flipchip-cp-dimples": ("textured-first-surface", ("heat_sink.first_surface=uneven",)),
    "qfn-steps": ("qfn", ("heat_sink.first_surface=uneven", "heat_sink.uneven.style=steps",
                          "heat_sink.uneven.depth=0.08")),
    "qfn-buffer-pad": ("qfn", ("buffer_pad.enabled=true", "buffer_pad.size=[1.5, 1.5]",
                               "buffer_pad.thickness=0.1", "buffer_pad.material=alloy42",
                               "adhesive.thickness=0.03")),
    "flipchip-peripheral": ("flipchip-bga", ("bumps.pattern=peripheral", "bumps.count=96",
                                             "balls.pattern=peripheral", "balls.count=36")),
    "wirebond-oblong": ("wirebond-bga", ("carrier.size=[12.0, 10.0]", "chip.size=[6.0, 4.0]", "wires.count=62",
                                         "adhesive.size=[4.0, 2.0]")),
}
#: The variants' z levels [mm], by hand from their template's (conftest.TEMPLATE_Z) and the overrides
VARIANT_Z: dict[str, ZLevels] = {
    # flipchip-bga's 0.36 / 0.45 / 0.75 / adhesive top 0.78; + 0.1 pedestal = 0.88; + 0.3 plate = 1.18; + 0.002
    "flipchip-cp-corrugated-x": ZLevels(0.36, 0.45, 0.75, None, None, 0.75, 0.78, 0.88, 1.18, 1.182),
    "flipchip-cp-roughened": TEMPLATE_Z["textured-first-surface"],  # the texture: no change of level
    # qfn's 0.428 chip top; + 0.14 adhesive = 0.568; + 0.25 plate = 0.818; + 0.003 layer = 0.821
    "qfn-roughened": ZLevels(0.203, 0.228, 0.428, None, None, 0.428, 0.568, 0.568, 0.818, 0.821),
    "flipchip-cp-dimples": TEMPLATE_Z["textured-first-surface"],
    "qfn-steps": TEMPLATE_Z["qfn"],
    # qfn's 0.428 chip top; + 0.02 pad attach = 0.448; + 0.1 pad = 0.548; + 0.03 adhesive = 0.578; + 0.25 plate
    # = 0.828; + 0.003 layer = 0.831
    "qfn-buffer-pad": ZLevels(0.203, 0.228, 0.428, 0.448, 0.548, 0.548, 0.578, 0.578, 0.828, 0.831),
    "flipchip-peripheral": TEMPLATE_Z["flipchip-bga"],
    "wirebond-oblong": TEMPLATE_Z["wirebond-bga"],
}
CASES: dict[str, tuple[str, tuple[str, ...]]] = {t: (t, ()) for t in TEMPLATES} | VARIANTS
INTERFACE_CASES = {f"qfn-{m}": ("qfn", (f"interface_layer.material={m}",)) for m in INTERFACE_MATERIALS}
ALL_CASES = CASES | INTERFACE_CASES

SLOW_CASES: dict[str, tuple[str, tuple[str, ...]]] = {
    "flipchip-1600-bumps": ("flipchip-bga", ("carrier.size=[12.0, 12.0]", "chip.size=[8.0, 8.0]",
                                             "bumps.count=1600", "balls.count=121")),
    "wirebond-400-wires": ("wirebond-bga", ("carrier.size=[16.0, 16.0]", "chip.size=[9.0, 9.0]",
                                            "wires.count=400", "balls.count=196")),
}


def pkg_of(case: str) -> Package:
    template, sets = (ALL_CASES | SLOW_CASES)[case]
    return built(template, *sets)


def z_of(case: str) -> ZLevels:
    """The case's z levels by hand: a variant's own, else its template's (the interface materials and the large
    models change no thickness)."""
    return VARIANT_Z.get(case) or TEMPLATE_Z[(ALL_CASES | SLOW_CASES)[case][0]]


def test_every_case_has_its_levels_by_hand() -> None:
    assert set(TEMPLATE_Z) == set(TEMPLATES) and set(VARIANT_Z) == set(VARIANTS)


# ----------------------------------------------------------------------------------------- arithmetic
def sphere_zone(r: float, a: float, b: float) -> float:
    """Volume of a sphere of radius ``r`` between heights ``a < b`` measured from its centre."""
    return math.pi * (r * r * (b - a) - (b**3 - a**3) / 3)


def cap(r: float, h: float) -> float:
    return math.pi * h * h * (3 * r - h) / 3


def heat_sink_volume(spec) -> float:  # type: ignore[no-untyped-def]
    hs = spec.heat_sink
    sx, sy = spec.carrier.size
    v = sx * sy * hs.thickness
    cp = hs.connecting_portion
    if cp.enabled:
        v += cp.size[0] * cp.size[1] * cp.height
    if hs.first_surface == "roughened":
        r = hs.roughened.diameter / 2
        v += sum(cap(r, float(d)) for d in resolve(spec).texture.asperities[:, 2])
    elif hs.first_surface == "corrugated":
        v -= sum(g[2] * g[3] * hs.corrugated.depth for g in resolve(spec).texture.grooves)
    elif hs.first_surface == "uneven":
        u, n = hs.uneven, len(resolve(spec).texture.pockets)
        if u.style == "steps":
            v -= n * u.size**2 * u.depth
        else:
            r = ((u.size / 2) ** 2 + u.depth**2) / (2 * u.depth)
            v -= n * cap(r, u.depth)
    return v


def wire_volume(path: layout.WirePath, diameter: float) -> float:
    """Pappus: section area times centre-line length (bends wider than the wire never fold over)."""
    r, h = path.radius, path.height
    centre = (h - r) + (h - r - path.drop) + (path.length - 2 * r) + math.pi * r
    return math.pi * (diameter / 2) ** 2 * centre


def expected_volumes(pkg: Package) -> dict[str, float]:
    """Volume of ONE instance of each part whose volume is plain arithmetic."""
    spec = pkg.spec
    sx, sy = spec.carrier.size
    cx, cy = spec.chip.size
    out: dict[str, float] = {
        "chip": cx * cy * spec.chip.thickness,
        "adhesive": float(np.prod(adhesive_footprint(spec))) * spec.adhesive.thickness,
        "interface_layer": sx * sy * spec.interface_layer.thickness,
        "heat_sink": heat_sink_volume(spec),
    }
    if spec.qfn:
        out["die_pad"] = float(np.prod(spec.die_pad.size)) * spec.carrier.thickness
        out["lead"] = spec.leads.length * spec.leads.width * spec.carrier.thickness
    else:
        out["carrier"] = sx * sy * spec.carrier.thickness
    if spec.wirebond:
        out["die_attach"] = cx * cy * spec.die_attach.thickness
        if not spec.qfn:
            w = spec.wires
            out["bond_finger"] = w.finger_length * w.finger_width * w.finger_thickness
    else:
        b = spec.bumps
        out["bump"] = sphere_zone(b.diameter / 2, -b.height / 2, b.height / 2)
    if not spec.qfn and spec.balls.count:
        b = spec.balls
        r = b.diameter / 2
        out["ball"] = sphere_zone(r, -r, b.height - r)
    if spec.buffer_pad.enabled:
        bp = spec.buffer_pad
        out["buffer_pad"] = bp.size[0] * bp.size[1] * bp.thickness
        out["buffer_pad_attach"] = bp.size[0] * bp.size[1] * bp.attach_thickness
    return out


# ------------------------------------------------------------------------------------------- validity
@pytest.mark.parametrize("case", ALL_CASES)
def test_parts_valid(case: str) -> None:
    pkg = pkg_of(case)
    assert pkg.parts[-1].role == "encapsulant"
    names = [p.name for p in pkg.parts]
    assert len(names) == len(set(names)), "part names repeat"
    inst_names = [pl.name for p in pkg.parts for pl in p.placements]
    assert len(inst_names) == len(set(inst_names)), "instance names repeat"
    for part in pkg.parts:
        solid = part.solid()  # a tiled encapsulant: its tiles glued
        assert solid.isValid(), part.name
        assert len(solid.Solids()) == 1, part.name
        assert part.volume() > 0, part.name
        assert solid.Volume() == pytest.approx(part.volume(), rel=1e-9), part.name
        if part.tiling is not None:  # each tile is valid too, and the tiles fill exactly the glued solid
            assert all(s.isValid() for s in part.tiling.shapes), part.name
            assert part.shape.Volume() == pytest.approx(solid.Volume(), rel=1e-9), part.name


@pytest.mark.parametrize("case", CASES)
def test_realized_counts(case: str) -> None:
    pkg = pkg_of(case)
    spec = pkg.spec
    count = {role: sum(p.count for p in pkg.parts if p.role == role) for role in ("wire", "bump", "ball")}
    assert count["wire"] == (spec.wires.count if spec.wirebond else 0)
    if not spec.wirebond:
        b = spec.bumps
        arr = layout.fit_array(b.count, b.pitch, b.diameter, spec.chip.size, b.pattern)
        assert count["bump"] == arr.count
    if spec.qfn:
        assert pkg.part("lead").count == spec.leads.count and count["ball"] == 0
    else:
        assert count["ball"] == (layout.fit_array(spec.balls.count, spec.balls.pitch, spec.balls.diameter,
                                                  tuple(s - 2 * spec.rules.saw_margin for s in spec.carrier.size),
                                                  spec.balls.pattern).count if spec.balls.count else 0)
    realised = pkg.layout.bumps.realised if pkg.layout.bumps else 0
    assert realised == count["bump"] and len(pkg.layout.wires) == count["wire"]


@pytest.mark.parametrize("case", ALL_CASES)
def test_materials(case: str) -> None:
    pkg = pkg_of(case)
    spec = pkg.spec
    assert pkg.part("interface_layer").material == spec.interface_layer.material
    assert pkg.part("heat_sink").material == spec.heat_sink.material
    assert pkg.part("encapsulant").material == "mold-compound"
    assert pkg.part("adhesive").material == spec.adhesive.material
    if spec.buffer_pad.enabled:
        assert pkg.part("buffer_pad").material == spec.buffer_pad.material
    for p in parts_with_role(pkg, "wire"):
        assert p.material == "gold"


# -------------------------------------------------------------------------------------------- volumes
@pytest.mark.parametrize("case", ALL_CASES)
def test_volumes_match_arithmetic(case: str) -> None:
    pkg = pkg_of(case)
    want = expected_volumes(pkg)
    for name, v in want.items():
        got = pkg.part(name).volume()
        assert rel_close(got, v, 1e-6), f"{name}: {got} != {v}"
    if pkg.spec.wirebond:
        paths = {w.path.key(): w.path for w in pkg.layout.wires}
        for part in parts_with_role(pkg, "wire"):
            first = next(w for w in pkg.layout.wires if f"wire_{w.index:03d}" == part.placements[0].name)
            assert first.path.key() in paths
            assert rel_close(part.volume(), wire_volume(first.path, pkg.spec.wires.diameter), 1e-6), part.name


# ------------------------------------------------------------------------------------------- overlaps
@pytest.mark.parametrize("case", CASES)
def test_no_overlaps(case: str) -> None:
    bad = overlaps(pkg_of(case))
    assert not bad, f"overlapping parts (mm^3): {bad[:10]}"


# ------------------------------------------------------------------------------------------- contacts
def _one(pkg: Package, name: str) -> Inst:
    return instances(pkg.part(name))[0]


def _touch(a: Inst, b: Inst) -> None:
    d = distance(a.shape, b.shape)
    assert d <= TOUCH_TOL, f"{a.label} and {b.label} do not touch (distance {d:.3g} mm)"
    v = common_volume(a.shape, b.shape)
    assert v < OVERLAP_TOL, f"{a.label} and {b.label} overlap by {v:.3g} mm^3"


def _carrier_base(pkg: Package) -> str:
    return "die_pad" if pkg.spec.qfn else "carrier"


@pytest.mark.parametrize("case", CASES)
def test_thermal_path_touches(case: str) -> None:
    """Claims 1, 11, 12, 20: chip - [buffer pad stack] - adhesive - heat sink, interface layer on top."""
    pkg = pkg_of(case)
    chain = ["chip"]
    if pkg.spec.buffer_pad.enabled:
        chain += ["buffer_pad_attach", "buffer_pad"]
    chain += ["adhesive", "heat_sink", "interface_layer"]
    for a, b in itertools.pairwise(chain):
        _touch(_one(pkg, a), _one(pkg, b))


@pytest.mark.parametrize("case", CASES)
def test_chip_mounted_on_carrier(case: str) -> None:
    pkg = pkg_of(case)
    chip, base = _one(pkg, "chip"), _one(pkg, _carrier_base(pkg))
    if pkg.spec.wirebond:
        attach = _one(pkg, "die_attach")
        _touch(chip, attach)
        _touch(attach, base)
    else:
        for bump in sample(instances(pkg.part("bump"))):
            _touch(bump, chip)
            _touch(bump, base)
    if not pkg.spec.qfn and pkg.spec.balls.count:
        for ball in sample(instances(pkg.part("ball"))):
            _touch(ball, base)
            assert ball.hi[2] <= 1e-9  # under the substrate


@pytest.mark.parametrize("case", [c for c, (t, sets) in CASES.items() if spec_of(t, *sets).wirebond])
def test_wires_bond_die_to_fingers_or_leads(case: str) -> None:
    """Claims 5, 8: each wire starts on the die top and ends on its bond finger (substrate) or lead (QFN),
    touching both without overlap, and keeps rules.min_gap from the heat sink and the thermal stack."""
    pkg = pkg_of(case)
    spec = pkg.spec
    st = z_of(case)
    chip = _one(pkg, "chip")
    wires = [i for p in parts_with_role(pkg, "wire") for i in instances(p)]
    assert len(wires) == spec.wires.count
    by_name = {w.name: w for w in wires}
    landings = instances(pkg.part("lead" if spec.qfn else "bond_finger"))
    clear_of = [_one(pkg, n) for n in ("heat_sink", "adhesive", "buffer_pad", "buffer_pad_attach")
                if any(p.name == n for p in pkg.parts)]
    land_z = spec.carrier.thickness if spec.qfn else st.carrier_top + spec.wires.finger_thickness
    for lw in sample([w for w in resolve(spec).wires], k=4):
        wire = by_name[f"wire_{lw.index:03d}"]
        _touch(wire, chip)
        if spec.qfn:
            end = np.array(lw.end[:2])
            (landing,) = [ld for ld in landings if np.all((ld.lo[:2] <= end) & (end <= ld.hi[:2]))]
        else:
            landing = landings[lw.index]
            assert landing.name == f"bond_finger_{lw.index:03d}"
        _touch(wire, landing)
        # the wire's foot is on the landing's top face
        assert wire.lo[2] == pytest.approx(land_z, abs=1e-6)
        assert landing.hi[2] == pytest.approx(land_z, abs=1e-6)
        for part in clear_of:
            d = distance(wire.shape, part.shape)
            assert d >= spec.rules.min_gap - 1e-9, f"{wire.label} is {d:.4g} mm from {part.label}"


@pytest.mark.parametrize("case", CASES)
def test_first_surface_spacing(case: str) -> None:
    """Claim 10: beside the connecting portion the first surface is spaced from the chip; claim 12: the
    buffer pad spaces the first surface from the chip; otherwise the adhesive bond line is the spacing."""
    pkg = pkg_of(case)
    spec = pkg.spec
    st = z_of(case)
    hs, chip = _one(pkg, "heat_sink"), _one(pkg, "chip")
    d = distance(hs.shape, chip.shape)
    cp = spec.heat_sink.connecting_portion
    if spec.buffer_pad.enabled:
        assert d >= spec.buffer_pad.thickness + spec.buffer_pad.attach_thickness - 1e-9
    elif spec.heat_sink.first_surface == "roughened":
        assert d >= spec.rules.min_gap - 1e-9
    else:
        assert d == pytest.approx(spec.adhesive.thickness, abs=1e-7)
    if cp.enabled and spec.heat_sink.first_surface != "roughened":
        sx, sy = spec.carrier.size
        below = box_solid(-sx, -sy, st.chip_top - 1.0, sx, sy, st.first_surface)
        # all the heat sink has below its first surface is the pedestal
        assert rel_close(common_volume(hs.shape, below), cp.size[0] * cp.size[1] * cp.height, 1e-6)
        assert st.first_surface - st.chip_top >= cp.height + spec.adhesive.thickness - 1e-9


# --------------------------------------------------------------------------------------------- filling
def _inside_parts(pkg: Package) -> list[Part]:
    """Parts held by the mold (QFN: the lead frame too), apart from the heat sink."""
    outside = {"ball", "heat_sink", "interface_layer", "encapsulant"}
    return [p for p in pkg.parts if p.role not in outside and (pkg.spec.qfn or p.name != "carrier")]


@pytest.mark.parametrize("case", ALL_CASES)
def test_package_box_filled_exactly(case: str) -> None:
    """All parts but the balls fill the box from the package bottom to the interface layer's top: no void, no
    overlap (their volumes add up to the box)."""
    pkg = pkg_of(case)
    sx, sy = pkg.spec.carrier.size
    box = sx * sy * z_of(case).interface_top
    got = total_volume(p for p in pkg.parts if p.role != "ball")
    assert rel_close(got, box, 1e-6), f"parts {got} mm^3, box {box} mm^3 ({got / box - 1:+.3g})"


@pytest.mark.parametrize("case", CASES)
def test_mold_fills_envelope_exactly(case: str) -> None:
    """Claim 1: the encapsulant fills the gap between the first surface and the carrier. Its volume plus what
    it holds equals the mold envelope: the box from the carrier (QFN: the bottom) to the first surface, plus
    the first surface's recesses."""
    pkg = pkg_of(case)
    spec = pkg.spec
    st = z_of(case)
    sx, sy = spec.carrier.size
    z0 = 0.0 if spec.qfn else st.carrier_top
    hs = pkg.part("heat_sink").shape
    below = common_volume(hs, box_solid(-sx, -sy, z0 - 1.0, sx, sy, st.first_surface))
    in_plate = common_volume(hs, box_solid(-sx / 2, -sy / 2, st.first_surface, sx / 2, sy / 2, st.second_surface))
    recesses = sx * sy * spec.heat_sink.thickness - in_plate
    assert recesses >= -1e-9
    if spec.heat_sink.first_surface in ("corrugated", "uneven"):
        assert recesses > 0
    envelope = sx * sy * (st.first_surface - z0) + recesses
    got = pkg.part("encapsulant").volume() + total_volume(_inside_parts(pkg)) + below
    assert rel_close(got, envelope, 1e-6), f"mold + inside {got} mm^3, envelope {envelope} mm^3"


@pytest.mark.parametrize("case", CASES)
def test_sides_coplanar_with_carrier(case: str) -> None:
    """Claims 1, 2: heat-sink sides, interface-layer sides and the encapsulant's side edges lie in the four
    planes of the carrier's sides, each filling its whole band of them; the heat sink's footprint is the
    carrier's."""
    pkg = pkg_of(case)
    spec = pkg.spec
    st = z_of(case)
    sx, sy = spec.carrier.size
    z0 = 0.0 if spec.qfn else st.carrier_top
    per_side_leads = layout.split_sides(spec.leads.count) if spec.qfn else [0, 0, 0, 0]
    lead_end = spec.leads.width * spec.carrier.thickness
    for side, (axis, sign) in enumerate(((0, 1), (1, 1), (0, -1), (1, -1))):
        half = (sx if axis == 0 else sy) / 2
        span = sy if axis == 0 else sx
        want = {
            "heat_sink": span * spec.heat_sink.thickness,
            "interface_layer": span * spec.interface_layer.thickness,
            # the mold's side edge: the whole band from carrier (QFN: bottom) to the first surface, less the
            # flush lead ends
            "encapsulant": span * (st.first_surface - z0) - per_side_leads[side] * lead_end,
        }
        if not spec.qfn:
            want["carrier"] = span * spec.carrier.thickness
        for name, area in want.items():
            got = plane_area(pkg.part(name).shape, axis, sign * half, sign)
            assert rel_close(got, area, 1e-6), f"{name} side {side}: {got} mm^2 in the side plane, want {area}"
        if spec.qfn:
            ends = sum(plane_area(i.shape, axis, sign * half, sign) for i in instances(pkg.part("lead")))
            assert rel_close(ends, per_side_leads[side] * lead_end, 1e-6)
    # footprints: heat sink (claim 2), interface layer and encapsulant are the carrier's rectangle
    box = pytest.approx([-sx / 2, -sy / 2, sx / 2, sy / 2], abs=1e-6)
    for name in ("heat_sink", "interface_layer", "encapsulant"):
        inst = _one(pkg, name)
        assert [inst.lo[0], inst.lo[1], inst.hi[0], inst.hi[1]] == box, name
    carrier = [i for p in pkg.parts if p.role == "carrier" for i in instances(p)]
    lo, hi = np.min([i.lo for i in carrier], axis=0), np.max([i.hi for i in carrier], axis=0)
    assert [lo[0], lo[1], hi[0], hi[1]] == box
    # second surface: the whole rectangle, under the whole interface layer
    assert rel_close(plane_area(pkg.part("heat_sink").shape, 2, st.second_surface, 1), sx * sy, 1e-6)
    assert rel_close(plane_area(pkg.part("interface_layer").shape, 2, st.second_surface, -1), sx * sy, 1e-6)


@pytest.mark.parametrize("case", CASES)
def test_encapsulant_leaves_interface_exposed(case: str) -> None:
    """Claim 1: the interface layer (and the heat sink's sides, see above) stay out of the encapsulant, whose
    top is the first surface (with its recesses)."""
    pkg = pkg_of(case)
    st = z_of(case)
    enc = _one(pkg, "encapsulant")
    z0 = 0.0 if pkg.spec.qfn else st.carrier_top
    assert enc.lo[2] == pytest.approx(z0, abs=1e-6)
    assert enc.hi[2] == pytest.approx(st.first_surface + texture_recess(pkg.spec), abs=1e-6)
    assert enc.hi[2] < st.second_surface <= _one(pkg, "interface_layer").lo[2] + 1e-9
    # the mold's top faces at the first surface cover all of the heat sink's flat first surface but what the
    # adhesive covers (with a connecting portion, the adhesive is under the pedestal, lower down)
    up = plane_area(enc.shape, 2, st.first_surface, 1)
    down = plane_area(pkg.part("heat_sink").shape, 2, st.first_surface, -1)
    glued = 0.0 if pkg.spec.heat_sink.connecting_portion.enabled else float(np.prod(adhesive_footprint(pkg.spec)))
    assert up > 0 and rel_close(up + glued, down, 1e-6), (up, glued, down)


# ------------------------------------------------------------------------------------------ known bugs
def test_qfn_wire_drop_clears_the_die_edge() -> None:
    """A die overhanging its QFN pad used to reach into the wires' vertical drop onto the leads (leads.length
    0.1, wires.diameter 0.1, die 4.8 on a 4.6 die pad). That spec is now refused; built AT the stated limit,
    every wire clears the die by rules.min_gap, and not much more."""
    sets = ("leads.length=0.1", "wires.diameter=0.1", "wires.bend_radius=0.1", "wires.loop_height=0.12",
            "die_pad.size=[4.6, 4.6]", "wires.pad_inset=0.5", "adhesive.thickness=0.3")
    with pytest.raises(InputError) as info:
        spec_of("qfn", *sets, "chip.size=[4.8, 4.8]")
    assert info.value.key == "chip.size" and "(<= 4.726 mm)" in str(info.value)
    pkg = built("qfn", *sets, "chip.size=[4.726, 4.726]")
    chip = _one(pkg, "chip")
    wires = [i for p in parts_with_role(pkg, "wire") for i in instances(p)]
    assert len(wires) == pkg.spec.wires.count
    worst = max(common_volume(w.shape, chip.shape) for w in sample(wires))
    assert worst < OVERLAP_TOL
    # every wire starts ON the die top (its ball on the pad): measure to the die's side faces instead
    sides = [f for f in chip.shape.Faces() if abs(f.normalAt().z) < 1e-9]
    assert len(sides) == 4
    closest = min(distance(w.shape, f) for w in wires for f in sides)
    gap = pkg.spec.rules.min_gap
    assert gap - 1e-6 <= closest <= gap + 1e-3, closest


def test_corner_bond_fingers_do_not_overlap() -> None:
    """The corner fingers of neighbouring sides used to overlap (wires.count=16, pitch=1.9, finger_width=1.0,
    span=0.3 on wirebond-bga). That spec is now refused with both limits; built AT either limit, the corner
    fingers keep rules.min_gap / 2 apart, and not much more (the limit is the geometric one, not a margin)."""
    sets = ("wires.count=16", "wires.pitch=1.9", "wires.finger_width=1.0", "wires.span=0.3")
    with pytest.raises(InputError) as info:
        spec_of("wirebond-bga", *sets)
    assert info.value.key == "wires.finger_width"
    assert "wires.finger_width <= 0.47 mm or wires.span >= 0.565 mm" in str(info.value)
    for fix in ("wires.finger_width=0.47", "wires.span=0.565"):
        pkg = built("wirebond-bga", *sets, fix)
        fingers = instances(pkg.part("bond_finger"))
        assert len(fingers) == 16
        worst = max((common_volume(a.shape, b.shape) for i, a in enumerate(fingers) for b in fingers[i + 1:]
                     if np.all(a.lo <= b.hi) and np.all(b.lo <= a.hi)), default=0.0)
        assert worst < OVERLAP_TOL
        closest = min(distance(a.shape, b.shape) for i, a in enumerate(fingers) for b in fingers[i + 1:])
        gap = pkg.spec.rules.min_gap / 2
        assert gap - 1e-6 <= closest <= math.sqrt(2) * gap + 1e-6, (fix, closest)


# -------------------------------------------------------------------------------------------- large
@pytest.mark.slow
@pytest.mark.parametrize("case", SLOW_CASES)
def test_large_models(case: str) -> None:
    pkg = pkg_of(case)
    for part in pkg.parts:
        assert part.solid().isValid(), part.name
    assert not overlaps(pkg, k=6)
    sx, sy = pkg.spec.carrier.size
    box = sx * sy * z_of(case).interface_top
    assert rel_close(total_volume(p for p in pkg.parts if p.role != "ball"), box, 1e-6)
    for name, v in expected_volumes(pkg).items():
        assert rel_close(pkg.part(name).volume(), v, 1e-6), name


# -------------------------------------------------------------------------------------------- tile plan
def _bump_boxes(n: int, pitch: float, diameter: float) -> np.ndarray:
    """xy boxes (xmin, ymin, xmax, ymax) of an n x n bump array centred on the origin, as the tile plan sees
    them."""
    c = (np.arange(n) - (n - 1) / 2) * pitch
    x, y = (a.ravel() for a in np.meshgrid(c, c, indexing="ij"))
    r = diameter / 2
    return np.column_stack([x - r, y - r, x + r, y + r])


@pytest.mark.parametrize("n, side", [(20, 10.0), (141, 27.0), (316, 50.0)])
def test_tile_lines_run_between_the_bumps_and_make_few_kinds_of_tile(n: int, side: float) -> None:
    """bench/scale.py's bumps (0.08 mm at 0.13 mm pitch: 0.05 mm between two, less than twice the clearance a
    tile line keeps from box sides on a 27 or 50 mm substrate). No line may cross a bump (a line through 35,000
    bumps made them tools to clip: 45 s at 100,000 bumps), and the tiles hold k columns each, the rest in the
    last one, so that inner tiles are congruent: at most three tile widths along an axis (the two end tiles,
    reaching the substrate's edge, and the inner width)."""
    from pkgcad.geometry.tiles import TOOLS_PER_TILE, plan_tiles

    boxes = _bump_boxes(n, 0.13, 0.08)
    plan = plan_tiles((-side / 2, -side / 2, side / 2, side / 2), boxes)
    assert plan.count >= n * n / TOOLS_PER_TILE / 2
    for lines, lo, hi in ((plan.xs[1:-1], boxes[:, 0], boxes[:, 2]), (plan.ys[1:-1], boxes[:, 1], boxes[:, 3])):
        line = np.asarray(lines)[:, None]
        assert not ((lo[None] < line) & (line < hi[None])).any(), "a tile line crosses a bump"
        assert np.allclose(np.diff(np.asarray(lines)), np.diff(np.asarray(lines))[0], atol=1e-9)
        assert len(np.unique(np.round(np.diff(np.asarray(plan.xs)), 9))) <= 3


def test_tools_are_binned_to_the_tiles_they_overlap() -> None:
    """The tiles each tool is cut with, found by binning, are those a test of every tool against every tile
    finds: random boxes, small and large, some on a tile line, some outside."""
    from pkgcad.geometry.tiles import TilePlan, _over, _overlaps

    rng = np.random.default_rng(7)
    lo = rng.uniform(-6, 6, (2000, 2))
    size = np.where(rng.random((2000, 1)) < 0.05, rng.uniform(2, 9, (2000, 2)), rng.uniform(0.01, 0.4, (2000, 2)))
    boxes = np.column_stack([lo, lo + size])
    boxes[:10, 0] = 1.0  # a box side exactly on a tile line
    plan = TilePlan((-5.0, -2.0, 1.0, 2.5, 5.0), (-5.0, -1.0, 0.5, 5.0))

    class Boxes:  # what _over and _overlaps read of a Tools
        pass

    tools = Boxes()
    tools.boxes = boxes  # type: ignore[attr-defined]
    got = _overlaps(tools, plan)  # type: ignore[arg-type]
    want = [_over(tools, rect) for rect in plan.rects()]  # type: ignore[arg-type]
    assert len(got) == len(want) == plan.count
    for g, w in zip(got, want, strict=True):
        assert np.array_equal(g, w)
    per_tool = np.bincount(np.concatenate(want), minlength=len(boxes))
    assert per_tool.max() >= 6 and (per_tool == 0).any() and (per_tool == 1).sum() > 1000  # large, outside, small
