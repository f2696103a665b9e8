"""Camunda 7's external-task REST interface at /engine-rest/external-task, for workers with a credential.

Bodies, field names, variables and status codes are Camunda's (204 on complete, failure, bpmnError,
extendLock and unlock; 404 for an unknown task or one outside the worker's scope; 400 with field errors for a
bad body). Where Camunda answers 500 — a task locked by another worker, a lock that expired — this answers 409
with `{"type": "RestException", "message": …}`. `fetchAndLock` long-polls up to `asyncResponseTimeout`
(at most MAX_ASYNC_RESPONSE_MS), asking the store every POLL_SECONDS and holding no transaction in between.
"""

import time
from typing import Any

from flask_smorest import Blueprint
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from api.engine_rest import errors
from api.engine_rest.variables import VariableError, all_to_camunda, camunda_date, from_camunda
from engine.core.models import ExternalTask
from engine.tasks import external
from server.extensions import db
from server.worker_auth import current_worker, require_worker

MAX_ASYNC_RESPONSE_MS = 60_000
POLL_SECONDS = 0.5

blp = Blueprint(
    "external_task",
    __name__,
    url_prefix="/engine-rest/external-task",
    description="外部任务（Camunda 7 external-task REST；接口凭据：HTTP Basic 或 Bearer）",
)
blp.before_request(require_worker)
errors.register(blp)

WORKER_ID = {"required": True, "validate": validate.Length(1, 255), "metadata": {"description": "worker 的标识"}}
DURATION = validate.Range(1, external.MAX_LOCK_MS)
VARIABLES = {"allow_none": True, "load_default": None, "metadata": {"description": "变量：名称 → {value, type}"}}


class CamundaBody(Schema):
    class Meta:
        unknown = EXCLUDE  # Camunda's clients send fields this product does not use (tenants, sorting …)


class TopicIn(CamundaBody):
    topicName = fields.String(required=True, validate=validate.Length(1, 100))
    lockDuration = fields.Integer(required=True, validate=DURATION, metadata={"description": "锁定时长（毫秒）"})
    variables = fields.List(fields.String(validate=validate.Length(1, 100)), allow_none=True, load_default=None)
    businessKey = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=40))
    processDefinitionKey = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=100))
    processDefinitionKeyIn = fields.List(fields.String(validate=validate.Length(max=100)), allow_none=True)
    processVariables = fields.Dict(keys=fields.String(), allow_none=True, load_default=None)
    localVariables = fields.Boolean(allow_none=True)
    deserializeValues = fields.Boolean(allow_none=True)
    includeExtensionProperties = fields.Boolean(allow_none=True)


class FetchAndLockIn(CamundaBody):
    workerId = fields.String(**WORKER_ID)
    maxTasks = fields.Integer(required=True, validate=validate.Range(0, external.MAX_TASKS))
    usePriority = fields.Boolean(allow_none=True, load_default=False)
    asyncResponseTimeout = fields.Integer(
        allow_none=True, load_default=None, validate=validate.Range(0, 1_800_000), metadata={"description": "毫秒"}
    )
    topics = fields.List(fields.Nested(TopicIn), required=True, validate=validate.Length(max=50))


class CompleteIn(CamundaBody):
    workerId = fields.String(**WORKER_ID)
    variables = fields.Dict(keys=fields.String(), **VARIABLES)
    localVariables = fields.Dict(keys=fields.String(), **VARIABLES)


class FailureIn(CamundaBody):
    workerId = fields.String(**WORKER_ID)
    errorMessage = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=4000))
    errorDetails = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=100_000))
    retries = fields.Integer(required=True, validate=validate.Range(0, external.MAX_RETRIES))
    retryTimeout = fields.Integer(allow_none=True, load_default=0, validate=validate.Range(0, external.MAX_LOCK_MS))


class BpmnErrorIn(CamundaBody):
    workerId = fields.String(**WORKER_ID)
    errorCode = fields.String(required=True, validate=validate.Length(1, 100))
    errorMessage = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=4000))
    variables = fields.Dict(keys=fields.String(), **VARIABLES)


class ExtendLockIn(CamundaBody):
    workerId = fields.String(**WORKER_ID)
    newDuration = fields.Integer(required=True, validate=DURATION, metadata={"description": "毫秒，自现在起"})


class ListQuery(CamundaBody):
    externalTaskId = fields.String(validate=validate.Length(max=36))
    externalTaskIdIn = fields.String(validate=validate.Length(max=3700), metadata={"description": "逗号分隔"})
    topicName = fields.String(validate=validate.Length(max=100))
    workerId = fields.String(validate=validate.Length(max=255))
    locked = fields.Boolean()
    notLocked = fields.Boolean()
    withRetriesLeft = fields.Boolean()
    noRetriesLeft = fields.Boolean()
    businessKey = fields.String(validate=validate.Length(max=40))
    processInstanceId = fields.Integer(validate=validate.Range(1, 2**31 - 1))
    activityId = fields.String(validate=validate.Length(max=100))
    priorityHigherThanOrEquals = fields.Integer(validate=validate.Range(-(2**31), 2**31 - 1))
    priorityLowerThanOrEquals = fields.Integer(validate=validate.Range(-(2**31), 2**31 - 1))
    firstResult = fields.Integer(load_default=0, validate=validate.Range(0, 1_000_000))
    maxResults = fields.Integer(load_default=external.MAX_TASKS, validate=validate.Range(0, 1000))

    @validates_schema
    def _one_of_each_pair(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("locked") and data.get("notLocked"):
            raise ValidationError("locked 与 notLocked 不能同时为 true", "notLocked")
        if data.get("withRetriesLeft") and data.get("noRetriesLeft"):
            raise ValidationError("withRetriesLeft 与 noRetriesLeft 不能同时为 true", "noRetriesLeft")


class ExternalTaskOut(Schema):
    id = fields.String()
    topicName = fields.String()
    workerId = fields.String(allow_none=True)
    lockExpirationTime = fields.String(allow_none=True)
    retries = fields.Integer(allow_none=True)
    errorMessage = fields.String(allow_none=True)
    priority = fields.Integer()
    businessKey = fields.String(allow_none=True)
    activityId = fields.String()
    activityInstanceId = fields.String(allow_none=True)
    executionId = fields.String(allow_none=True)
    processDefinitionId = fields.String()
    processDefinitionKey = fields.String()
    processDefinitionVersionTag = fields.String(allow_none=True)
    processInstanceId = fields.String()
    tenantId = fields.String(allow_none=True)
    suspended = fields.Boolean()
    createTime = fields.String()


class LockedExternalTaskOut(ExternalTaskOut):
    errorDetails = fields.String(allow_none=True)
    variables = fields.Dict(keys=fields.String(), metadata={"description": "变量：名称 → {value, type, valueInfo}"})
    extensionProperties = fields.Dict(keys=fields.String(), values=fields.String())


class CountOut(Schema):
    count = fields.Integer()


def _dto(row: ExternalTask) -> dict[str, Any]:
    return {
        "id": row.id,
        "topicName": row.topic,
        "workerId": row.worker_id,
        "lockExpirationTime": camunda_date(row.lock_expires_at),
        "retries": row.retries,
        "errorMessage": row.error_message,
        "priority": row.priority,
        "businessKey": row.business_key,
        "activityId": row.activity_id,
        "activityInstanceId": f"{row.activity_id}:{row.id}",
        "executionId": row.id,
        "processDefinitionId": str(row.instance.definition_id),
        "processDefinitionKey": row.process_key,
        "processDefinitionVersionTag": None,
        "processInstanceId": str(row.instance_id),
        "tenantId": None,
        "suspended": row.state != "open",
        "createTime": camunda_date(row.created_at),
    }


def _locked_dto(row: ExternalTask, names: list[str] | None) -> dict[str, Any]:
    return _dto(row) | {
        "errorDetails": row.error_details,
        "variables": all_to_camunda(external.variables_of(row, names)),
        "extensionProperties": {},
    }


def _variables(body: dict[str, Any], *names: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    try:
        for name in names:
            values |= from_camunda(body.get(name), name)
    except VariableError as exc:
        errors.fail(400, errors.BAD_BODY, exc.errors)
    return values


@blp.route("/fetchAndLock", methods=["POST"])
@errors.documented(blp)
@blp.arguments(FetchAndLockIn, error_status_code=400)
@blp.response(200, LockedExternalTaskOut(many=True))
def fetch_and_lock(body):
    """Lock up to `maxTasks` tasks of the topics for `workerId`, waiting up to `asyncResponseTimeout` ms for one."""
    topics = [
        external.TopicRequest(
            name=topic["topicName"],
            lock_ms=topic["lockDuration"],
            variables=topic["variables"],
            business_key=topic["businessKey"],
            process_definition_keys=(topic.get("processDefinitionKeyIn") or [])
            + ([topic["processDefinitionKey"]] if topic["processDefinitionKey"] else [])
            or None,
            process_variables=_variables({"processVariables": topic["processVariables"]}, "processVariables"),
        )
        for topic in body["topics"]
    ]
    wait_ms = min(body["asyncResponseTimeout"] or 0, MAX_ASYNC_RESPONSE_MS)
    give_up = time.monotonic() + wait_ms / 1000
    names = {topic.name: topic.variables for topic in topics}
    while True:
        locked = external.fetch_and_lock(
            db.session, current_worker(), body["workerId"], body["maxTasks"], topics, bool(body["usePriority"])
        )
        if locked or body["maxTasks"] == 0 or time.monotonic() >= give_up:
            return [_locked_dto(row, names.get(row.topic)) for row in locked]
        time.sleep(min(POLL_SECONDS, max(give_up - time.monotonic(), 0)))


@blp.route("/<task_id>/complete", methods=["POST"])
@errors.documented(blp)
@blp.arguments(CompleteIn, error_status_code=400)
@blp.response(204)
def complete(body, task_id: str):
    """Complete the task with `variables` (and `localVariables`, kept in the same task data) and advance the case."""
    values = _variables(body, "variables", "localVariables")
    external.complete(db.session, current_worker(), task_id, body["workerId"], values)


@blp.route("/<task_id>/failure", methods=["POST"])
@errors.documented(blp)
@blp.arguments(FailureIn, error_status_code=400)
@blp.response(204)
def failure(body, task_id: str):
    """Report a failure: fetched again after `retryTimeout` ms while `retries` are left; at 0 an incident."""
    external.failure(
        db.session,
        current_worker(),
        task_id,
        body["workerId"],
        body["errorMessage"],
        body["errorDetails"],
        body["retries"],
        body["retryTimeout"] or 0,
    )


@blp.route("/<task_id>/bpmnError", methods=["POST"])
@errors.documented(blp)
@blp.arguments(BpmnErrorIn, error_status_code=400)
@blp.response(204)
def bpmn_error(body, task_id: str):
    """Report a business error, caught by an error boundary event of the task with that code (else an incident)."""
    values = _variables(body, "variables")
    external.bpmn_error(
        db.session, current_worker(), task_id, body["workerId"], body["errorCode"], body["errorMessage"], values
    )


@blp.route("/<task_id>/extendLock", methods=["POST"])
@errors.documented(blp)
@blp.arguments(ExtendLockIn, error_status_code=400)
@blp.response(204)
def extend_lock(body, task_id: str):
    """Lock the task for `newDuration` ms from now (its worker only, while the lock holds)."""
    external.extend_lock(db.session, current_worker(), task_id, body["workerId"], body["newDuration"])


@blp.route("/<task_id>/unlock", methods=["POST"])
@errors.documented(blp)
@blp.response(204)
def unlock(task_id: str):
    """Clear the task's lock: the next fetch may take it."""
    external.unlock(db.session, current_worker(), task_id)


def _filters(query: dict[str, Any]) -> external.Filters:
    ids = [query["externalTaskId"]] if query.get("externalTaskId") else None
    if query.get("externalTaskIdIn"):
        ids = (ids or []) + [part for part in query["externalTaskIdIn"].split(",") if part]
    return external.Filters(
        ids=ids,
        topic=query.get("topicName"),
        worker_id=query.get("workerId"),
        locked=bool(query.get("locked")),
        not_locked=bool(query.get("notLocked")),
        with_retries_left=bool(query.get("withRetriesLeft")),
        no_retries_left=bool(query.get("noRetriesLeft")),
        business_key=query.get("businessKey"),
        process_instance_id=query.get("processInstanceId"),
        activity_id=query.get("activityId"),
        priority_at_least=query.get("priorityHigherThanOrEquals"),
        priority_at_most=query.get("priorityLowerThanOrEquals"),
        first=query["firstResult"],
        max_results=query["maxResults"],
    )


@blp.route("", methods=["GET"])
@errors.documented(blp)
@blp.arguments(ListQuery, location="query", error_status_code=400)
@blp.response(200, ExternalTaskOut(many=True))
def listing(query):
    """The pending external tasks of the worker's scope, filtered as Camunda's list query."""
    return [_dto(row) for row in external.listing(db.session, current_worker(), _filters(query))]


@blp.route("/count", methods=["GET"])
@errors.documented(blp)
@blp.arguments(ListQuery, location="query", error_status_code=400)
@blp.response(200, CountOut)
def count(query):
    """How many pending external tasks of the worker's scope the filters keep."""
    return {"count": external.count(db.session, current_worker(), _filters(query))}


@blp.route("/<task_id>", methods=["GET"])
@errors.documented(blp)
@blp.response(200, ExternalTaskOut)
def detail(task_id: str):
    """One pending external task of the worker's scope."""
    return _dto(external.task_for(db.session, current_worker(), task_id))
