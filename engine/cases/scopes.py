"""The units a case is listed under (`CaseScope`), kept as rows so that a listing's scope is one index range.

The rule is `engine.org.permissions` (a clerk sees the cases their unit accepted or holds a task of, an
administrator those of any unit of their scope); this writes what it reads. The step writer notes the
accepting unit and the unit of each task row it adds: each such unit is a row for its own clerks, and it and
every unit above it a row for the administrators whose subtree holds it. Units never move in the tree, so
rows once written stay true.
"""

from collections.abc import Iterable
from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from engine.core.models import CaseInstance, CaseScope, OrgUnit

_KNOWN = select(CaseScope.org_id, CaseScope.subtree).where(CaseScope.instance_id == bindparam("case_id"))
_INSERT = cast(Table, CaseScope.__table__).insert()


def note_units(session: Session, case: CaseInstance, unit_ids: Iterable[int]) -> None:
    """Add the rows a case needs once these units accepted it or hold one of its tasks."""
    wanted = {(unit_id, False) for unit_id in unit_ids}
    wanted |= {(above, True) for unit_id, _ in list(wanted) for above in _at_and_above(session, unit_id)}
    missing = wanted - {(org_id, subtree) for org_id, subtree in session.execute(_KNOWN, {"case_id": case.id})}
    if missing:
        rows = [
            {
                "instance_id": case.id,
                "org_id": org_id,
                "subtree": subtree,
                "started_at": case.started_at,
            }
            for org_id, subtree in sorted(missing)
        ]
        session.connection().execute(_INSERT, rows)


def _at_and_above(session: Session, unit_id: int) -> list[int]:
    """The unit and each unit above it, from the org tree read once a session (again for a unit added since)."""
    parents: dict[int, int | None] = session.info.setdefault("unit_parents", {})
    if unit_id not in parents:
        parents.update({unit: parent for unit, parent in session.execute(select(OrgUnit.id, OrgUnit.parent_id))})
    chain: list[int] = []
    current: int | None = unit_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain
