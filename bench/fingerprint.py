"""Fingerprint of what pkgcad writes, to show that a refactor changed no output: for every bundled template the
build (per-part volumes from the manifest, SHA-256 of every STL and of the GLB, the STEP by its content in every
``--step-mode``), a strip (every stage's STEP and GLB, the sawn unit's folder) and a KiCad library's STEP models.

The STEP is compared by content, not by bytes: two runs of the same code do not write it byte for byte alike
(the header holds a time stamp; OCCT writes colour styles in an order that varies), and a writer may number or
order its entities differently. So each entity is hashed as a Merkle tree: its type and parameters with every
reference ``#n`` replaced by the hash of the entity it points at, so the hash says what an entity IS, whatever
its number or place in the file. Compared:

    step_solids       the solids (MANIFOLD_SOLID_BREP, BREP_WITH_VOIDS, SHELL_BASED_SURFACE_MODEL), names blanked:
                      sorted hashes -> one hash and a count (every point, curve, surface, face and its order)
    step_faces        the DISTINCT faces (ADVANCED_FACE), names blanked: same faces whatever the solid
                      representation (a conformal STEP written as shells or as solids shows the same faces)
    step_products     product names (sorted)
    step_occurrences  every assembly occurrence: parent product, child product, occurrence name, placement
    step_colours      every styled item: the solid (or face) it colours and its colour(s)
    step_colour_values the colours used (sorted COLOUR_RGB values)

    python bench/fingerprint.py OUT.json                   # everything into a scratch folder, fingerprint
    python bench/fingerprint.py OUT.json --only build      # or: modes, strip, kicad (repeatable)
    python bench/fingerprint.py OUT.json --stl all         # build --stl all (and the strips' units so): the STL
                                                           # files code before the instanced outputs wrote
    python bench/fingerprint.py --compare A.json B.json    # exit 1 and every difference if they differ

It runs pkgcad with this interpreter in subprocesses, so ``PYTHONPATH=<other checkout>`` fingerprints another
version of the code; ``PKGCAD_TEMPLATES`` names the templates folder (default: this checkout's).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

TEMPLATES = Path(os.environ.get("PKGCAD_TEMPLATES", Path(__file__).resolve().parent.parent / "templates"))
MODES = ("solid", "fused", "conformal")
"""The other --step-modes (assembly is what ``build`` fingerprints), written STEP only."""
STRIPS = (("qfn", "3x2"), ("wirebond-bga", "2x2"))
"""Strips fingerprinted (template, --units), every stage, draft quality."""

_TOKEN = re.compile(r"'(?:[^']|'')*'|#(\d+)")
SOLIDS = ("MANIFOLD_SOLID_BREP", "BREP_WITH_VOIDS", "SHELL_BASED_SURFACE_MODEL")


def _sha(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()[:16]


class StepGraph:
    """The DATA section of a STEP file as entities, hashed by content (see the module notes)."""

    def __init__(self, text: str) -> None:
        data = text.partition("\nDATA;")[2].rpartition("ENDSEC;")[0]
        self.body: dict[int, str] = {}
        for chunk in re.split(r"\n(?=#\d+ ?=)", data):
            ident, sep, rest = chunk.strip().partition("=")
            if not sep:
                continue
            self.body[int(ident.strip()[1:])] = re.sub(r"\n\s*", "", rest).strip().rstrip(";")
        self._hash: dict[tuple[int, bool], str] = {}

    def kind(self, ident: int) -> str:
        return self.body[ident].split("(", 1)[0].strip()

    def refs(self, ident: int) -> list[int]:
        return [int(m.group(1)) for m in _TOKEN.finditer(self.body[ident]) if m.group(1)]

    def args(self, ident: int) -> list[str]:
        """Top-level parameters of a simple entity, as text."""
        inner = self.body[ident].split("(", 1)[1].rsplit(")", 1)[0]
        out, depth, cur, quoted = [], 0, "", False
        for ch in inner:
            if ch == "'":
                quoted = not quoted
            if not quoted and ch in "()":
                depth += 1 if ch == "(" else -1
            if ch == "," and depth == 0 and not quoted:
                out.append(cur)
                cur = ""
                continue
            cur += ch
        return [*out, cur]

    def hash(self, ident: int, names: bool = False) -> str:
        """What entity ``ident`` is (with or without its string parameters), whatever its number."""
        key = (ident, names)
        done = self._hash.get(key)
        if done is not None:
            return done
        stack = [ident]
        while stack:  # post-order without recursion: geometry chains are deep
            top = stack[-1]
            todo = [r for r in self.refs(top) if (r, names) not in self._hash and r != top]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            if (top, names) in self._hash:
                continue

            def sub(m: re.Match[str]) -> str:
                if m.group(1):
                    return "<" + self._hash[(int(m.group(1)), names)] + ">"
                return m.group(0) if names else "''"

            self._hash[(top, names)] = _sha(_TOKEN.sub(sub, self.body[top]))
        return self._hash[key]

    def of_kind(self, *kinds: str) -> list[int]:
        return [i for i in self.body if self.kind(i) in kinds]

    def product_of(self, pd: int) -> str:
        """The product name of PRODUCT_DEFINITION ``pd``."""
        pdf = int(self.args(pd)[2].strip("#"))
        product = int(self.args(pdf)[2].strip("#"))
        return self.args(product)[0].strip("'")

    def reachable(self, ident: int, kind: str) -> list[int]:
        seen, out, todo = set(), [], [ident]
        while todo:
            i = todo.pop()
            if i in seen:
                continue
            seen.add(i)
            if self.kind(i) == kind:
                out.append(i)
            todo.extend(self.refs(i))
        return out


def step_fingerprint(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="latin-1")
    g = StepGraph(text)
    solids = sorted(g.hash(i) for i in g.of_kind(*SOLIDS))
    faces = sorted({g.hash(i) for i in g.of_kind("ADVANCED_FACE")})
    placed: dict[int, str] = {}  # NAUO -> placement hash
    for cdsr in g.of_kind("CONTEXT_DEPENDENT_SHAPE_REPRESENTATION"):
        rel, pds = (int(a.strip("#")) for a in g.args(cdsr))
        idt = re.search(r"REPRESENTATION_RELATIONSHIP_WITH_TRANSFORMATION\(#(\d+)\)", g.body[rel])
        nauo = int(g.args(pds)[2].strip("#"))
        placed[nauo] = g.hash(int(idt.group(1))) if idt else "?"
    occurrences = sorted(
        f"{g.product_of(int(a[3].strip('#')))} > {g.product_of(int(a[4].strip('#')))} "
        f"as {a[1].strip(chr(39))!r} at {placed.get(i, '-')}"
        for i in g.of_kind("NEXT_ASSEMBLY_USAGE_OCCURRENCE") for a in [g.args(i)])
    names = sorted(g.args(i)[1].strip("'") for i in g.of_kind("NEXT_ASSEMBLY_USAGE_OCCURRENCE"))
    colours = []
    for i in g.of_kind("STYLED_ITEM", "OVER_RIDING_STYLED_ITEM"):
        a = g.args(i)
        target = int(a[2].strip("#"))
        rgb = sorted({",".join(x.strip() for x in g.args(c)[1:]) for c in g.reachable(i, "COLOUR_RGB")})
        colours.append(f"{g.kind(target)} {g.hash(target)}: {' / '.join(rgb)}")
    colours.sort()
    return {
        "step_solids": f"{len(solids)} {_sha(' '.join(solids))}",
        "step_faces": f"{len(faces)} {_sha(' '.join(faces))}",
        "step_products": sorted(g.args(i)[0].strip("'") for i in g.of_kind("PRODUCT")),
        "step_occurrences": f"{len(occurrences)} {_sha(chr(10).join(occurrences))}",
        "step_occurrence_names": f"{len(names)} {_sha(chr(10).join(names))}",
        "step_unnamed_occurrences": names.count(""),
        "step_colours": f"{len(colours)} {_sha(chr(10).join(colours))}",
        "step_colour_values": [list(x) for x in sorted(Counter(c.split(": ", 1)[1] for c in colours).items())],
        "step_entities": dict(sorted(Counter(g.kind(i) for i in g.body).items())),
        "step_bytes": len(text),
    }


def folder_fingerprint(folder: Path) -> dict[str, Any]:
    """A package folder (``pkgcad build``, a strip's sawn unit)."""
    manifest = json.loads((folder / "manifest.json").read_text())
    out: dict[str, Any] = {
        "volumes_mm3": {r["name"]: r["volume_total_mm3"] for r in manifest["parts"]},
        "instances": {r["name"]: r["count"] for r in manifest["parts"]},
        "stl_sha": {str(p.relative_to(folder)): _sha(p.read_bytes()) for p in sorted(folder.rglob("*.stl"))},
        "glb_sha": {str(p.relative_to(folder)): _sha(p.read_bytes()) for p in sorted(folder.rglob("*.glb"))},
    }
    if "conformal" in manifest:
        c = manifest["conformal"]
        out["conformal"] = {"solids": [{k: v for k, v in s.items()} for s in c["solids"]], "groups": c["groups"],
                            "shared_faces": c["shared_faces"], "volume_mm3": c["volume_mm3"]}
    for step in sorted(folder.glob("*.step")):
        out.update(step_fingerprint(step))
    return out


def _run(*args: str) -> None:
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(args)}: exit {done.returncode}\n{done.stderr[-2000:]}")


WRITE_STEP = """
import sys
from pathlib import Path
from pkgcad.export.writer import write_package
from pkgcad.geometry import build_package
from pkgcad.templates import load_layout
kw = {}
if sys.argv[3] == "conformal":
    try:  # the conformal STEP writer is passed in since the one STEP writer (earlier code: write_package's own)
        from pkgcad.conformal.step import write_step
        kw["step_writer"] = write_step
    except ImportError:
        pass
write_package(build_package(load_layout(sys.argv[1])), Path(sys.argv[2]), formats=("step",), step_mode=sys.argv[3],
              **kw)
"""


STRIP_STL = """
import functools, sys
import pkgcad.strip.write as sw
from pkgcad.export.writer import write_package
sw.write_package = functools.partial(write_package, stl=sys.argv[1])  # the sawn unit's part files in that mode
from pkgcad.cli import app
app(sys.argv[2:], prog_name="pkgcad")
"""
"""``pkgcad strip`` with its sawn unit written in another ``--stl`` mode (strip has no --stl option)."""


def run_all(only: set[str], tmp: Path, stl: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {}
    templates = sorted(TEMPLATES.glob("*.toml"))
    if "build" in only:
        for t in templates:
            dest = tmp / t.stem
            _run("-m", "pkgcad", "build", str(t), "-o", str(dest), *(("--stl", stl) if stl else ()))
            result[t.stem] = folder_fingerprint(dest)
            print(t.stem, result[t.stem]["step_solids"], flush=True)
    if "modes" in only:
        for t in templates:
            for mode in MODES:
                dest = tmp / f"{t.stem}-{mode}"
                _run("-c", WRITE_STEP, str(t), str(dest), mode)
                result[f"{t.stem} --step-mode {mode}"] = folder_fingerprint(dest)
                print(t.stem, mode, result[f"{t.stem} --step-mode {mode}"]["step_solids"], flush=True)
    if "strip" in only:
        for template, units in STRIPS:
            dest = tmp / f"{template}-strip"
            args = ("strip", template, "--units", units, "--stages", "--quality", "draft", "-o", str(dest))
            _run(*(("-c", STRIP_STL, stl) if stl else ("-m", "pkgcad")), *args)
            for stage in sorted((dest / "stages").glob("*.step")):
                fp = step_fingerprint(stage)
                fp["glb_sha"] = _sha(stage.with_suffix(".glb").read_bytes())
                result[f"strip {template} {units} {stage.stem}"] = fp
            result[f"strip {template} {units} unit"] = folder_fingerprint(dest / "unit")
            print("strip", template, units, flush=True)
    if "kicad" in only:
        dest = tmp / "kicad"
        _run("-m", "pkgcad", "kicad", "--all", "--no-wrl", "-o", str(dest))
        for step in sorted(dest.rglob("*.step")):
            result[f"kicad {step.name}"] = step_fingerprint(step)
        print("kicad", len(list(dest.rglob("*.step"))), "models", flush=True)
    return result


INFO = ("step_bytes", "step_entities")
"""Printed when they differ, but no difference of content: the file's size (its header holds the path written
to) and its entity counts (a writer may structure the same content differently)."""


def compare(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Print every difference between fingerprints ``a`` and ``b``; True if the content is the same."""
    same = True
    for name in sorted(set(a) | set(b)):
        fa, fb = a.get(name), b.get(name)
        if fa is None or fb is None:
            print(f"{name}: only in {'B' if fa is None else 'A'}")
            same = False
            continue
        for key in sorted(set(fa) | set(fb)):
            va, vb = fa.get(key), fb.get(key)
            if va == vb:
                continue
            if key in INFO:
                if key == "step_entities":
                    va = {k: v for k, v in va.items() if vb.get(k) != v}
                    vb = {k: v for k, v in vb.items() if fa[key].get(k) != v}
                print(f"{name}: (info) {key}: A {va} B {vb}")
                continue
            same = False
            print(f"{name}: {key} differs:\n  A {va}\n  B {vb}")
    return same


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", nargs="?", help="JSON file to write")
    ap.add_argument("--compare", nargs=2, metavar=("A", "B"))
    ap.add_argument("--only", action="append", choices=("build", "modes", "strip", "kicad"),
                    help="what to fingerprint (repeatable; default: all)")
    ap.add_argument("--stl", help="pass --stl STL to pkgcad build, and write the strips' sawn units so (code with the "
                    "instanced outputs: 'all' writes the files earlier code wrote, every instance in the part files "
                    "and the whole package's file)")
    args = ap.parse_args()
    if args.compare:
        a, b = (json.loads(Path(p).read_text()) for p in args.compare)
        same = compare(a, b)
        print("identical" if same else "DIFFERENT")
        sys.exit(0 if same else 1)
    if not args.out:
        ap.error("give OUT.json or --compare A B")
    with tempfile.TemporaryDirectory(prefix="pkgcad-fingerprint-") as tmp:
        result = run_all(set(args.only or ("build", "modes", "strip", "kicad")), Path(tmp), args.stl)
    Path(args.out).write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
