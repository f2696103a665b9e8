"""Pages of the clerks' daily work: the inbox, a task with its form, accepting a case (受理)."""

from math import ceil

from flask import current_app, flash, redirect, render_template, request, url_for

from engine.attachments import service as scans
from engine.cases import acceptance, casefile, lifecycle, mandates, notices, personal_data, promises, queries
from engine.cases.deadlines import deadline_status
from engine.cases.history import ACTION_LABELS
from engine.catalogue.flows import catalog, flow_for
from engine.catalogue.offering import acceptable_items, items_of_region, offered_at
from engine.core.errors import Forbidden, Invalid, NotFound
from engine.core.reference import reference
from engine.org.permissions import ensure_may_rate, may_open_task
from engine.org.routing import unit_choices
from engine.reporting import rated_stages, ratings
from engine.sms import texts as sms_texts
from engine.tasks import work
from forms.registry import FormInvalid, json_schema, title_of
from server import replica
from server.args import page_number
from server.extensions import db
from server.login import current_account
from web.formdata import defaults, flat_errors, flat_values, from_form
from web.guard import page_blueprint

bp = page_blueprint("clerk", __name__)

PER_PAGE = 20
VIEWS = {work.CANDIDATE: "待认领", work.MINE: "我的待办"}


@bp.route("/inbox")
def inbox():
    user = current_account()
    page = page_number(request.args.get("page", 1))
    q = request.args.get("q", "")
    if q.strip():
        return _found_cases(user, q, page)
    view = request.args.get("view") if request.args.get("view") in VIEWS else work.CANDIDATE
    item_id = request.args.get("item") or None
    overdue_only = request.args.get("overdue") == "1"
    latest_first = request.args.get("order") == "-due"
    result = work.inbox(
        db.session,
        user,
        view,
        page,
        PER_PAGE,
        item_id=item_id,
        overdue_only=overdue_only,
        latest_due_first=latest_first,
    )
    rows = [(task, deadline_status(task.due_at, task.warn_at)) for task in result.items]
    return render_template(
        "clerk/inbox.html",
        views=VIEWS,
        view=view,
        rows=rows,
        page=result.page,
        pages=max(ceil(result.total / PER_PAGE), 1),
        total=result.total,
        items=items_of_region(user.org),
        item_id=item_id,
        overdue_only=overdue_only,
        latest_first=latest_first,
    )


def _found_cases(user, q: str, page: int):
    """The inbox's search box finds cases, not tasks: those the clerk may see that the text matches."""
    errors: dict = {}
    try:
        found = queries.list_cases(replica.stale_ok(), user, queries.CaseFilter(q=q), page, PER_PAGE)
    except Invalid as exc:
        errors, found = flat_errors(exc.errors), queries.CasePage([], 0, 1, PER_PAGE)
    return render_template(
        "clerk/search.html",
        q=q.strip(),
        rows=queries.listed_cases(db.session, found.items),
        total=found.total,
        total_capped=found.total_capped,
        page=found.page,
        pages=max(ceil(found.total / PER_PAGE), 1),
        errors=errors,
        status_labels=lifecycle.STATUS_LABELS,
    ), (400 if errors else 200)


@bp.route("/cases/accepted")
def accepted():
    """我受理的办件: what the clerk's unit accepted, newest first, with where each case is now and who holds it."""
    user = current_account()
    page = page_number(request.args.get("page", 1))
    found = queries.cases_accepted_by(db.session, user, page, PER_PAGE)
    return render_template(
        "clerk/accepted.html",
        unit=user.org,
        rows=found.items,
        total=found.total,
        total_capped=found.total_capped,
        page=found.page,
        pages=max(ceil(found.total / PER_PAGE), 1),
        status_labels=lifecycle.STATUS_LABELS,
    )


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
def task(task_id: str):
    """The task page; its form posts back here, so that a refused form is shown at the task's own address
    (reloading it asks again, never a 405)."""
    if request.method == "POST":
        return _complete(task_id)
    return _task_page(task_id)


def _task_page(task_id: str, values: dict | None = None, errors: dict | None = None, status: int = 200):
    user = current_account()
    task = work.task_for(db.session, user, task_id)
    file = casefile.case_file(db.session, user, task.instance_id)
    schema = _offering_units(json_schema(task.form_key), file.case.org)
    if values is None:
        values = flat_values({**defaults(schema), **casefile.suggested_values(file, task.form_key)})
    return render_template(
        "clerk/task.html",
        task=task,
        file=file,
        view=file.view,
        case=file.case,
        attach_materials=scans.attachable_materials(db.session, user, task.instance_id),
        deadline=deadline_status(task.due_at, task.warn_at),
        schema=schema,
        form_title=title_of(task.form_key),
        values=values,
        errors=errors or {},
        mine=task.assignee_id == user.id,
        action_labels=ACTION_LABELS,
        notice_titles=notices.available(db.session, user, task.instance_id),
    ), status


def _offering_units(schema: dict, accepting) -> dict:
    """A field naming the unit a later lane is routed to (属地管理部 → 相应管理部) becomes a select of the units it may
    name, by name; the form still posts the unit's code, as the API takes it."""
    for field in set(reference().lane_routes.values()) & set(schema.get("properties", {})):
        units = unit_choices(db.session, field, accepting)
        schema["properties"][field] |= {"enum": [u.code for u in units], "x-enumNames": [u.name for u in units]}
    return schema


@bp.route("/tasks/<task_id>/claim", methods=["POST"])
def claim(task_id: str):
    work.claim(db.session, current_account(), task_id)
    flash("已认领，请办理", "success")
    return redirect(url_for("clerk.task", task_id=task_id))


@bp.route("/tasks/<task_id>/release", methods=["POST"])
def release(task_id: str):
    work.release(db.session, current_account(), task_id)
    flash("已释放，任务回到待认领", "success")
    return redirect(url_for("clerk.inbox"))


def _complete(task_id: str):
    """Complete the task; a next task for the clerk's own unit and role is claimed for them, and the case page
    offers it (继续办理下一环节)."""
    user = current_account()
    task = work.task_for(db.session, user, task_id)
    data = from_form(json_schema(task.form_key), request.form)
    try:
        done = work.complete(db.session, user, task_id, data, claim_next=True)
    except FormInvalid as exc:
        return _task_page(task_id, request.form.to_dict(), flat_errors(exc.errors), 422)
    except Invalid as exc:  # a rule of the step itself (a routed unit not of the region): said by its field too
        flash(exc.message, "error")
        return _task_page(task_id, request.form.to_dict(), flat_errors(exc.errors), 422)
    flash(f"“{done.title}”已办理", "success")
    return redirect(url_for("clerk.case", case_id=done.instance_id))


@bp.route("/cases/<int:case_id>")
def case(
    case_id: int,
    values: dict | None = None,
    errors: dict | None = None,
    status: int = 200,
    revealed: personal_data.Revealed | None = None,
):
    user = current_account()
    file = casefile.case_file(db.session, user, case_id, revealed.applicant if revealed else None)
    view = file.view
    try:
        rating = ratings.rating_of(db.session, user, case_id)
    except NotFound:
        rating = None
    may_rate = _may_rate(user, view.case, rating)
    return render_template(
        "clerk/case.html",
        file=file,
        view=view,
        case=view.case,
        held=work.held_tasks(user, view.open_tasks),
        openable={task.id for task in view.open_tasks if may_open_task(user, task)},
        attach_materials=scans.attachable_materials(db.session, user, case_id),
        applicant_cases=queries.cases_of_applicant(db.session, user, view.case.applicant_id_number, case_id),
        action_labels=ACTION_LABELS,
        status_labels=lifecycle.STATUS_LABELS,
        deadline=file.deadline,
        notice_titles=notices.available(db.session, user, case_id),
        rating=rating,
        may_rate=may_rate,
        rating_schema=json_schema("rating"),
        rating_stages=rated_stages.stages_of(db.session, view.case) if may_rate else (),
        values=values or {},
        errors=errors or {},
    ), status


@bp.route("/cases/<int:case_id>/personal-data", methods=["POST"])
def personal_data_shown(case_id: int):
    """显示完整证件号: the case page with the applicant's full ID number and mobile, the showing recorded."""
    return case(case_id, revealed=personal_data.reveal(db.session, current_account(), case_id))


def _may_rate(user, case, rating) -> bool:
    """Offer the 好差评 form once the case is concluded, unrated, to the staff the engine lets record it."""
    if rating is not None or case.status != lifecycle.CONCLUDED:
        return False
    try:
        ensure_may_rate(user, case.org_id)
    except Forbidden:
        return False
    return True


@bp.route("/cases/<int:case_id>/rating", methods=["POST"])
def rate(case_id: int):
    data = from_form(json_schema("rating"), request.form) | {"stage": request.form.get("stage", "")}
    try:
        rating = ratings.rate_case(
            db.session,
            current_account(),
            case_id,
            data,
            current_app.config.get("RATING_RECTIFICATION_DAYS"),
        )
    except FormInvalid as exc:
        return case(case_id, request.form.to_dict(), flat_errors(exc.errors), 422)
    message = f"已登记好差评：{rating.level}"
    if rating.rectification_id:
        message += f"；差评已转{rating.responsible_org.name if rating.responsible_org else ''}整改"
    flash(message, "success")
    return redirect(url_for("clerk.case", case_id=case_id))


@bp.route("/cases/new")
def pick_item():
    user = current_account()
    query = request.args.get("q", "").strip()
    items = acceptable_items(user.org)
    if query:
        items = [i for i in items if query in i.name or query in (i.code or "") or query in i.id]
    return render_template("clerk/pick_item.html", items=items, query=query)


@bp.route("/cases/new/<item_id>", methods=["GET", "POST"])
def accept(item_id: str):
    user = current_account()
    try:
        item = catalog().get(item_id)
    except KeyError:
        return render_template("error.html", title="未找到", message=f"未知事项：{item_id}"), 404
    start_form = flow_for(item).start_form
    details_schema = json_schema(start_form) if start_form else None
    if request.method == "GET":
        return _accept_page(item, details_schema, {"applicant.sms": sms_texts.consent_default()}, {})
    payload = {
        "item": item.id,
        "org": user.org.code,
        "applicant": from_form(json_schema("applicant"), request.form, "applicant."),
        "materials": request.form.getlist("materials"),
        "deferred": request.form.getlist("deferred"),
        "promise_date": request.form.get("promise_date") or None,
        "proxy": "proxy" in request.form,
        "details": from_form(details_schema, request.form, "details.") if details_schema else {},
    }
    if payload["proxy"]:
        payload["mandate"] = from_form(json_schema("mandate"), request.form, "mandate.")
    try:
        case = acceptance.start_case(db.session, user, payload, scans=_scans(item), claim_next=True)
    except FormInvalid as exc:  # every field's error at once, the item's own under `details.`
        return _accept_page(item, details_schema, _posted(), flat_errors(exc.errors), 422)
    except Invalid as exc:
        errors = flat_errors(exc.errors) | {"": [exc.message]}
        return _accept_page(item, details_schema, _posted(), errors, 422, refer=not offered_at(item, user.org))
    view = acceptance.case_view(db.session, user, case.id)
    notice = next((t for t in view.open_tasks if t.form_key == "missing_materials_notice"), None)
    if notice is not None:
        flash(f"已收件，办件编号 {case.case_no}，待补正：材料不齐，请出具一次性告知书；材料补齐后开始计时。", "warning")
        return redirect(url_for("clerk.task", task_id=notice.id))
    if payload["deferred"]:
        flash(f"已容缺受理，办件编号 {case.case_no}。请打印容缺受理承诺书交申请人签字。", "warning")
        return redirect(url_for("clerk.case", case_id=case.id, _anchor="promise"))
    flash(f"已受理，办件编号 {case.case_no}", "success")
    return redirect(url_for("clerk.case", case_id=case.id))


def _posted() -> dict:
    values = request.form.to_dict()
    values["materials"] = request.form.getlist("materials")
    values["deferred"] = request.form.getlist("deferred")
    return values


def _scans(item) -> list[tuple[str, str, bytes]]:
    """The scans chosen on the 受理 page: (material, file name, bytes) for each file of each material's `scan:<n>`,
    and the signed 授权委托书 of a proxy application (`scan:mandate`)."""
    chosen = [(material.name, f"scan:{index}") for index, material in enumerate(item.materials)]
    if "proxy" in request.form:
        chosen.append((mandates.authorisation_material(), "scan:mandate"))
    return [
        (material, upload.filename, upload.read())
        for material, field in chosen
        for upload in request.files.getlist(field)
        if upload.filename
    ]


def _accept_page(item, details_schema, values, errors, status=200, refer=False):
    """`refer`: the unit may not accept the item, so the page offers to record a 首问 referral prefilled."""
    return render_template(
        "clerk/accept.html",
        item=item,
        details_schema=details_schema,
        applicant_schema=json_schema("applicant"),
        mandate_schema=json_schema("mandate"),
        authorisation_material=mandates.authorisation_material(),
        values=values,
        errors=errors,
        refer=refer,
        deferrable=promises.deferrable_materials(item.id),
    ), status
