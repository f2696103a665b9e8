"""An applicant's progress over HTTP, without an account: 办件编号 plus the last six characters of the ID number."""

from flask_limiter.errors import RateLimitExceeded
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, Schema, fields

from engine.cases import progress
from server.extensions import db
from server.public import TOO_MANY_TRIES, progress_limit

blp = Blueprint("progress", __name__, url_prefix="/api/progress", description="办件进度查询（公开，无需登录）")


class ProgressQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    # Checked by the engine, which names a missing or malformed value per field (422).
    case_no = fields.String(load_default="", metadata={"description": "办件编号（印在受理单上）"})
    id_tail = fields.String(
        load_default="", metadata={"description": "申请人身份证号后六位（6位数字，末位可为X，不区分大小写）"}
    )


class StageOut(Schema):
    name = fields.String(metadata={"description": "办理环节，如“乡镇初审”"})
    unit = fields.String(metadata={"description": "正在办理的单位"})


class ProgressOut(Schema):
    case_no = fields.String(metadata={"description": "办件编号"})
    item_name = fields.String(metadata={"description": "申请事项"})
    unit = fields.String(metadata={"description": "受理单位"})
    applicant = fields.String(metadata={"description": "申请人（只显示姓氏，如“张*”）"})
    status = fields.String(metadata={"description": "办理状态：办理中、已挂起、已办结或已终止"})
    status_code = fields.String(metadata={"description": "办理状态代码：running、suspended、concluded 或 terminated"})
    accepted_at = fields.DateTime(metadata={"description": "受理时间"})
    stages = fields.List(fields.Nested(StageOut), metadata={"description": "当前所处环节（已结束的办件为空）"})
    due_date = fields.Date(
        allow_none=True, metadata={"description": "办结期限（最后一个办理日）；暂停计时或无时限时为空"}
    )
    due_state = fields.String(metadata={"description": "normal、warning（即将超期）或 overdue（已超期）"})
    due_label = fields.String(metadata={"description": "即将超期、已超期，或空"})
    provisional = fields.Boolean(metadata={"description": "期限所在年份尚无国务院放假通知，按法定节假日推算（暂定）"})
    completed_at = fields.DateTime(allow_none=True, metadata={"description": "办结时间"})
    outcome = fields.String(allow_none=True, metadata={"description": "办理结果（办结后），如“审核不通过：…”"})


@blp.errorhandler(RateLimitExceeded)
def too_many_tries(exc: RateLimitExceeded):
    return {"code": 429, "status": "Too Many Requests", "message": TOO_MANY_TRIES}, 429


@blp.route("")
@blp.arguments(ProgressQuery(), location="query", as_kwargs=True)
@blp.response(200, ProgressOut)
@blp.alt_response(404, description="未找到该办件，请核对办件编号和身份证号后六位（编号不存在与尾号不符答复相同）")
@blp.alt_response(422, description="办件编号或身份证号后六位填写有误（errors 按参数说明）")
@blp.alt_response(429, description="同一地址每分钟最多查询10次")
@progress_limit
def lookup(case_no: str, id_tail: str):
    """Where a case stands: item, accepting unit, status, current stages, deadline and, once concluded, outcome."""
    return progress.progress_of(db.session, case_no, id_tail)
