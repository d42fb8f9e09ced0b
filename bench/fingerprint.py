"""Fingerprint of what ``pkgcad build`` writes for every bundled template: per-part volumes from the manifest,
SHA-256 of every STL file and of the STEP's geometry, and the STEP's product names and colours as sorted
lists. Two runs of it before and after a refactor show that the output did not change.

The STEP is compared by parts because two runs of the same code do not write it byte for byte alike: the
header holds a time stamp, and OCCT writes the colour styles (after the geometry) in an order that varies.

    python bench/fingerprint.py OUT.json            # build every template into a scratch folder, fingerprint
    python bench/fingerprint.py --compare A.json B.json

It runs ``python -m pkgcad`` with this interpreter, so ``PYTHONPATH=<other checkout>`` fingerprints another
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
from pathlib import Path

TEMPLATES = Path(os.environ.get("PKGCAD_TEMPLATES", Path(__file__).resolve().parent.parent / "templates"))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def fingerprint(folder: Path) -> dict[str, object]:
    manifest = json.loads((folder / "manifest.json").read_text())
    step = next(folder.glob("*.step")).read_text(encoding="latin-1")
    body = step.partition("ENDSEC;")[2]  # after the header (FILE_NAME holds the time)
    entities = re.split(r"\n(?=#\d+ = )", body)
    styled = next((i for i, e in enumerate(entities) if re.search(r"PRESENTATION|STYLED_ITEM", e)), len(entities))
    geometry = "\n".join(entities[:styled])  # every entity before the first colour style
    return {
        "volumes_mm3": {r["name"]: r["volume_total_mm3"] for r in manifest["parts"]},
        "instances": {r["name"]: r["count"] for r in manifest["parts"]},
        "stl_sha": {str(p.relative_to(folder)): _sha(p.read_bytes()) for p in sorted(folder.rglob("*.stl"))},
        "step_geometry_sha": _sha(geometry.encode()),
        "step_products": sorted(re.findall(r"PRODUCT\('([^']*)'", body)),
        "step_colours": sorted(re.findall(r"COLOUR_RGB\('[^']*',([^)]*)\)", body)),
        "step_bytes": len(step),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", nargs="?", help="JSON file to write")
    ap.add_argument("--compare", nargs=2, metavar=("A", "B"))
    args = ap.parse_args()
    if args.compare:
        a, b = (json.loads(Path(p).read_text()) for p in args.compare)
        same = True
        for name in sorted(set(a) | set(b)):
            fa, fb = a.get(name), b.get(name)
            if fa is None or fb is None:
                print(f"{name}: only in {'B' if fa is None else 'A'}")
                same = False
                continue
            for key in fa:
                if fa[key] != fb[key]:
                    same = False
                    print(f"{name}: {key} differs:\n  A {fa[key]}\n  B {fb[key]}")
        print("identical" if same else "DIFFERENT")
        sys.exit(0 if same else 1)
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        for t in sorted(TEMPLATES.glob("*.toml")):
            dest = Path(tmp) / t.stem
            subprocess.run([sys.executable, "-m", "pkgcad", "build", str(t), "-o", str(dest)], check=True,
                           capture_output=True)
            result[t.stem] = fingerprint(dest)
            print(t.stem, result[t.stem]["step_geometry_sha"], flush=True)
    Path(args.out).write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
