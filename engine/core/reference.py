"""Reference data shipped with the product: roles, lane names and kinds of org unit."""

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
ACCEPTING_WINDOW = "accepting_window"
SUPERVISOR_ABOVE = "supervisor_above"


@dataclass(frozen=True)
class Role:
    code: str
    name: str
    works_at: str


@dataclass(frozen=True)
class OrgKind:
    code: str
    name: str
    level: str
    window_role: str | None
    system_wide: bool = False
    """`scope = "all"`: administrators and designers of such a unit act on every unit."""


@dataclass(frozen=True)
class Reference:
    roles: dict[str, Role]
    lane_aliases: dict[str, str]
    kinds: dict[str, OrgKind]
    lane_routes: dict[str, str]
    """Lane → the task-data field naming the unit that works its tasks (`routed_by` in roles.toml)."""

    def role_for_lane(self, lane: str) -> str | None:
        """Role code a lane names, `ACCEPTING_WINDOW` for the alias, None when unknown."""
        if lane in self.lane_aliases:
            return self.lane_aliases[lane]
        return next((r.code for r in self.roles.values() if r.name == lane), None)

    def lane_names(self) -> set[str]:
        return {r.name for r in self.roles.values()} | set(self.lane_aliases)

    def role_name(self, code: str) -> str:
        return self.roles[code].name if code in self.roles else code


@cache
def reference() -> Reference:
    roles_doc = tomllib.loads((DATA_DIR / "roles.toml").read_text(encoding="utf-8"))
    kinds_doc = tomllib.loads((DATA_DIR / "org_kinds.toml").read_text(encoding="utf-8"))
    return Reference(
        roles={r["code"]: Role(r["code"], r["name"], r["works_at"]) for r in roles_doc["role"]},
        lane_aliases={a["name"]: a["resolves_to"] for a in roles_doc.get("lane_alias", [])},
        lane_routes={a["name"]: a["routed_by"] for a in roles_doc.get("lane_alias", []) if "routed_by" in a},
        kinds={
            code: OrgKind(code, k["name"], k["level"], k.get("window_role"), k.get("scope") == "all")
            for code, k in kinds_doc["kind"].items()
        },
    )
