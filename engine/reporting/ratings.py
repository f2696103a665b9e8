"""好差评: the applicant's rating of a concluded case, and the 整改 and 回访 a 差评 opens.

One rating per case (一次一评, GB/T 39734-2020), whichever way it comes: staff record what the applicant gave
at the window's 评价器 (`rate_case`, `rate_by_case_no`), or the applicant rates online without an account
(`rate_as_applicant`: the 办件编号 and the ID number's last six characters, as for the progress lookup). The
applicant rates one stage, the last by default (`rated_stages`). A 差评 (不满意, 非常不满意) must be
investigated, corrected and followed up (国办发〔2019〕51号; 永医保发〔2022〕15号: 差评回访率、处置率100%): the
engine starts the `rating_rectification` flow as a case of its own at the unit whose stage was rated, its 整改
at that unit's window and its 回访 with the 督办员 above it, with a limit of working days that deployments set
(local rules say 5, 7 or 15).
"""

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import workcalendar
from engine.bpmn import deployment
from engine.cases import history, progress
from engine.cases.lifecycle import CONCLUDED, RUNNING
from engine.cases.step import write_step
from engine.catalogue.flows import catalog
from engine.core.clock import clock
from engine.core.errors import Conflict, Invalid, NotFound
from engine.core.models import CaseInstance, OrgUnit, Rating, Task, User
from engine.core.uow import unit_of_work
from engine.org.permissions import ensure_may_rate, may_see_case
from engine.reporting import rated_stages
from engine.reporting.rated_stages import RatedStage
from engine.workflow import snapshot
from forms.registry import clean

POOR_LEVELS = frozenset({"不满意", "非常不满意"})
RECTIFICATION_PROCESS = "rating_rectification"
RECTIFICATION_WORKING_DAYS = 5
RECTIFICATION_SUFFIX = "-ZG"
# The flow's two steps (their ids in rating_rectification.bpmn): 整改 done is 处置, 回访 done is 回访.
RECTIFY_STEP, FOLLOW_UP_STEP = "rectify", "follow_up_visit"
WINDOW, ONLINE = "window", "online"
ALREADY_RATED = "该办件已评价，每件办件只能评价一次"


def rate_case(
    session: Session, user: User, case_id: int, payload: dict[str, Any], rectification_days: int | None = None
) -> Rating:
    """Record the rating given at the window's 评价器 (the `rating` form and an optional `stage`). Commits."""
    case = _visible_case(session, user, session.get(CaseInstance, case_id))
    ensure_may_rate(user, case.org_id)
    return _record(session, case, payload, user, rectification_days)


def rate_as_applicant(session: Session, payload: dict[str, Any], rectification_days: int | None = None) -> Rating:
    """The applicant's own rating: `case_no` and `id_tail` find the case (one 404 for any miss), then as
    `rate_case`. Commits."""
    body = dict(payload)
    case = progress.applicants_case(session, str(body.pop("case_no", "") or ""), str(body.pop("id_tail", "") or ""))
    return _record(session, case, body, None, rectification_days)


def rateable_stages(session: Session, case_no: str, id_tail: str) -> tuple[CaseInstance, tuple[RatedStage, ...]]:
    """What the applicant's rating page offers once the number and tail match: the case and its stages.
    409 when the case cannot be rated (yet, or again)."""
    case = progress.applicants_case(session, case_no, id_tail)
    _ensure_rateable(session, case)
    return case, rated_stages.stages_of(session, case)


def _record(
    session: Session, case: CaseInstance, payload: dict[str, Any], user: User | None, rectification_days: int | None
) -> Rating:
    body = dict(payload)
    requested_stage = body.pop("stage", None)
    values = clean("rating", body, today=clock.now().date())
    _ensure_rateable(session, case)
    stage = rated_stages.pick(rated_stages.stages_of(session, case), str(requested_stage or ""))
    rating = Rating(
        instance_id=case.id,
        instance=case,
        level=values["level"],
        comment=values.get("comment") or None,
        recorded_at=clock.now(),
        recorded_by_id=user.id if user else None,
        channel=WINDOW if user else ONLINE,
        stage=stage.title,
        responsible_org_id=stage.unit.id,
    )
    with unit_of_work(session):
        session.add(rating)
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(ALREADY_RATED) from None
        detail = {"level": rating.level, "comment": rating.comment, "stage": stage.title, "channel": rating.channel}
        history.record(session, case, "rated", user, detail=detail)
        if rating.level in POOR_LEVELS:
            days = RECTIFICATION_WORKING_DAYS if rectification_days is None else rectification_days
            _open_rectification(session, user, rating, stage.unit, days)
    return rating


def _ensure_rateable(session: Session, case: CaseInstance) -> None:
    if _is_rectification(session, case):
        raise Conflict("差评整改办件不参与好差评")
    if case.status != CONCLUDED:
        raise Conflict("办件尚未办结，办结后才能评价")
    if session.scalar(select(Rating.id).where(Rating.instance_id == case.id)) is not None:
        raise Conflict(ALREADY_RATED)


def rate_by_case_no(
    session: Session, user: User, payload: dict[str, Any], rectification_days: int | None = None
) -> Rating:
    """The same as `rate_case`, finding the case by its 办件编号 as the applicant quotes it.

    A number no case has and the number of a case the caller may not see get the same answer (422 on
    `case_no`), so that the answer never tells whether another unit's case exists.
    """
    body = dict(payload)
    case_no = str(body.pop("case_no", "") or "").strip()
    if not case_no:
        raise Invalid("请填写办件编号", {"case_no": ["此项为必填项"]})
    case = session.scalars(select(CaseInstance).where(CaseInstance.case_no == case_no)).first()
    try:
        case = _visible_case(session, user, case)
    except NotFound:
        raise Invalid("办件编号不存在", {"case_no": [f"没有编号为“{case_no[:40]}”的办件"]}) from None
    return rate_case(session, user, case.id, body, rectification_days)


def rating_of(session: Session, user: User, case_id: int) -> Rating:
    """The rating of a case the user may see."""
    case = _visible_case(session, user, session.get(CaseInstance, case_id))
    rating = session.scalars(select(Rating).where(Rating.instance_id == case.id)).first()
    if rating is None:
        raise NotFound("该办件尚未评价")
    return rating


def _open_rectification(session: Session, user: User | None, rating: Rating, unit: OrgUnit, days: int) -> None:
    """Start the 整改 case at the rated stage's unit, its limit counted from tomorrow (次日起算).

    An online rating has no recording clerk: its 整改 case is filed as started by whoever accepted the rated case.
    """
    case = rating.instance
    definition = deployment.latest_definition(session, RECTIFICATION_PROCESS)
    spec, subprocess_specs = deployment.specs_of(definition)
    now = clock.now()
    due = workcalendar.default_calendar().due(now, days)
    rectification = CaseInstance(
        case_no=f"{case.case_no}{RECTIFICATION_SUFFIX}",
        item_id=case.item_id,
        item_name=f"差评整改：{case.item_name}",
        region=case.region,
        definition_id=definition.id,
        org_id=unit.id,
        org=unit,
        status=RUNNING,
        applicant=case.applicant,
        state=b"",
        started_by_id=user.id if user else case.started_by_id,
        started_at=now,
        due_at=due.due_at,
    )
    session.add(rectification)
    session.flush()
    rating.rectification_id = rectification.id
    workflow = snapshot.new_workflow(
        spec,
        subprocess_specs,
        {
            "case_no": rectification.case_no,
            "rated_case_no": case.case_no,
            "item_id": case.item_id,
            "item_name": case.item_name,
            "applicant": case.applicant,
            "rating": {"level": rating.level, "comment": rating.comment, "stage": rating.stage},
        },
    )
    workflow.do_engine_steps()
    write_step(session, rectification, catalog().get(case.item_id), workflow)
    opened = {
        "rated_case_no": case.case_no,
        "rectification_case_no": rectification.case_no,
        "level": rating.level,
        "stage": rating.stage,
        "responsible_org": unit.code,
        "working_days": days,
        "due_at": due.due_at.isoformat(),
        "provisional": due.provisional,
    }
    history.record(session, case, "rectification_opened", user, detail=opened)
    history.record(session, rectification, "rectification_opened", user, detail=opened)


def _visible_case(session: Session, user: User, case: CaseInstance | None) -> CaseInstance:
    if case is None:
        raise NotFound("办件不存在")
    task_orgs = set(session.scalars(select(Task.org_id).where(Task.instance_id == case.id)))
    if not may_see_case(user, case.org_id, task_orgs):
        raise NotFound("办件不存在")
    return case


def _is_rectification(session: Session, case: CaseInstance) -> bool:
    return session.scalar(select(Rating.id).where(Rating.rectification_id == case.id)) is not None
