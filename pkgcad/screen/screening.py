"""What ``pkgcad screen`` found about one STEP model (:class:`Screening`): the model read, the roles, the judgement,
and the same as JSON (``screen.json``) and as summary lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .judge import Judgement
from .model import Screened
from .roles import Assigned, RolesFile
from .step import StepModel


@dataclass
class Screening:
    step: StepModel
    roles: RolesFile
    assigned: dict[int, Assigned]
    screened: Screened
    judgement: Judgement
    tol: float
    timings: dict[str, float] = field(default_factory=dict)

    def solids_of(self, roles: tuple[str, ...]) -> dict[str, dict[str, Any]]:
        """Per role an element speaks of: how many solids have it and the first names."""
        out = {}
        for role in roles:
            members = self.screened.members.get(role, [])
            if members:
                out[role] = {"count": len(members), "names": [m.name for m in members[:10]]}
        return out

    def claims_json(self) -> list[dict[str, Any]]:
        out = []
        for c in self.judgement.claims:
            d = c.as_dict()
            for e, row in zip(c.elements, d["elements"], strict=True):
                row["solids"] = self.solids_of(e.roles)
            out.append(d)
        return out

    def roles_json(self) -> list[dict[str, Any]]:
        out = []
        for s in self.step.solids:
            a = self.assigned[s.index]
            out.append({"index": s.index, "name": s.name, "product": s.product, "path": s.path, **a.as_dict()})
        return out

    def as_dict(self) -> dict[str, Any]:
        j = self.judgement
        return {
            "tool": "pkgcad screen", "model": self.step.name, "file": str(self.step.path), "units": "mm",
            "tolerance_mm": self.tol,
            "claims": self.claims_json(),
            "elements": [{**e.as_dict(), "claims": [c.claim for c in j.claims if any(x.id == e.id for x in c.elements)]}
                         for e in j.elements.values()],
            "roles": self.roles_json(),
            "features": {k: {"value": v, "found": j.found.get(k, "")} for k, v in j.embodiment.items()},
            "materials": dict(self.roles.materials), "cte_ppm_k": dict(self.roles.cte),
            "cannot_decide": [{"id": e, "state": what} for e, what in j.undecided],
            "hygiene": [r.as_dict() for r in j.hygiene],
            "solids": len(self.step.solids), "entities": self.step.proven.entities, "notes": self.step.notes,
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
        }

    def summary_lines(self) -> list[str]:
        j = self.judgement
        by = {v: [c.claim for c in j.claims if c.verdict == v] for v in ("met", "not_met", "cannot_tell")}
        roles: dict[str, int] = {}
        for a in self.assigned.values():
            roles[a.role] = roles.get(a.role, 0) + 1
        lines = [f"{self.step.name}: {len(self.step.solids)} solids ("
                 + ", ".join(f"{n} {r}" for r, n in sorted(roles.items(), key=lambda kv: -kv[1])) + ")"]
        for v, label in (("met", "met"), ("not_met", "not met"), ("cannot_tell", "cannot tell")):
            lines.append(f"  claims {label}: {', '.join(map(str, by[v])) or '-'}")
        for e, what in j.undecided:
            lines.append(f"  cannot decide {e}: {what}")
        return lines
