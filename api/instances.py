"""Cases (办件): start one at a window, read its state and history."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields, pre_dump

from api import bodies
from api.schemas import CaseDetailOut, CaseOut, TaskOut
from engine.cases import acceptance, casefile, messages, queries
from server import replica
from server.args import CaseListQuery, PageQuery
from server.extensions import db
from server.login import current_account, require_login

blp = Blueprint("instances", __name__, url_prefix="/api/instances", description="办件")
blp.before_request(require_login)


@blp.route("", methods=["POST"])
@blp.doc(requestBody=bodies.CASE_START)
@blp.response(201, CaseOut)
@blp.alt_response(403, description="调用者不是该单位的窗口人员")
@blp.alt_response(422, description="受理登记或事项表单填写有误（errors 按字段说明）")
def start():
    """Accept an application (受理) and start its flow; the body is the `case_start` form."""
    return acceptance.start_case(db.session, current_account(), bodies.json_object())


@blp.route("/<int:case_id>")
@blp.response(200, CaseDetailOut)
def detail(case_id: int):
    """The case with its file (办件卷宗): the application laid out, materials received, every decision with
    its opinion and amounts, deadlines; current tasks and the audit history."""
    return casefile.case_file(db.session, current_account(), case_id)


class CasePageOut(Schema):
    total = fields.Integer(metadata={"description": f"符合条件的办件数，至多计到{queries.COUNT_CAP}"})
    total_capped = fields.Boolean(
        metadata={"description": f"超过{queries.COUNT_CAP}件（total 即为上限，页面显示“10,000+”）"}
    )
    page = fields.Integer()
    per_page = fields.Integer()
    items = fields.List(fields.Nested(CaseOut))


@blp.route("", methods=["GET"])
@blp.arguments(CaseListQuery(), location="query")
@blp.response(200, CasePageOut)
def listing(query):
    """Cases the caller may see, newest first: by item, accepting unit, status, overdue, limit or start day.
    With `overdue`, longest overdue first (earliest passed deadline, the case's or a step's).

    `q` finds a case by its number (whole or its beginning, e.g. `360981-20261008`), the applicant's name
    (whole), ID number (18 characters, x or X) or mobile (11 digits), among the cases the caller may see.
    """
    page, per_page = query.pop("page"), query.pop("per_page")
    return queries.list_cases(replica.stale_ok(), current_account(), queries.CaseFilter(**query), page, per_page)


class ListedCaseOut(CaseOut):
    tasks = fields.List(
        fields.Nested(TaskOut),
        metadata={"description": "当前环节：办理单位、办理人（为空即待认领）与期限；挂起或已结束的办件为空"},
    )
    overdue = fields.Boolean(metadata={"description": "办件或其当前环节已超期"})
    warning = fields.Boolean(metadata={"description": "办件或其当前环节即将超期"})

    @pre_dump
    def read_through_case(self, row, **kwargs):
        return _ListedRow(row)


class _ListedRow:
    def __init__(self, row: queries.ListedCase):
        self.tasks = [task for task, _ in row.steps]
        self.overdue, self.warning = row.overdue, row.warning
        self._case = row.case

    def __getattr__(self, name):
        return getattr(self._case, name)


class ListedPageOut(Schema):
    total = fields.Integer()
    total_capped = fields.Boolean()
    page = fields.Integer()
    per_page = fields.Integer()
    items = fields.List(fields.Nested(ListedCaseOut))


@blp.route("/accepted", methods=["GET"])
@blp.arguments(PageQuery(), location="query")
@blp.response(200, ListedPageOut)
def accepted(query):
    """我受理的办件: the cases the caller's unit accepted, newest first, each with its current steps and who holds them."""
    return queries.cases_accepted_by(db.session, current_account(), query["page"], query["per_page"])


class DeliveredOut(Schema):
    case_no = fields.String(attribute="case.case_no", metadata={"description": "办件编号"})
    element = fields.String(attribute="title", metadata={"description": "接收消息的环节"})
    kind = fields.String(metadata={"description": "receive、catch、boundary、boundary_interrupting、event_subprocess"})


@blp.route("/<int:case_id>/messages", methods=["POST"])
@blp.doc(requestBody=bodies.MESSAGE)
@blp.response(200, DeliveredOut)
@blp.alt_response(403, description="调用者能查看该办件，但不是办理其等待环节的单位或管理员")
@blp.alt_response(404, description="办件不存在或不在调用者的范围内")
@blp.alt_response(409, description="办件当前不在等待该消息（message 说明它在等待什么），或已被他人同时办理")
@blp.alt_response(422, description="消息名称或变量有误（errors 按字段说明）")
def message(case_id: int):
    """Deliver a message the case waits for (e.g. 外伤调查结果 brought on paper): `{"name": …, "variables": {…}}`;
    the variables must pass the waiting step's form. The case runs on to its next step."""
    body = bodies.json_object()
    name, variables = bodies.message_parts(body)
    return messages.send_to_case(db.session, current_account(), case_id, name, variables)
