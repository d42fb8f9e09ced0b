"""A STEP file from anyone is hostile input: proven here BEFORE OpenCASCADE sees it, in time and memory that the
bounds below fix, and refused in one line (:class:`~pkgcad.errors.InputError`, exit 2) when it is

- not a regular file, larger than :data:`MAX_FILE_BYTES` (a ``.stpZ`` / gzip: its compressed size too, and the
  text it inflates to, read in bounded chunks: a gzip bomb stops at the bound), or a truncated gzip;
- not ISO 10303-21 text, or truncated (no ``END-ISO-10303-21;``, no ``DATA`` section);
- holding more than :data:`MAX_ENTITIES` entities;
- holding a number that is not finite (``NAN``, ``INF``, an exponent beyond double range);
- an assembly that contains itself (a cycle of NEXT_ASSEMBLY_USAGE_OCCURRENCE), nests deeper than
  :data:`MAX_DEPTH` levels, or places more than :data:`MAX_INSTANCES` parts once expanded.

What OpenCASCADE then reads is proven again (:mod:`.step`): solids only, finite, within :data:`MAX_INSTANCES`
instances and :data:`MAX_TRIANGLES` triangles.
"""

from __future__ import annotations

import re
import stat
import zlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import NO_VALUE, InputError

SUFFIXES = (".step", ".stp", ".stpz", ".step.gz", ".stp.gz")
MAX_FILE_BYTES = 128 << 20
"""Largest STEP text screened (also the most a .stpZ may inflate to): ~3 M entities' worth of text."""
MAX_ENTITIES = 500_000
"""Most entities (``#n = ...``) in one file: OpenCASCADE reads ~100,000 a second into ~1 GB per 500,000."""
MAX_DEPTH = 32
MAX_INSTANCES = 100_000
"""Most solids once every assembly is expanded (a 10,000-bump package has ~10,500)."""
MAX_TRIANGLES = 30_000_000
"""Most triangles of all distinct solids' meshes together."""
CHUNK = 1 << 20

FIX = "give an ISO 10303-21 STEP file (AP203, AP214 or AP242), .step, .stp or .stpZ"

_STRING = re.compile(rb"'(?:[^']|'')*'")
_ENTITY = re.compile(rb"#\d+\s*=")
_NOT_FINITE = re.compile(rb"[(,]\s*[+-]?(?:NAN|INF(?:INITY)?)\s*[,)]", re.IGNORECASE)
_EXPONENT = re.compile(rb"\d\.?\d*[eE]\+?(\d{3,})")
_NAUO = re.compile(rb"NEXT_ASSEMBLY_USAGE_OCCURRENCE\s*\(\s*(?:''|\$)\s*,\s*(?:''|\$)\s*,\s*(?:''|\$)\s*,\s*#(\d+)\s*,"
                   rb"\s*#(\d+)",
                   re.IGNORECASE)


@dataclass(frozen=True)
class StepText:
    """A proven STEP file: its text, and what was counted on the way."""

    text: bytes
    entities: int
    instances: int  # leaf parts once the assembly tree is expanded (1 without assemblies)
    depth: int
    compressed: bool


def read_bounded(path: Path) -> tuple[bytes, bool]:
    """The file's bytes, gunzipped when it is gzip (by its first bytes, whatever its name), never more than
    :data:`MAX_FILE_BYTES`; refuses what is not a regular file or is too large."""
    where = str(path)
    try:
        st = path.stat()
    except OSError as exc:
        raise InputError(where, NO_VALUE, f"cannot read it ({exc.strerror or exc})", FIX) from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(where, NO_VALUE, "not a regular file", FIX)
    if not path.name.lower().endswith(SUFFIXES):
        raise InputError(where, NO_VALUE, f"the name must end in {', '.join(SUFFIXES)}", FIX)
    if st.st_size > MAX_FILE_BYTES:
        raise InputError(where, NO_VALUE, f"{st.st_size / 1e6:.0f} MB: larger than the {MAX_FILE_BYTES >> 20} MB "
                         "pkgcad screens", "simplify the model (drop the board, the text, the fillets)")
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(where, NO_VALUE, f"cannot read it ({exc.strerror or exc})", FIX) from None
    if data[:2] != b"\x1f\x8b":
        return data, False
    out = bytearray()
    z = zlib.decompressobj(wbits=31)
    view = memoryview(data)
    for i in range(0, len(data), CHUNK):
        out += z.decompress(view[i:i + CHUNK], MAX_FILE_BYTES + 1 - len(out))
        while z.unconsumed_tail and len(out) <= MAX_FILE_BYTES:
            out += z.decompress(z.unconsumed_tail, MAX_FILE_BYTES + 1 - len(out))
        if len(out) > MAX_FILE_BYTES:
            raise InputError(where, NO_VALUE, f"inflates to more than {MAX_FILE_BYTES >> 20} MB of STEP text",
                             "simplify the model (drop the board, the text, the fillets)")
        if z.eof:
            break
    if not z.eof:
        raise InputError(where, NO_VALUE, "a truncated gzip stream (.stpZ)", "compress the whole STEP file again")
    return bytes(out), True


def prove(path: Path) -> StepText:
    """Read ``path`` within the bounds and prove it is a STEP file pkgcad may hand to OpenCASCADE."""
    where = str(path)
    data, compressed = read_bounded(path)
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"ISO-10303-21;"):
        raise InputError(where, NO_VALUE, "not ISO 10303-21 text (it must start with ISO-10303-21;)", FIX)
    if not data.rstrip().endswith(b"END-ISO-10303-21;"):
        raise InputError(where, NO_VALUE, "truncated: it does not end with END-ISO-10303-21;",
                         "copy or export the file again")
    bare = _STRING.sub(b"''", data)  # names and descriptions can hold anything: judge the structure without them
    if b"DATA;" not in bare or b"ENDSEC;" not in bare:
        raise InputError(where, NO_VALUE, "no DATA section", "export the model again")
    entities = 0
    for _m in _ENTITY.finditer(bare):
        entities += 1
        if entities > MAX_ENTITIES:
            raise InputError(where, NO_VALUE, f"more than {MAX_ENTITIES:,} entities", "simplify the model (drop "
                             "the board, the text, the fillets) or screen the package alone")
    if entities == 0:
        raise InputError(where, NO_VALUE, "no entities in its DATA section", FIX)
    bad = _NOT_FINITE.search(bare)
    if bad:
        raise InputError(where, bad.group(0).strip(b"(),").decode("ascii", "replace"),
                         "a number that is not finite (NaN or infinity)", "export the model again")
    for m in _EXPONENT.finditer(bare):
        if int(m.group(1)) > 300:
            raise InputError(where, m.group(0).decode("ascii", "replace"), "a number beyond double range",
                             "export the model again")
    instances, depth = _assembly(bare, where)
    return StepText(data, entities, instances, depth, compressed)


def _assembly(bare: bytes, where: str) -> tuple[int, int]:
    """(leaf parts once expanded, nesting depth) of the assembly tree NEXT_ASSEMBLY_USAGE_OCCURRENCE builds;
    refuses a cycle, a tree deeper than :data:`MAX_DEPTH` or more than :data:`MAX_INSTANCES` leaf parts."""
    children: dict[int, list[int]] = {}
    has_parent: set[int] = set()
    for m in _NAUO.finditer(bare):
        parent, child = int(m.group(1)), int(m.group(2))
        children.setdefault(parent, []).append(child)
        has_parent.add(child)
    if not children:
        return 1, 0
    leaves: dict[int, int] = {}
    depth: dict[int, int] = {}
    state: dict[int, int] = {}  # 1 on the path, 2 done
    for root in sorted(children):
        if root in state:
            continue
        stack: list[tuple[int, int]] = [(root, 0)]
        while stack:
            node, i = stack.pop()
            if i == 0:
                if state.get(node) == 1:
                    raise InputError(where, f"#{node}", "an assembly that contains itself (a cycle of "
                                     "NEXT_ASSEMBLY_USAGE_OCCURRENCE)", "export the model again")
                state[node] = 1
                if len(stack) >= MAX_DEPTH:
                    raise InputError(where, NO_VALUE, f"assemblies nested deeper than {MAX_DEPTH} levels",
                                     "flatten the assembly")
            kids = children.get(node, [])
            if i < len(kids):
                stack.append((node, i + 1))
                kid = kids[i]
                if state.get(kid) == 1:
                    raise InputError(where, f"#{kid}", "an assembly that contains itself (a cycle of "
                                     "NEXT_ASSEMBLY_USAGE_OCCURRENCE)", "export the model again")
                if state.get(kid) != 2:
                    stack.append((kid, 0))
                continue
            leaves[node] = min(MAX_INSTANCES + 1, sum(leaves[k] for k in kids)) if kids else 1
            depth[node] = 1 + max((depth[k] for k in kids), default=-1)
            state[node] = 2
    roots = [r for r in children if r not in has_parent]
    total = sum(leaves[r] for r in roots)
    if total > MAX_INSTANCES:
        raise InputError(where, NO_VALUE, f"more than {MAX_INSTANCES:,} parts once its assemblies are expanded",
                         "screen the package alone")
    return total, max((depth[r] for r in roots), default=0)
