"""帮办代办: the 委托 under which an agent applied for the applicant (seeds 001 §三.3, 附件2).

Taken at 受理 with the application (`record`), kept as a `ProxyMandate` row of the accepting unit, whose
代办 work it counts (`engine.reporting.proxy_counts`). The applicant's signed authorisation is a scan of the
case under the material named in `data/notices.toml` ([mandate] material), attachable to a proxy case besides
the item's own materials; the 受理单 prints the 委托 and is issued once that scan is in.
"""

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from engine.cases import tallies
from engine.cases.applicants import masked_id_number, masked_mobile
from engine.catalogue.flows import catalog
from engine.core.clock import clock
from engine.core.models import Attachment, CaseInstance, ProxyMandate, User

_OF_CASE = select(ProxyMandate).where(ProxyMandate.instance_id == bindparam("case_id"))
_SCANS_OF = (
    select(func.count())
    .select_from(Attachment)
    .where(Attachment.instance_id == bindparam("case_id"), Attachment.material == bindparam("material"))
)


@cache
def authorisation_material() -> str:
    """The material name of the applicant's signed 授权委托书, as reviewed data names it."""
    data = tomllib.loads((Path(__file__).resolve().parents[1] / "data" / "notices.toml").read_text(encoding="utf-8"))
    name: str = data["mandate"]["material"]
    return name


def record(session: Session, user: User, case: CaseInstance, mandate: dict[str, Any]) -> ProxyMandate:
    """The 委托 of a case being accepted (the `mandate` group of the cleaned `case_start` form)."""
    row = ProxyMandate(
        instance_id=case.id,
        org_id=case.org_id,
        agent_name=mandate["agent_name"],
        agent_id_number=mandate["agent_id_number"],
        agent_mobile=mandate.get("agent_mobile"),
        relation=mandate["relation"],
        accepted_at=clock.now(),
        accepted_by_id=user.id,
    )
    session.add(row)
    tallies.note_mandate(session, case, row.accepted_at)
    return row


def mandate_of(session: Session, case_id: int) -> ProxyMandate | None:
    return session.scalars(_OF_CASE, {"case_id": case_id}).first()


def authorisation_scans(session: Session, case_id: int) -> int:
    """How many scans of the signed 授权委托书 the case holds."""
    return session.execute(_SCANS_OF, {"case_id": case_id, "material": authorisation_material()}).scalar_one()


@dataclass(frozen=True)
class ShownMandate:
    """The 委托 as staff read it on the case and over the API: the agent's numbers masked as an applicant's."""

    agent_name: str
    agent_id_number: str
    agent_mobile: str
    relation: str
    scans: int
    """Scans of the signed 授权委托书 the case holds."""


def shown(session: Session, case_id: int) -> ShownMandate | None:
    """The case's 委托 with the agent's ID number and mobile masked; None without a 委托."""
    row = mandate_of(session, case_id)
    if row is None:
        return None
    return ShownMandate(
        agent_name=row.agent_name,
        agent_id_number=masked_id_number(row.agent_id_number),
        agent_mobile=masked_mobile(row.agent_mobile),
        relation=row.relation,
        scans=authorisation_scans(session, case_id),
    )


def printed(session: Session, case_id: int) -> list[tuple[str, str]]:
    """The 委托 as the 受理单 prints it (label, text), the agent's ID number masked; none without a 委托."""
    row = shown(session, case_id)
    if row is None:
        return []
    return [
        ("代办人", row.agent_name),
        ("代办人身份证号", row.agent_id_number),
        ("与申请人关系", row.relation),
        (
            "授权委托书",
            f"申请人签字的授权委托书已扫描存档（{row.scans}份）" if row.scans else "授权委托书扫描件尚未上传",
        ),
    ]


def case_materials(session: Session, case: CaseInstance) -> list[str]:
    """The materials a scan of the case may be attached to: the item's, and the 授权委托书 of a proxy case."""
    names = [m.name for m in catalog().get(case.item_id).materials]
    if mandate_of(session, case.id) is not None:
        names.append(authorisation_material())
    return names
