"""The README's map of folders ("Where things live") and the import-linter contracts in ``.importlinter`` say the
same: every module of pkgcad has a row, and each row's "may import" column is exactly what its contract lets
that row import. ``make lint`` runs the contracts (``lint-imports``); this test keeps them the map's.

The expected contracts are computed here from the README table alone. After changing the map, write them with
``python tests/test_layers.py --write`` (it rewrites ``.importlinter`` from the README) and commit both;
``python tests/test_layers.py --picture`` redraws docs/structure.md (import-linter's report and the import graph
between pkgcad's top-level modules, from grimp, the graph library import-linter runs on).
"""

from __future__ import annotations

import ast
import configparser
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CONTRACTS = ROOT / ".importlinter"
PKG = ROOT / "pkgcad"
BUILDERS = ("carrier", "interconnect", "heat_sink", "encapsulant")
"""geometry/'s own builder modules (README: the rest uses geometry/__init__, shapes and tiles)."""
HEADER = """\
# import-linter contracts: the README's map of folders ("Where things live"), made checkable. Run by `make lint`
# (lint-imports). GENERATED from README.md by `python tests/test_layers.py --write`; tests/test_layers.py fails
# when this file and the README's table disagree. A row's modules may import only what its "may import" column
# names (directly: what those import in turn is their row's business); pkgcad's own __version__ always.

[importlinter]
root_package = pkgcad
# type-only imports (under TYPE_CHECKING) count too: a signature that names another layer's type depends on it
exclude_type_checking_imports = False
"""


def top_modules() -> list[str]:
    """The top-level modules and packages of pkgcad (``errors``, ``geometry``, ...)."""
    out = [p.stem for p in PKG.glob("*.py") if p.stem != "__init__"]
    out += [p.name for p in PKG.iterdir() if p.is_dir() and (p / "__init__.py").is_file()]
    return sorted(out)


def map_rows(text: str) -> list[tuple[list[str], list[str] | None]]:
    """The README table's rows: (the row's modules, what they may import; None for "everything")."""
    section = text.split("### Where things live", 1)[1].split("\n### ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        mods = [m.removesuffix(".py").removesuffix("/") for m in re.findall(r"`([^`]+)`", cells[0])]
        last = cells[-1]
        if last == "everything":
            rows.append((mods, None))
        elif last == "nothing":
            rows.append((mods, []))
        else:
            allowed = re.findall(r"`([^`]+)`", last)
            assert allowed and re.fullmatch(r"(`[a-z_]+`(, )?)+", last), f"map row {cells[0]}: {last!r}"
            rows.append((mods, allowed))
    return rows


def contracts_text(rows: list[tuple[list[str], list[str] | None]], modules: list[str]) -> str:
    """``.importlinter`` for the map ``rows`` over the top-level ``modules``."""
    out = [HEADER]
    for mods, allowed in rows:
        if allowed is None:
            continue
        forbidden = [m for m in modules if m not in allowed and m not in mods]
        key = "-".join(mods)
        out.append(f"[importlinter:contract:map-{key}]\nname = README map: {', '.join(mods)} may import "
                   f"{', '.join(allowed) or 'nothing of pkgcad'}\ntype = forbidden\n"
                   f"source_modules =\n{_lines(mods)}\nforbidden_modules =\n{_lines(forbidden)}\n"
                   "allow_indirect_imports = True\n")
    outside = [m for m in modules if m != "geometry"]
    out.append("[importlinter:contract:geometry-builders]\nname = README map: outside geometry/, its builder "
               "modules are reached through geometry/__init__ only\ntype = forbidden\n"
               f"source_modules =\n{_lines(outside)}\nforbidden_modules =\n"
               f"{_lines([f'geometry.{b}' for b in BUILDERS])}\nallow_indirect_imports = True\n")
    out.append("[importlinter:contract:acyclic]\nname = No import cycle between the modules of any one package "
               "(pkgcad's and every package's inside it)\ntype = acyclic_siblings\nancestors =\n    pkgcad\n")
    return "\n".join(out)


def _lines(mods: list[str]) -> str:
    return "\n".join(f"    pkgcad.{m}" for m in mods) if mods else ""


def test_every_module_has_one_row_in_the_map() -> None:
    rows = map_rows(README.read_text(encoding="utf-8"))
    named = [m for mods, _ in rows for m in mods]
    assert sorted(named) == sorted(set(named)), "a module in two rows of the README map"
    assert set(named) == set(top_modules()), f"README map vs pkgcad/: {set(named) ^ set(top_modules())}"
    for _mods, allowed in rows:
        assert set(allowed or ()) <= set(top_modules()), allowed


def test_the_contracts_are_the_readme_map() -> None:
    expected = contracts_text(map_rows(README.read_text(encoding="utf-8")), top_modules())
    want, got = configparser.ConfigParser(), configparser.ConfigParser()
    want.read_string(expected)
    got.read(CONTRACTS, encoding="utf-8")
    as_dict = lambda c: {s: {k: sorted(v.split()) for k, v in c[s].items()} for s in c.sections()}  # noqa: E731
    assert as_dict(got) == as_dict(want), "run: python tests/test_layers.py --write"


def test_the_map_parser_reads_a_row_as_written() -> None:
    text = ("### Where things live\n\n| folder / file | owns | may import |\n|---|---|---|\n"
            "| `a.py`, `b/` | x | `c`, `d` |\n| `e.py` | y | nothing |\n| `f.py` | z | everything |\n")
    assert map_rows(text) == [(["a", "b"], ["c", "d"]), (["e"], []), (["f"], None)]
    ini = contracts_text(map_rows(text), ["a", "b", "c", "d", "e", "f", "geometry"])
    cfg = configparser.ConfigParser()
    cfg.read_string(ini)
    assert cfg["importlinter:contract:map-a-b"]["forbidden_modules"].split() == ["pkgcad.e", "pkgcad.f",
                                                                                "pkgcad.geometry"]
    assert cfg["importlinter:contract:map-e"]["forbidden_modules"].split() == [f"pkgcad.{m}" for m in "abcdf"] + [
        "pkgcad.geometry"]
    assert "importlinter:contract:map-f" not in cfg


def test_output_folders_are_read_through_reader() -> None:
    """Nothing outside ``reader/`` parses a ``manifest.json`` itself (``json.load(s)`` on a path naming it)."""
    bad = []
    for path in PKG.rglob("*.py"):
        if path.parent.name == "reader":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in
                    ("load", "loads") and isinstance(node.func.value, ast.Name) and node.func.value.id == "json"
                    and "manifest" in ast.unparse(node)):
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not bad, bad


def picture() -> str:
    """docs/structure.md: ``lint-imports``' report and the graph of imports between pkgcad's top-level modules."""
    import subprocess

    import grimp

    lint = Path(sys.executable).with_name("lint-imports")
    report = subprocess.run([str(lint), "--no-cache", "--no-logo"], cwd=ROOT, capture_output=True, text=True,
                            check=False)
    graph = grimp.build_graph("pkgcad", cache_dir=None)
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        a = module.split(".")[1] if "." in module else "pkgcad"
        for imported in graph.find_modules_directly_imported_by(module):
            b = imported.split(".")[1] if "." in imported else "pkgcad"
            if a != b and b != "pkgcad":  # the root holds __version__ only
                edges.setdefault(a, set()).add(b)
    lines = ["flowchart LR"] + [f"    {a.strip('_')} --> {b.strip('_')}" for a in sorted(edges)
                                for b in sorted(edges[a])]
    return "\n".join([
        "# The structure of pkgcad, as its own tools report it",
        "",
        "Made by `python tests/test_layers.py --picture` (import-linter's `lint-imports` on `.importlinter`, the",
        "README's map of folders as contracts; the graph from grimp, the import graph import-linter checks).",
        "",
        "## lint-imports",
        "",
        "```",
        report.stdout.strip(),
        "```",
        "",
        f"Exit status {report.returncode} (0: every contract kept: no layer violation, no import cycle).",
        "",
        "## Who imports whom (top-level modules of pkgcad)",
        "",
        "An arrow A --> B: a module of A imports a module of B. The map in the README says which arrows may exist.",
        "",
        "```mermaid",
        *lines,
        "```",
        "",
    ])


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        CONTRACTS.write_text(contracts_text(map_rows(README.read_text(encoding="utf-8")), top_modules()),
                             encoding="utf-8")
        print(f"wrote {CONTRACTS}")
    elif sys.argv[1:] == ["--picture"]:
        (ROOT / "docs" / "structure.md").write_text(picture(), encoding="utf-8")
        print(f"wrote {ROOT / 'docs' / 'structure.md'}")
    else:
        print(__doc__)
