"""Which role each solid of a screened STEP plays, and how that was decided: the user's roles file first (name
patterns -> roles, and the materials the claims need), then a few words vendors use in names, then the
geometry (:mod:`.infer`). The roles file written back lists every solid with its role and why, for the user to
correct and rerun.

A roles file (TOML)::

    [roles]                      # pattern = role; the first pattern that matches a solid wins
    "LID*" = "heat_sink"         # shell-style, case-insensitive, against the solid's instance name, its
    "C4_*" = "bump"              # product name or its path ("top / sub / name")
    "#12" = "chip"               # "#N": the N-th solid of the file (what a file without names needs)
    "PCB*" = "ignore"            # left out of the model altogether

    [materials]                  # role = a material of pkgcad's table (pkgcad.materials; roles.toml lists them)
    interface_layer = "nickel"
    heat_sink = "copper"

    [cte_ppm_k]                  # role = thermal expansion, ppm/K, where the material is not in the table
    buffer_pad = 3.0
"""

from __future__ import annotations

import fnmatch
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import NO_VALUE, InputError
from ..materials import MATERIALS
from ..roles import Role
from .step import StepModel, StepSolid

IGNORE = "ignore"
UNKNOWN = "unknown"
ROLES = tuple(r.value for r in Role)
CHOICES = (*ROLES, IGNORE)
MAX_ROLES_BYTES = 1 << 20

#: Words in names that say a role (tokens of the lower-cased name; the longest phrase wins, so "die_pad" is
#: a carrier and "die" a chip). Vendors name freely: a word here is weaker than the user's roles file.
NAME_WORDS: dict[tuple[str, ...], str] = {
    ("heat", "sink"): "heat_sink", ("heatsink",): "heat_sink", ("heat", "spreader"): "heat_sink",
    ("heatspreader",): "heat_sink", ("spreader",): "heat_sink", ("lid",): "heat_sink", ("slug",): "heat_sink",
    ("interface", "layer"): "interface_layer", ("interface",): "interface_layer",
    ("encapsulant",): "encapsulant", ("mold",): "encapsulant", ("mould",): "encapsulant",
    ("molding", "compound"): "encapsulant", ("compound",): "encapsulant", ("emc",): "encapsulant",
    ("chip",): "chip", ("die",): "chip",
    ("die", "pad"): "carrier", ("diepad",): "carrier", ("paddle",): "carrier", ("substrate",): "carrier",
    ("laminate",): "carrier", ("leadframe",): "carrier", ("lead", "frame"): "carrier", ("lead",): "carrier",
    ("leads",): "carrier", ("carrier",): "carrier",
    ("bump",): "bump", ("bumps",): "bump", ("c4",): "bump", ("microbump",): "bump",
    ("ball",): "ball", ("balls",): "ball", ("solderball",): "ball", ("solder", "ball"): "ball",
    ("wire",): "wire", ("wires",): "wire", ("bondwire",): "wire", ("bond", "wire"): "wire",
    ("bond", "finger"): "bond_finger", ("finger",): "bond_finger",
    ("die", "attach"): "die_attach", ("dieattach",): "die_attach", ("daf",): "die_attach",
    ("adhesive",): "adhesive", ("tim",): "adhesive", ("glue",): "adhesive",
    ("buffer", "pad"): "buffer_pad", ("buffer",): "buffer_pad", ("spacer",): "buffer_pad",
    ("buffer", "pad", "attach"): "buffer_pad_attach",
}
_LONGEST = max(len(k) for k in NAME_WORDS)


@dataclass
class Assigned:
    """A solid's role and how it was decided: ``how`` is "roles file", "name", "geometry" or "none"."""

    role: str
    how: str
    reason: str
    confidence: float

    def as_dict(self) -> dict[str, object]:
        return {"role": self.role, "how": self.how, "reason": self.reason, "confidence": round(self.confidence, 2)}


@dataclass
class RolesFile:
    path: str = ""
    patterns: list[tuple[str, str]] = field(default_factory=list)
    materials: dict[str, str] = field(default_factory=dict)
    cte: dict[str, float] = field(default_factory=dict)


def _fix(path: str) -> str:
    return f"correct {path} (see `pkgcad screen --help`: [roles] pattern = role, [materials] role = material)"


def load_roles(path: str | Path) -> RolesFile:
    """Read and validate a roles file; :class:`InputError` naming the key for anything wrong."""
    p = Path(path)
    where = str(p)
    try:
        if not p.is_file():
            raise InputError("--roles", where, "no such file")
        if p.stat().st_size > MAX_ROLES_BYTES:
            raise InputError("--roles", where, f"larger than {MAX_ROLES_BYTES >> 20} MB")
        data = tomllib.loads(p.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
        raise InputError("--roles", where, f"not TOML ({str(exc)[:80]})", _fix(where)) from None
    except OSError as exc:
        raise InputError("--roles", where, f"cannot read it ({exc.strerror or exc})") from None
    extra = set(data) - {"roles", "materials", "cte_ppm_k"}
    if extra:
        raise InputError(f"{where}: {sorted(extra)[0]}", NO_VALUE, "unknown table: allowed [roles], [materials], "
                         "[cte_ppm_k]", _fix(where))
    out = RolesFile(where)
    for key, table in (("roles", data.get("roles", {})), ("materials", data.get("materials", {})),
                       ("cte_ppm_k", data.get("cte_ppm_k", {}))):
        if not isinstance(table, dict):
            raise InputError(f"{where}: {key}", table, "must be a table", _fix(where))
        for k, v in table.items():
            if key == "roles":
                out.patterns.append((k, check_role(f"{where}: roles.{k}", v)))
            elif key == "materials":
                role, mat = check_material(f"{where}: materials.{k}", k, v)
                out.materials[role] = mat
            else:
                role, cte = check_cte(f"{where}: cte_ppm_k.{k}", k, v)
                out.cte[role] = cte
    return out


def check_role(key: str, value: object) -> str:
    if not isinstance(value, str) or value not in CHOICES:
        raise InputError(key, value, f"not a role; choose {' | '.join(CHOICES)}")
    return value


def check_material(key: str, role: str, value: object) -> tuple[str, str]:
    if role not in ROLES:
        raise InputError(key, role, f"not a role; choose {' | '.join(ROLES)}")
    if not isinstance(value, str) or value not in MATERIALS:
        raise InputError(key, value, f"not a material pkgcad knows; choose {' | '.join(MATERIALS)}",
                         f"or state the expansion: {role}.cte_ppm_k=NUMBER")
    return role, value


def check_cte(key: str, role: str, value: object) -> tuple[str, float]:
    if role not in ROLES:
        raise InputError(key, role, f"not a role; choose {' | '.join(ROLES)}")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or not \
            0 <= value <= 1000:
        raise InputError(key, value, "thermal expansion in ppm/K: a number from 0 to 1000")
    return role, float(value)


def parse_materials(items: list[str], into: RolesFile) -> RolesFile:
    """``--materials ROLE=MATERIAL`` / ``--materials ROLE.cte_ppm_k=NUMBER`` on top of the roles file's."""
    for item in items:
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise InputError("--materials", item, "give ROLE=MATERIAL or ROLE.cte_ppm_k=NUMBER",
                             "e.g. --materials interface_layer=nickel --materials buffer_pad.cte_ppm_k=3")
        if key.endswith(".cte_ppm_k"):
            try:
                number: object = float(value)
            except ValueError:
                number = value
            role, cte = check_cte("--materials", key.removesuffix(".cte_ppm_k"), number)
            into.cte[role] = cte
        else:
            role, mat = check_material("--materials", key, value)
            into.materials[role] = mat
    return into


def tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[^0-9a-z]+", name.lower()) if t]


def name_role(name: str) -> tuple[str, str] | None:
    """(role, the words) when ``name`` holds a word of :data:`NAME_WORDS` (the longest phrase, first found)."""
    toks = tokens(name)
    for i in range(len(toks)):
        for n in range(min(_LONGEST, len(toks) - i), 0, -1):
            role = NAME_WORDS.get(tuple(toks[i:i + n]))
            if role:
                return role, " ".join(toks[i:i + n])
    return None


def _matches(pattern: str, s: StepSolid) -> bool:
    if re.fullmatch(r"#\d+", pattern):
        return int(pattern[1:]) == s.index
    pat = pattern.lower()
    return any(fnmatch.fnmatchcase(n.lower(), pat) for n in (s.name, s.product, s.path) if n)


def assign_stated(model: StepModel, roles: RolesFile) -> dict[int, Assigned]:
    """Solid index -> role for the solids the roles file or a name decides."""
    out: dict[int, Assigned] = {}
    for s in model.solids:
        for pattern, role in roles.patterns:
            if _matches(pattern, s):
                out[s.index] = Assigned(role, "roles file", f"matches {pattern!r} in {roles.path}", 1.0)
                break
        else:
            for n in (s.name, s.product):
                hit = name_role(n)
                if hit:
                    out[s.index] = Assigned(hit[0], "name", f"its name holds {hit[1]!r}", 0.9)
                    break
    return out


# ------------------------------------------------------------------------------------ writing back
def toml_string(s: str) -> str:
    """``s`` as a TOML basic string (quotes, backslashes and control characters escaped)."""
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F or 0xD800 <= ord(ch) <= 0xDFFF:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def glob_literal(name: str) -> str:
    """A shell pattern that matches exactly ``name``."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def roles_toml(model: StepModel, assigned: dict[int, Assigned], roles: RolesFile) -> str:
    """The roles file to correct and rerun with: every solid (by name where its name is unique to its role,
    else by ``#index``) with its role, and how it was decided as a comment; the materials stated so far and
    the ones the claims still need, commented out."""
    lines = ["# pkgcad screen roles file: correct a role and rerun with --roles THIS_FILE.",
             f"# Roles: {', '.join(CHOICES)}.",
             "# Patterns are shell-style (* ? [..]), case-insensitive, matched against each solid's instance name,",
             "# product name and path; \"#N\" is the N-th solid of the file. The first match wins.",
             "", "[roles]"]
    by_name: dict[str, set[str]] = {}
    for s in model.solids:
        by_name.setdefault(s.name, set()).add(assigned[s.index].role)
    done: set[str] = set()
    for s in model.solids:
        a = assigned[s.index]
        note = toml_string(f"{a.how}: {a.reason} (confidence {a.confidence:.2f})")[1:-1]
        unique = len(by_name[s.name]) == 1 and s.name and not s.name.startswith("#")
        if unique and s.name in done:
            continue
        done.add(s.name)
        key = toml_string(glob_literal(s.name)) if unique else toml_string(f"#{s.index}")
        what = note if unique else f"{toml_string(s.name)[1:-1]}: {note}"
        if a.role in CHOICES:
            lines.append(f"{key} = {toml_string(a.role)}  # {what}")
        else:  # no role found: left for the user, commented out
            lines.append(f"# {key} = \"...\"  # no role found; set one or \"ignore\": {what}")
    lines += ["", "# role = material (one of: " + ", ".join(MATERIALS) + ")", "[materials]"]
    for role in ("interface_layer", "heat_sink", "adhesive", "buffer_pad", "chip"):
        if role in roles.materials:
            lines.append(f"{role} = {toml_string(roles.materials[role])}")
        else:
            lines.append(f"# {role} = \"...\"")
    lines += ["", "# role = thermal expansion, ppm/K (where the material is not in the table)", "[cte_ppm_k]"]
    for role, cte in roles.cte.items():
        lines.append(f"{role} = {cte:g}")
    return "\n".join(lines) + "\n"
