"""Rules that tie several fields together, judged on the resolved :class:`~pkgcad.layout.Layout` before any
geometry is made.

Each rule raises :class:`~pkgcad.errors.InputError` naming the key, the value and what is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection

from .errors import InputError
from .layout import SIDE_NAMES, Layout, Sites, fit_array, split_sides
from .materials import BUFFER_CTE_TOLERANCE_PPM_K, material
from .spec import MAX_BALLS, MAX_BUMPS, MAX_TEXTURE_FEATURES, MIN_FEATURE, PackageSpec


def _mm(x: float) -> str:
    return f"{x:.4g} mm"


def _mm_down(x: float) -> str:
    """An upper limit, rounded down to the 4 digits shown, so the number printed is itself allowed."""
    return _mm(_round4(x, math.floor))


def _mm_up(x: float) -> str:
    """A lower limit, rounded up to the 4 digits shown."""
    return _mm(_round4(x, math.ceil))


def _round4(x: float, how: Callable[[float], int]) -> float:
    if x == 0:
        return 0.0
    scale = 10.0 ** (3 - math.floor(math.log10(abs(x))))
    nudge = 1e-9 if how is math.floor else -1e-9  # 0.47 * 1000 may be 469.99999999999994
    return how(x * scale + nudge) / scale


def check(lay: Layout, changed: Collection[str] = ()) -> None:
    """Raise :class:`InputError` for the first rule the layout ``lay`` (and its spec) breaks. ``changed``: the
    dotted keys the user set (``--set``); a rule two keys break names the one the user set."""
    spec = lay.spec
    _carrier(spec)
    if spec.wirebond:
        _wires(lay)
    else:
        _bumps(lay)
    if not spec.qfn:
        _balls(lay)
    _realised(lay)
    _attach(lay, changed)
    _texture(lay)
    _plating(spec)
    _materials(spec)


def _carrier(spec: PackageSpec) -> None:
    cs, m = spec.carrier.size, spec.rules.saw_margin
    for i, axis in enumerate("xy"):
        room = cs[i] - 2 * m
        if spec.chip.size[i] > room:
            raise InputError("chip.size", spec.chip.size, f"the die's {axis} size {_mm(spec.chip.size[i])} must "
                             f"fit inside the {_mm(cs[i])} carrier less the saw margin (rules.saw_margin = {_mm(m)} "
                             "on each side, where the saw cuts)",
                             f"chip.size[{i}] <= {_mm(room)}, or a larger carrier.size")
    if spec.qfn:
        if spec.chip.connection != "wirebond":
            raise InputError("chip.connection", spec.chip.connection, "a QFN lead frame takes wire bonding "
                             "(claims 7, 8); use carrier.kind = 'substrate' for flip chip")
        ld = spec.leads
        if ld.count % 4:
            raise InputError("leads.count", ld.count, "must be a multiple of 4 (leads on four sides)")
        if ld.width >= ld.pitch:
            raise InputError("leads.width", ld.width, f"must be less than leads.pitch ({_mm(ld.pitch)})")
        per_side = ld.count // 4
        for i, axis in enumerate("xy"):
            row = (per_side - 1) * ld.pitch + ld.width
            room = cs[1 - i] - 2 * (ld.length + m)
            if row > room:
                raise InputError("leads.count", ld.count, f"{per_side} leads a side at pitch {ld.pitch:g} span "
                                 f"{_mm(row)}; the {axis} side holds {_mm(room)} between the corner leads")
        for i, axis in enumerate("xy"):
            room = cs[i] - 2 * (ld.length + m)
            if spec.die_pad.size[i] > room:
                raise InputError("die_pad.size", spec.die_pad.size, f"die pad {axis} must clear the leads by "
                                 f"the saw margin (<= {_mm(room)})")
            if spec.chip.size[i] > spec.die_pad.size[i] + 2 * m:
                raise InputError("chip.size", spec.chip.size, f"die {axis} may overhang the die pad by at "
                                 f"most rules.saw_margin (<= {_mm(spec.die_pad.size[i] + 2 * m)})")


def _wires(lay: Layout) -> None:
    spec = lay.spec
    w = spec.wires
    per_side = max(split_sides(w.count))
    for i, axis in enumerate("xy"):
        along = spec.chip.size[1 - i]
        corner = w.pad_inset + w.diameter + spec.rules.min_gap
        row = (per_side - 1) * w.pitch
        if row > along - 2 * corner:
            raise InputError("wires.count", w.count, f"{per_side} pads a side at wires.pitch {w.pitch:g} need "
                             f"{_mm(row + 2 * corner)} of die side {axis}; it has {_mm(along)}")
    if w.pitch < w.diameter + spec.rules.min_gap / 2:
        least = w.diameter + spec.rules.min_gap / 2
        raise InputError("wires.pitch", w.pitch, f"must leave a gap between wires (>= {_mm(least)})")
    if w.pad_inset < w.diameter / 2 + 0.005:
        least = w.diameter / 2 + 0.005
        raise InputError("wires.pad_inset", w.pad_inset, f"the ball must sit on the die (>= {_mm(least)})")
    if w.bend_radius > w.loop_height:
        raise InputError("wires.bend_radius", w.bend_radius,
                         f"must not exceed wires.loop_height ({_mm(w.loop_height)})")
    if w.loop_height - w.bend_radius < MIN_FEATURE:  # the rise under the first bend: none is a zero-length edge
        most = w.loop_height - MIN_FEATURE               # OCCT cannot sweep (a randomised run found it)
        raise InputError("wires.bend_radius", w.bend_radius,
                         f"must stay {_mm(MIN_FEATURE)} under wires.loop_height ({_mm(w.loop_height)}): the wire "
                         "rises straight from its ball before the first bend",
                         (f"lower wires.bend_radius to <= {_mm_down(most)} or r" if most >= w.diameter else "r")
                         + f"aise wires.loop_height to >= {_mm_up(w.bend_radius + MIN_FEATURE)}")
    if w.bend_radius < w.diameter:
        raise InputError("wires.bend_radius", w.bend_radius, f"must be at least the wire diameter ({_mm(w.diameter)})")
    if spec.qfn:
        if w.count > spec.leads.count:
            raise InputError("wires.count", w.count, f"a QFN wires each pad to a lead: at most leads.count "
                             f"({spec.leads.count})")
        # the wire drops vertically onto its lead (layout.Lead.bond: leads.length / 3 in from the lead's
        # inner end); a die overhanging its pad must stop short of that drop by the wire's radius + min_gap
        ld = spec.leads
        for i, axis in enumerate("xy"):
            drop = spec.carrier.size[i] / 2 - ld.length + ld.length / 3
            room = 2 * (drop - w.diameter / 2 - spec.rules.min_gap)
            if spec.chip.size[i] > room + 1e-9:
                raise InputError("chip.size", spec.chip.size, f"die {axis} must clear the wires' drop onto the "
                                 f"leads ({_mm(drop)} from the centre) by wires.diameter / 2 + rules.min_gap "
                                 f"(<= {_mm_down(room)})")
        pads_per_side, leads_per_side = split_sides(w.count), split_sides(spec.leads.count)
        for side, (p, q) in enumerate(zip(pads_per_side, leads_per_side, strict=True)):
            if p > q:
                raise InputError("wires.count", w.count, f"side {side} has {p} wires but {q} leads")
    else:
        reach = spec.chip.size[0] / 2 - w.pad_inset + w.span + w.finger_length / 2
        reach_y = spec.chip.size[1] / 2 - w.pad_inset + w.span + w.finger_length / 2
        edge = min(spec.carrier.size[0] / 2 - reach, spec.carrier.size[1] / 2 - reach_y)
        if edge < spec.rules.saw_margin:
            raise InputError("wires.span", w.span, f"bond fingers must stay rules.saw_margin inside the carrier: "
                             f"span <= {_mm(w.span + edge - spec.rules.saw_margin)}")
        if w.span - w.pad_inset - w.finger_length / 2 < 2 * w.bend_radius:
            raise InputError("wires.span", w.span, "bond fingers must lie outside the die, past the wire's bends "
                             f"(>= {_mm(w.pad_inset + w.finger_length / 2 + 2 * w.bend_radius)})")
        if w.finger_width > w.pitch - spec.rules.min_gap / 2:
            raise InputError("wires.finger_width", w.finger_width, f"fingers at wires.pitch {w.pitch:g} "
                             f"would touch (<= {_mm(w.pitch - spec.rules.min_gap / 2)})")
        _corner_fingers(spec)
    for wire in lay.wires:
        if wire.path.length < 2 * w.bend_radius + w.diameter:
            raise InputError("wires.bend_radius", w.bend_radius, f"wire {wire.index} is only "
                             f"{_mm(wire.path.length)} long: needs two bends")


def _corner_fingers(spec: PackageSpec) -> None:
    """The outermost bond fingers of neighbouring sides must not meet at the die corner.

    Side s's fingers are centred ``R_s = half_s - pad_inset + span`` out and the outermost one ``a_s =
    (n_s - 1) / 2 * pitch`` along the side; it reaches ``a_s + finger_width / 2`` towards the corner. Two
    neighbouring sides s, t keep their corner fingers apart (by the same rules.min_gap / 2 as fingers along a
    side) when either finger stops short of the other's inner end: ``a_t + W/2 + gap <= R_s - L/2`` or
    ``a_s + W/2 + gap <= R_t - L/2``.
    """
    w, gap = spec.wires, spec.rules.min_gap / 2
    counts = split_sides(w.count)
    half = [spec.chip.size[s % 2] / 2 for s in range(4)]
    reach = [(n - 1) / 2 * w.pitch + w.finger_width / 2 for n in counts]  # outermost finger's far side, along
    inner = [h - w.pad_inset + w.span - w.finger_length / 2 for h in half]  # fingers' inner end, outward
    # per corner, the pair (this side's outermost finger, the other side's inner end) that is closer to clear
    worst = max((min((reach[t] + gap - inner[s], t, s), (reach[s] + gap - inner[t], s, t)) for s in range(4)
                 for t in [(s + 1) % 4]), key=lambda c: c[0])
    short, a, b = worst  # > 0: side a's outermost finger reaches into side b's fingers, and vice versa
    if short > 1e-9:
        width = w.finger_width - 2 * short
        fix = (f"wires.finger_width <= {_mm_down(width)} or " if width >= 0.01 else "") + \
            f"wires.span >= {_mm_up(w.span + short)}"
        raise InputError("wires.finger_width", w.finger_width, f"the corner fingers of sides {SIDE_NAMES[a]} "
                         f"and {SIDE_NAMES[b]} would come closer than rules.min_gap / 2: the outermost of "
                         f"{counts[a]} at wires.pitch {w.pitch:g} reaches {_mm(reach[a])} along the side, the "
                         f"other side's fingers start {_mm(inner[b])} out; needs {fix}")


def _bumps(lay: Layout) -> None:
    spec = lay.spec
    b = spec.bumps
    if b.height >= b.diameter:
        raise InputError("bumps.height", b.height, f"a collapsed bump is lower than its diameter (< {_mm(b.diameter)})")
    if b.height < 0.3 * b.diameter:
        raise InputError("bumps.height", b.height, f"too flat for a bump of this diameter (>= {_mm(0.3 * b.diameter)})")
    if b.pitch < b.diameter + spec.rules.min_gap / 2:
        raise InputError("bumps.pitch", b.pitch, f"bumps would touch (>= {_mm(b.diameter + spec.rules.min_gap / 2)})")
    if lay.bumps is None or lay.bumps.grid is None:
        why = lay.bumps.error if lay.bumps else "no array"
        raise InputError("bumps.count", b.count, f"{b.pattern} array under a {spec.chip.size[0]:g} x "
                          f"{spec.chip.size[1]:g} die: {why}")


def _balls(lay: Layout) -> None:
    spec = lay.spec
    b = spec.balls
    if b.count == 0:
        return
    if b.height >= b.diameter:
        raise InputError("balls.height", b.height, f"a ball is lower than its diameter (< {_mm(b.diameter)})")
    if b.height < 0.5 * b.diameter:
        raise InputError("balls.height", b.height, f"at least half the diameter (>= {_mm(0.5 * b.diameter)})")
    if b.pitch < b.diameter + 0.05:
        raise InputError("balls.pitch", b.pitch, f"balls would bridge (>= {_mm(b.diameter + 0.05)})")
    if lay.balls is None or lay.balls.grid is None:
        why = lay.balls.error if lay.balls else "no array"
        raise InputError("balls.count", b.count, f"{b.pattern} array under the carrier: {why}")


def _attach(lay: Layout, changed: Collection[str] = ()) -> None:
    spec = lay.spec
    bond = lay.bond_area
    if min(bond) <= 0:
        raise InputError("wires.pad_inset", spec.wires.pad_inset, "the pad ring leaves no die area to bond the "
                         "heat sink to")
    cp, bp = spec.heat_sink.connecting_portion, spec.buffer_pad
    if cp.enabled and bp.enabled:
        raise InputError("heat_sink.connecting_portion.enabled", True, "claims 10 and 12 are alternatives: "
                         "disable buffer_pad or the connecting portion")
    for key, size, room in (
        ("heat_sink.connecting_portion.size", cp.size if cp.enabled else None, bond),
        ("buffer_pad.size", bp.size if bp.enabled else None, bond),
        ("adhesive.size", spec.adhesive.size, lay.attach[2:] if (cp.enabled or bp.enabled) else bond),
    ):
        if size is None:
            continue
        for i, axis in enumerate("xy"):
            if size[i] > room[i] + 1e-9:
                what = "the die area inside the pad ring" if spec.wirebond else "the die"
                raise InputError(key, size, f"{axis} must lie over {what} (<= {_mm(room[i])})")
    st = lay.stack
    lowest = st.first_surface - lay.texture.protrusion
    floor, what = st.chip_top, "die top"
    if spec.wirebond:
        floor, what = st.chip_top + spec.wires.loop_height + spec.wires.diameter / 2, "wire loop top"
    if bp.enabled and st.buffer_top is not None and st.buffer_top > floor:
        floor, what = st.buffer_top, "buffer pad top"
    gap = lowest - floor
    # a plain adhesive bond on a flip chip's back needs no gap; anything spaced from the die does
    spaced = cp.enabled or bp.enabled or spec.wirebond or lay.texture.protrusion > 0
    if not spaced or gap >= spec.rules.min_gap - 1e-9:
        return
    short = spec.rules.min_gap - gap
    fixes = _gap_fixes(lay, what, short)
    key, value, _fix = next((f for f in fixes if f[0] in changed), fixes[0])
    fix = " or ".join(f[2] for f in sorted(fixes, key=lambda f: f[0] != key))
    where = "the heat sink's first surface" + (" (its texture's lowest point)" if lay.texture.protrusion else "")
    state = (f"the {what} is only {_mm(gap)} below {where}" if gap >= 0 else
             f"the {what} reaches {_mm(-gap)} above {where} (they would overlap)")
    raise InputError(key, value, f"{state}; rules.min_gap needs {_mm(spec.rules.min_gap)} between them",
                     f"{fix} (by {_mm_up(short)})")


def _gap_fixes(lay: Layout, what: str, short: float) -> list[tuple[str, float, str]]:
    """The ways to open the gap under the first surface by ``short`` mm, each (key, value, "change key to X"),
    the key whose change is the usual fix first; only changes the field limits allow."""
    spec = lay.spec
    cp, bp, w = spec.heat_sink.connecting_portion, spec.buffer_pad, spec.wires
    raises = []
    if cp.enabled:
        raises.append(("heat_sink.connecting_portion.height", cp.height, 2.0))
    elif bp.enabled and what != "buffer pad top":
        raises.append(("buffer_pad.thickness", bp.thickness, 2.0))
    raises.append(("adhesive.thickness", spec.adhesive.thickness, 0.5))
    fixes = [(k, v, f"raise {k} to >= {_mm_up(v + short)}") for k, v, most in raises if v + short <= most]
    if what == "wire loop top":
        least = max(0.02, w.bend_radius)
        if w.loop_height - short >= least:
            fixes.append(("wires.loop_height", w.loop_height, f"lower wires.loop_height to <= "
                          f"{_mm_down(w.loop_height - short)}"))
    if lay.texture.protrusion > 0:
        r = spec.heat_sink.roughened
        if r.height - short > 0:
            fixes.append(("heat_sink.roughened.height", r.height, f"lower heat_sink.roughened.height to <= "
                          f"{_mm_down(r.height - short)}"))
    if spec.rules.min_gap - short >= MIN_FEATURE:
        fixes.append(("rules.min_gap", spec.rules.min_gap, f"lower rules.min_gap to <= "
                      f"{_mm_down(spec.rules.min_gap - short)}"))
    return fixes or [(raises[-1][0], raises[-1][1], "change the stack")]


def _realised(lay: Layout) -> None:
    """The hard limits hold on what is built: an array fitted to the count asked for may come out larger."""
    spec = lay.spec
    for sites, most, dia in ((lay.bumps, MAX_BUMPS, spec.bumps.diameter), (lay.balls, MAX_BALLS, spec.balls.diameter)):
        if sites is None or sites.grid is None or sites.realised <= most:
            continue
        fits = _largest_under(sites, most, dia)
        hint = f"e.g. {sites.key}.count = {fits[0]} gives {fits[1]:,}" if fits else f"fewer {sites.key}"
        raise InputError(f"{sites.key}.count", sites.requested, f"the nearest array that fits has {sites.realised:,} "
                         f"{sites.key} ({sites.grid.nx} x {sites.grid.ny}), over the hard limit of {most:,}", hint)


def _largest_under(sites: Sites, most: int, diameter: float) -> tuple[int, int] | None:
    """A count whose fitted array stays within ``most`` (count asked, count realised), searching down."""
    assert sites.grid is not None
    count = most
    for _ in range(64):
        try:
            grid = fit_array(count, sites.grid.pitch, diameter, sites.region, sites.pattern)
        except ValueError:
            return None
        if grid.count <= most:
            return count, grid.count
        count -= max(1, grid.count - most)
    return None


def _plating(spec: PackageSpec) -> None:
    """The interface layer is a plating or coating ON the heat sink's second surface: thinner than half the
    plate it covers."""
    il, hs = spec.interface_layer.thickness, spec.heat_sink.thickness
    if il > hs / 2:
        raise InputError("interface_layer.thickness", il, f"a layer formed on the heat sink's second surface must "
                         f"be thinner than half the {_mm(hs)} heat sink (<= {_mm_down(hs / 2)})",
                         f"interface_layer.thickness <= {_mm_down(hs / 2)} or heat_sink.thickness >= "
                         f"{_mm_up(2 * il)}")


def _texture(lay: Layout) -> None:
    spec = lay.spec
    hs = spec.heat_sink
    kind = hs.first_surface
    if kind == "roughened":
        r = hs.roughened
        if r.height > r.diameter / 2:
            raise InputError("heat_sink.roughened.height", r.height, f"at most half the asperity diameter "
                             f"(<= {_mm(r.diameter / 2)})")
        if r.diameter >= hs.thickness:
            raise InputError("heat_sink.roughened.diameter", r.diameter, f"must be less than heat_sink.thickness "
                             f"({_mm(hs.thickness)})")
        if r.diameter > 1 / r.density**0.5:
            raise InputError("heat_sink.roughened.density", r.density, "asperities would overlap: at most "
                             f"{1 / r.diameter**2:.4g} per mm^2 at this diameter")
    elif kind == "corrugated":
        c = hs.corrugated
        if c.width >= c.pitch:
            raise InputError("heat_sink.corrugated.width", c.width, f"must be less than the pitch ({_mm(c.pitch)})")
        if c.depth > hs.thickness / 2:
            raise InputError("heat_sink.corrugated.depth", c.depth, f"at most half heat_sink.thickness "
                             f"(<= {_mm(hs.thickness / 2)})")
    elif kind == "uneven":
        u = hs.uneven
        if u.size >= u.pitch:
            raise InputError("heat_sink.uneven.size", u.size, f"must be less than the pitch ({_mm(u.pitch)})")
        limit = min(hs.thickness / 2, u.size / 2) if u.style == "dimples" else hs.thickness / 2
        if u.depth > limit:
            raise InputError("heat_sink.uneven.depth", u.depth, f"at most {_mm(limit)} for {u.style}")
    if kind != "flat":
        n = lay.texture.count
        if n > MAX_TEXTURE_FEATURES:
            raise InputError(f"heat_sink.{kind}", kind, f"{n} texture features; at most {MAX_TEXTURE_FEATURES}")
        if n == 0:
            raise InputError("heat_sink.first_surface", kind, "no texture feature fits outside the attach area "
                             "and heat_sink.edge_margin")


def _materials(spec: PackageSpec) -> None:
    il, hs = material(spec.interface_layer.material), material(spec.heat_sink.material)
    if il.mold_adhesion >= hs.mold_adhesion:
        raise InputError("interface_layer.material", il.name, f"must adhere to mold compound less than the "
                         f"{hs.name} first surface ({il.mold_adhesion:g} >= {hs.mold_adhesion:g})")
    if spec.buffer_pad.enabled:
        bp, chip = material(spec.buffer_pad.material), material("silicon")
        if abs(bp.cte_ppm_k - chip.cte_ppm_k) > BUFFER_CTE_TOLERANCE_PPM_K:
            raise InputError("buffer_pad.material", bp.name, f"CTE {bp.cte_ppm_k:g} ppm/K is not close to the "
                             f"chip's {chip.cte_ppm_k:g} (within {BUFFER_CTE_TOLERANCE_PPM_K:g})")
