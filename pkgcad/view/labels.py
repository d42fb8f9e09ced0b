"""Leader labels of a section figure, laid out so that no two leaders cross (pixel units, y down).

Each leader runs level from its anchor to a vertical lane in the gutter right of the drawing, along the lane to
its label's height, and level again to the label. Labels keep their anchors' top-to-bottom order, at least
``gap`` apart. Two leaders can only meet where one's lane crosses the other's level runs, and that is ruled
out by the lanes: of the leaders going down to their labels, the upper one takes the lane further right; of
those going up, the lower one; a leader going down and one going up never share heights (their labels keep
the anchors' order). Anchors must differ in height (the caller nudges equal ones).
"""

from __future__ import annotations

from dataclasses import dataclass

LANE = 5.0  # px between lanes


@dataclass
class Leader:
    points: list[tuple[float, float]]
    label_y: float  # the label's vertical centre


def lanes_needed(anchors_y: list[float], top: float, bottom: float, gap: float) -> int:
    """How many lanes the gutter must hold for these anchors (to size it before laying out)."""
    ys = label_heights(anchors_y, top, bottom, gap)
    down = sum(y - a > 0.5 for a, y in zip(sorted(anchors_y), ys, strict=True))
    up = sum(a - y > 0.5 for a, y in zip(sorted(anchors_y), ys, strict=True))
    return max(down, up, 1)


def label_heights(anchors_y: list[float], top: float, bottom: float, gap: float) -> list[float]:
    """Label heights for anchors sorted top to bottom: level with the anchor where possible, at least ``gap``
    apart, all between ``top`` and ``bottom`` (``bottom`` is raised when they would not fit)."""
    order = sorted(anchors_y)
    bottom = max(bottom, top + gap * (len(order) - 1))
    ys: list[float] = []
    for a in order:
        ys.append(min(max(a, top, ys[-1] + gap if ys else top), bottom))
    for i in range(len(ys) - 1, -1, -1):  # push up from the bottom where they piled up there
        ys[i] = min(ys[i], bottom - (len(ys) - 1 - i) * gap)
    return ys


def lay_out(anchors: list[tuple[float, float]], top: float, bottom: float, gutter: tuple[float, float],
            gap: float = 18.0) -> list[Leader]:
    """Leaders for ``anchors`` (x, y), returned in the anchors' order. ``gutter`` is (left, right) in x: the
    lanes lie between them, the labels start right of it."""
    order = sorted(range(len(anchors)), key=lambda i: anchors[i][1])
    ys = label_heights([anchors[i][1] for i in order], top, bottom, gap)
    left, right = gutter[0] + LANE, gutter[1] - LANE
    out: dict[int, Leader] = {}
    down = up = 0
    for i, ty in zip(order, ys, strict=True):
        ax, ay = anchors[i]
        if abs(ty - ay) <= 0.5:
            out[i] = Leader([(ax, ay), (gutter[1], ay)], ty)  # level (the label at most 0.5 px off)
            continue
        if ty > ay:  # going down: upper leaders take lanes further right
            gx = right - LANE * down
            down += 1
        else:  # going up: lower leaders take lanes further right
            gx = left + LANE * up
            up += 1
        out[i] = Leader([(ax, ay), (gx, ay), (gx, ty), (gutter[1], ty)], ty)
    return [out[i] for i in range(len(anchors))]
