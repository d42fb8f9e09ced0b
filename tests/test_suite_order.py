"""The suite's own order (tests/conftest.py): the long tests start first, longest first, and the table of their
CI durations names tests that exist (a renamed test would silently lose its place at the front)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import FIRST_SECONDS, LONG_RUNS, TEMPLATES, expected_seconds, pytest_collection_modifyitems
from readme_runs import readme_commands

TESTS = Path(__file__).resolve().parent


@pytest.mark.parametrize("nodeid", sorted(LONG_RUNS))
def test_every_listed_long_test_exists(nodeid: str) -> None:
    path, _, name = nodeid.partition("::")
    func, _, param = name.partition("[")
    text = (TESTS.parent / path).read_text()
    assert re.search(rf"^def {re.escape(func)}\(", text, re.M), nodeid
    if param:
        param = param.removesuffix("]")
        if func == "test_readme_command":
            assert param in readme_commands(), nodeid
        else:  # a template, or a case named in its file
            assert param in TEMPLATES or f'"{param}"' in text, nodeid


@dataclass
class _Item:
    nodeid: str
    first: bool = False

    def get_closest_marker(self, name: str) -> object | None:
        return object() if name == "first" and self.first else None


def test_the_longest_start_first_and_the_first_two_hand_outs_are_balanced() -> None:
    a, b, c, d = sorted(LONG_RUNS, key=lambda k: -LONG_RUNS[k])[:4]
    items = [_Item("tests/test_x.py::quick"), _Item(c), _Item("tests/test_x.py::marked", first=True), _Item(a),
             _Item("tests/test_x.py::other"), _Item(d), _Item(b)]
    pytest_collection_modifyitems(None, items)  # type: ignore[arg-type]
    order = [i.nodeid for i in items]
    # xdist gives its first worker items 0-1 and its second 2-3: (longest + 4th) beside (2nd + 3rd)
    assert order[:4] == [a, d, b, c], order
    assert order[4] == "tests/test_x.py::marked" and expected_seconds(items[4]) == FIRST_SECONDS
    assert order[5:] == ["tests/test_x.py::quick", "tests/test_x.py::other"]  # the rest keep their order
