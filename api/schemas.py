"""Output representations of the REST API (documented in /api/openapi.json)."""

from marshmallow import Schema, fields, pre_dump

from engine.cases.applicants import masked_applicant
from engine.cases.deadlines import deadline_status
from engine.cases.history import ACTION_LABELS
from engine.cases.waits import shown as shown_wait
from engine.core.reference import reference
from engine.tasks import step_limits
from forms.registry import json_schema


class OrgRef(Schema):
    code = fields.String()
    name = fields.String()


class UserRef(Schema):
    username = fields.String()
    display_name = fields.String()


class TaskOut(Schema):
    id = fields.String()
    instance_id = fields.Integer()
    case_no = fields.String(attribute="instance.case_no")
    item = fields.String(attribute="instance.item_name")
    title = fields.String(metadata={"description": "环节名称"})
    role = fields.String()
    role_name = fields.Function(lambda t: reference().role_name(t.role))
    org = fields.Nested(OrgRef)
    assignee = fields.Nested(UserRef, allow_none=True)
    state = fields.String()
    form_key = fields.String()
    created_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)
    warn_at = fields.DateTime(allow_none=True)
    working_days_left = fields.Integer(attribute="status.working_days_left", allow_none=True)
    overdue = fields.Boolean(attribute="status.overdue")
    deadline = fields.String(attribute="status.label", metadata={"description": "即将超期 / 已超期 / 空"})
    limit_days = fields.Integer(allow_none=True, metadata={"description": "本环节时限（工作日，0 为当日24:00前）"})
    limit_source = fields.String(allow_none=True, metadata={"description": "list / default / adjusted"})
    limit_label = fields.Function(
        lambda t: step_limits.LABELS.get(t.limit_source), metadata={"description": "清单时限 / 默认时限 / 已调整"}
    )
    limit_inferred = fields.Boolean(metadata={"description": "时限无文件依据，由评审人员推定"})

    @pre_dump
    def with_deadline_status(self, task, **kwargs):
        """Work out 即将超期/已超期 once per task, for the three fields that show it."""
        return _TaskWithStatus(task)


class TaskDetailOut(TaskOut):
    instance = fields.Method("case_context")
    form_schema = fields.Function(lambda t: json_schema(t.form_key))

    def case_context(self, task):
        case = task.instance
        return {
            "id": case.id,
            "case_no": case.case_no,
            "item_id": case.item_id,
            "item": case.item_name,
            "status": case.status,
            "org": OrgRef().dump(case.org),
            "applicant": masked_applicant(case.applicant),
            "started_at": case.started_at.isoformat(),
            "due_at": case.due_at.isoformat() if case.due_at else None,
        }


class PageOut(Schema):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    items = fields.List(fields.Nested(TaskOut))


class EventOut(Schema):
    """An event of the case's history as the caller may read it (`engine.cases.history.shown`)."""

    at = fields.DateTime()
    action = fields.String()
    action_label = fields.Function(lambda e: ACTION_LABELS.get(e.action, e.action))
    task = fields.String(attribute="task_title", allow_none=True)
    user = fields.Nested(UserRef, allow_none=True)
    org = fields.Nested(OrgRef, allow_none=True)
    detail = fields.Dict(
        metadata={"description": "事件内容；流程出错（error）的 trace 只向系统管理员显示，且不含服务器路径"}
    )


class CaseOut(Schema):
    id = fields.Integer()
    case_no = fields.String()
    item_id = fields.String()
    item = fields.String(attribute="item_name")
    status = fields.String()
    org = fields.Nested(OrgRef)
    applicant = fields.Function(
        lambda case: masked_applicant(case.applicant),
        metadata={
            "type": "object",
            "description": "申请人：身份证号、手机号已脱敏（如 3609**********1234、139****1234）；"
            "完整号码见 POST /api/instances/{case_id}/personal-data",
        },
    )
    started_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    definition_version = fields.Integer(attribute="definition.version")


class TransferOut(Schema):
    """A 移交 of the case's materials and, once the 档案管理员 confirms it, their 归档."""

    materials = fields.List(fields.String())
    method = fields.String()
    tracking_no = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    from_org = fields.Nested(OrgRef)
    to_org = fields.Nested(OrgRef)
    handed_over_at = fields.DateTime()
    handed_over_by = fields.Nested(UserRef)
    archive_no = fields.String(allow_none=True)
    archive_location = fields.String(allow_none=True)
    archived_at = fields.DateTime(allow_none=True)
    archived_by = fields.Nested(UserRef, allow_none=True)


class LineOut(Schema):
    label = fields.String()
    text = fields.String()


class TableOut(Schema):
    label = fields.String()
    columns = fields.List(fields.String())
    rows = fields.List(fields.List(fields.String()))
    totals = fields.List(fields.String(), metadata={"description": "各金额列的合计（其余列为空）"})


class LayoutOut(Schema):
    """Form data as people read it: labelled lines and tables (e.g. the invoices with their sum)."""

    lines = fields.List(fields.Nested(LineOut))
    tables = fields.List(fields.Nested(TableOut))


class ApplicationOut(Schema):
    form = fields.String(attribute="start_form", allow_none=True, metadata={"description": "事项的申请表单"})
    details = fields.Dict(metadata={"description": "受理时填写的事项信息（原始数据）"})
    laid_out = fields.Nested(LayoutOut, attribute="application")
    proxy = fields.Boolean(metadata={"description": "帮办代办"})
    claimed_total = fields.Decimal(as_string=True, places=2, allow_none=True, metadata={"description": "申请金额"})
    payee = fields.Dict(metadata={"description": "收款账户"})


class ReceivedOut(Schema):
    name = fields.String(metadata={"description": "材料名称"})
    stage = fields.String(metadata={"description": "受理，或补正环节名称"})
    at = fields.DateTime(attribute="event.at")
    user = fields.Nested(UserRef, attribute="event.user", allow_none=True)


class DecisionOut(Schema):
    stage = fields.String(attribute="event.task_title", allow_none=True, metadata={"description": "环节"})
    form_key = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True, metadata={"description": "通过 / 不通过（审核环节）"})
    at = fields.DateTime(attribute="event.at")
    user = fields.Nested(UserRef, attribute="event.user", allow_none=True)
    org = fields.Nested(OrgRef, attribute="event.org", allow_none=True)
    detail = fields.Dict(attribute="event.detail", metadata={"description": "提交的表单数据（原始数据）"})
    laid_out = fields.Nested(LayoutOut, attribute="layout")


class DeadlineOut(Schema):
    due_date = fields.Date(allow_none=True, metadata={"description": "最后办理日"})
    state = fields.String(metadata={"description": "normal / warning / overdue"})
    label = fields.String(metadata={"description": "即将超期 / 已超期 / 空"})
    working_days_left = fields.Integer(allow_none=True)


class StageDeadlineOut(Schema):
    task = fields.Function(lambda pair: pair[0].title)
    org = fields.Function(lambda pair: OrgRef().dump(pair[0].org))
    due_at = fields.Function(lambda pair: pair[0].due_at.isoformat() if pair[0].due_at else None)
    deadline = fields.Function(lambda pair: DeadlineOut().dump(pair[1]))


class ScanRef(Schema):
    id = fields.Integer()
    material = fields.String()
    file_name = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    pages = fields.Integer(allow_none=True)
    stage = fields.String()
    uploaded_by = fields.Nested(UserRef)
    uploaded_at = fields.DateTime()
    url = fields.Function(lambda scan: f"/api/attachments/{scan.id}", metadata={"description": "扫描件内容"})


class CaseFileOut(Schema):
    """The case file (办件卷宗): what every stage reads before it decides."""

    application = fields.Function(lambda file: ApplicationOut().dump(file))
    received = fields.List(fields.Nested(ReceivedOut), metadata={"description": "受理及补正收到的材料"})
    missing = fields.List(fields.String(), metadata={"description": "尚缺的材料"})
    decisions = fields.List(fields.Nested(DecisionOut), metadata={"description": "各环节的办理结果"})
    deadline = fields.Nested(DeadlineOut, metadata={"description": "办件办结期限"})
    provisional = fields.Boolean(metadata={"description": "期限所跨年份尚无放假通知（暂定）"})
    stages = fields.List(fields.Nested(StageDeadlineOut), metadata={"description": "当前环节及其期限"})
    approvals = fields.List(fields.Decimal(as_string=True, places=2), metadata={"description": "各审核环节核定金额"})
    amount_to_pay = fields.Decimal(as_string=True, places=2, allow_none=True, metadata={"description": "应拨付金额"})
    scans = fields.List(fields.Nested(ScanRef), metadata={"description": "扫描件（附件）"})


class WaitOut(Schema):
    """A message the case waits for (`engine.cases.waits`)."""

    message = fields.String(attribute="name", metadata={"description": "消息名称，如“外伤调查结果”"})
    element = fields.String(attribute="title", metadata={"description": "等待的环节"})
    kind = fields.String(metadata={"description": "receive、catch、boundary、boundary_interrupting、event_subprocess"})
    org = fields.Nested(OrgRef, allow_none=True, metadata={"description": "办理该等待环节的单位"})
    form_key = fields.String(allow_none=True, metadata={"description": "消息变量须符合的表单"})
    since = fields.DateTime()
    text = fields.Function(shown_wait, metadata={"description": "给人看的说明"})


class PromiseOut(Schema):
    """容缺受理: what the applicant promised to bring, by when, and what is still outstanding."""

    materials = fields.List(fields.String(), metadata={"description": "容缺受理的材料"})
    outstanding = fields.List(fields.String(), metadata={"description": "尚未补交的材料"})
    promised_on = fields.Date(metadata={"description": "承诺补交日期"})
    state = fields.String(
        metadata={"description": "open（待补交）、fulfilled（已补齐）或 lapsed（申请未获通过，无需补交）"}
    )
    chased_at = fields.DateTime(allow_none=True, metadata={"description": "逾期催补的时刻"})
    fulfilled_at = fields.DateTime(allow_none=True)


class MandateOut(Schema):
    """帮办代办: the 委托 under which the agent applied, the agent's numbers masked."""

    agent_name = fields.String(metadata={"description": "代办人姓名"})
    agent_id_number = fields.String(metadata={"description": "代办人身份证号（脱敏）"})
    agent_mobile = fields.String(metadata={"description": "代办人手机号（脱敏；未填为空）"})
    relation = fields.String(metadata={"description": "与申请人关系"})
    authorisation_scans = fields.Integer(attribute="scans", metadata={"description": "授权委托书扫描件份数"})
    authorisation_scanned = fields.Function(
        lambda mandate: mandate.scans > 0, metadata={"description": "申请人签字的授权委托书已扫描"}
    )


class CollectionOut(Schema):
    """统一窗口出件: how the accepting window handed the result to the applicant."""

    method = fields.String(metadata={"description": "现场领取 / 邮寄 / 电子送达"})
    tracking_no = fields.String(allow_none=True, metadata={"description": "快递单号（邮寄时）"})
    recipient = fields.String(allow_none=True, metadata={"description": "领取人（本人以外的人领取时）"})
    note = fields.String(allow_none=True)
    collected_at = fields.DateTime(metadata={"description": "出件时刻"})
    org = fields.Nested(OrgRef, metadata={"description": "出件单位（受理窗口）"})
    collected_by = fields.Nested(UserRef, metadata={"description": "出件人"})


class CaseDetailOut(CaseOut):
    tasks = fields.List(fields.Nested(TaskOut), attribute="open_tasks")
    promise = fields.Nested(PromiseOut, allow_none=True, metadata={"description": "容缺受理的承诺；无则为空"})
    mandate = fields.Nested(MandateOut, allow_none=True, metadata={"description": "帮办代办的委托；无则为空"})
    collection = fields.Nested(
        CollectionOut, allow_none=True, metadata={"description": "统一窗口出件的记录；出件前为空"}
    )
    waiting = fields.List(
        fields.Nested(WaitOut), metadata={"description": "办件正在等待的消息（如外伤调查结果）；已结束的办件为空"}
    )
    history = fields.List(fields.Nested(EventOut), attribute="events")
    transfers = fields.List(fields.Nested(TransferOut), metadata={"description": "移交与归档记录"})
    file = fields.Nested(CaseFileOut, metadata={"description": "办件卷宗"})

    @pre_dump
    def read_through_case(self, file, **kwargs):
        """Dump a CaseFile: its view's task and event lists, the file itself, everything else from the case."""
        return _CaseWithWork(file)


class _TaskWithStatus:
    def __init__(self, task):
        self._task = task
        self.status = deadline_status(task.due_at, task.warn_at)

    def __getattr__(self, name):
        return getattr(self._task, name)


class _CaseWithWork:
    def __init__(self, file):
        view = file.view
        self.file = file
        self.open_tasks = view.open_tasks
        self.events = file.history
        self.transfers = view.transfers
        self.waiting = file.waiting
        self.promise = file.promise
        self.mandate = file.mandate
        self.collection = file.collection
        self._case = view.case

    def __getattr__(self, name):
        return getattr(self._case, name)


class DefinitionOut(Schema):
    id = fields.Integer()
    process_key = fields.String()
    name = fields.String()
    version = fields.Integer()
    content_hash = fields.String()
    source_name = fields.String()
    deployed_by = fields.String()
    deployed_at = fields.DateTime()
    created = fields.Boolean()
