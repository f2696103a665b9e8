"""Process designers' pages: the base and the region's versions side by side, download, the diff against the
base, and the modeler that deploys."""

import base64
import binascii
import json

from flask import Response, flash, jsonify, render_template, request, url_for

from engine.bpmn import deployment, vendor
from engine.bpmn.deployment import InvalidDiagram, ProcessIdClash
from engine.bpmn.diff import FIELD_LABELS
from engine.bpmn.modeler_texts import modeler_texts
from engine.bpmn.versions import process_table, proposal, version_diff, version_xml
from engine.core.errors import Invalid
from engine.core.reference import reference
from engine.org import group_roles
from forms.registry import known_form_keys, title_of
from server.extensions import db
from server.login import current_account
from web.guard import page_blueprint

bp = page_blueprint("design", __name__, "/design")

# A stored diagram is the designer's upload: it must never run as a page of this site (an XHTML <h:script> in
# extensionElements would, served as XML), so it goes out as plain text that the browser may not sniff.
SOURCE_HEADERS = {"X-Content-Type-Options": "nosniff"}


@bp.route("/processes")
def processes():
    return render_template("design/processes.html", table=process_table(db.session, current_account()))


@bp.route("/versions/<int:definition_id>.bpmn")
def download(definition_id: int):
    definition = version_xml(db.session, current_account(), definition_id)
    filename = f"{definition.process_key}-v{definition.version}.bpmn"
    return Response(
        definition.bpmn_xml,
        mimetype="application/octet-stream",
        headers={**SOURCE_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/versions/<int:definition_id>/source")
def source(definition_id: int):
    """The diagram's text for the modeler to import: text/plain, never a document the browser would run."""
    definition = version_xml(db.session, current_account(), definition_id)
    return Response(
        definition.bpmn_xml,
        content_type="text/plain; charset=utf-8",
        headers={**SOURCE_HEADERS, "Content-Disposition": "inline"},
    )


@bp.route("/versions/<int:definition_id>/diff")
def diff(definition_id: int):
    return render_template(
        "design/diff.html", diff=version_diff(db.session, current_account(), definition_id), labels=FIELD_LABELS
    )


@bp.route("/versions/<int:definition_id>/edit")
def modeler(definition_id: int):
    account = current_account()
    changes = version_diff(db.session, account, definition_id)
    choices = {
        "lanes": sorted(reference().lane_names()),
        "forms": {key: title_of(key) for key in sorted(known_form_keys())},
        **modeler_texts(),
    }
    return render_template(
        "design/modeler.html",
        definition=changes.definition,
        diff=changes,
        scope=deployment.designer_scope(account),
        choices=choices,
    )


@bp.route("/versions/<int:definition_id>/review", methods=["POST"])
def review(definition_id: int):
    """The modeler's first step of a deploy: the edit validated as a deploy would, and what deploying it changes,
    for the designer to confirm (nothing is stored)."""
    try:
        change = proposal(db.session, current_account(), definition_id, request.get_data())
    except (Invalid, ProcessIdClash) as exc:
        return _refusal(exc)
    return jsonify(html=render_template("design/_confirm.html", proposal=change), same_text=change.same_text)


@bp.route("/deploy", methods=["POST"])
def deploy():
    """The modeler's save, once confirmed: validated on the server (each problem names its element); the page
    then opens the version deployed, so the modeler always edits the version it names."""
    try:
        definition, created = deployment.deploy(
            db.session, current_account(), request.get_data(), request.args.get("name", "modeler.bpmn")
        )
    except (Invalid, ProcessIdClash) as exc:
        return _refusal(exc)
    scope = "国家基础版本" if definition.region is None else f"{definition.region}版本"
    flash(
        f"已部署为新版本 v{definition.version}（{scope}）"
        if created
        else f"内容与已部署的 v{definition.version} 相同，未新建版本",
        "success",
    )
    return jsonify(
        created=created,
        id=definition.id,
        version=definition.version,
        process_key=definition.process_key,
        region=definition.region,
        edit_url=url_for("design.modeler", definition_id=definition.id),
    )


def _refusal(exc: Invalid | ProcessIdClash) -> tuple[Response, int]:
    """A refused diagram as the modeler shows it: the message, and each problem on its element when it names one."""
    if isinstance(exc, InvalidDiagram):
        return jsonify(message=exc.message, problems=exc.problems), 422
    problems = [{"message": m} for ms in exc.errors.values() for m in ms]
    return jsonify(message=exc.message, problems=problems), 409 if isinstance(exc, ProcessIdClash) else 422


@bp.route("/upload", methods=["POST"])
def upload():
    """A .bpmn from disk; diagrams of other engines are converted first, with the report shown either way.

    A process id the base uses for another diagram is not deployed: the page offers a new id (the file comes
    back in a hidden field, so the designer need not choose it again)."""
    upload = request.files.get("file")
    data, name = (upload.read(), upload.filename or "upload.bpmn") if upload else _carried_file()
    if not data:
        return render_template("design/upload.html", error="请选择 BPMN 文件", conversion=None, problems=[]), 400
    rename_to = (request.form.get("rename_to") or "").strip() or None
    working_days = "working_days" in request.form
    page = {"name": name, "conversion": None, "problems": [], "working_days": working_days}
    try:
        forms = {f.filename or "": f.read() for f in request.files.getlist("forms")} or _carried_forms()
        data, name, forms = vendor.unpack(data, name, forms)
        groups = {key[len("group:") :]: role for key, role in request.form.items() if key.startswith("group:") and role}
        definition, created, conversion = vendor.deploy_vendor_diagram(
            db.session,
            current_account(),
            data,
            name,
            rename_to=rename_to,
            groups=groups,
            form_files=forms,
            working_days=working_days,
        )
    except vendor.InvalidVendorDiagram as exc:
        page.update(error=exc.message, problems=exc.problems, conversion=exc.conversion.to_dict())
        if exc.conversion.unmapped_groups:
            region = exc.conversion.region
            page.update(
                carried=base64.b64encode(data).decode("ascii"),
                carried_forms=_carry(forms),
                groups_to_map=exc.conversion.unmapped_groups,
                role_choices=group_roles.role_choices(),
                may_keep=group_roles.may_edit(db.session, current_account(), region),
                keepers=group_roles.keepers_of(region),
            )
        return render_template("design/upload.html", **page), 422
    except InvalidDiagram as exc:
        page.update(error=exc.message, problems=exc.problems)
        return render_template("design/upload.html", **page), 422
    except ProcessIdClash as exc:
        page.update(error=exc.message, clash=exc, carried=base64.b64encode(data).decode("ascii"))
        return render_template("design/upload.html", **page), 409
    except Invalid as exc:
        if "rename_to" not in exc.errors:
            raise
        page.update(
            error=exc.message,
            rename_error=exc.errors["rename_to"][0],
            rename_to=rename_to,
            carried=base64.b64encode(data).decode("ascii"),
        )
        return render_template("design/upload.html", **page), 422
    page.update(definition=definition, created=created, conversion=conversion.to_dict())
    return render_template("design/upload.html", **page)


def _carry(forms: dict[str, bytes]) -> str:
    return json.dumps({name: base64.b64encode(content).decode("ascii") for name, content in forms.items()})


def _carried_forms() -> dict[str, bytes]:
    """The Camunda Forms carried back by the group-mapping form, or none."""
    try:
        carried = json.loads(request.form.get("carried_forms") or "{}")
        return {str(name): base64.b64decode(text, validate=True) for name, text in dict(carried).items()}
    except (ValueError, TypeError, binascii.Error):
        return {}


def _carried_file() -> tuple[bytes, str]:
    """The upload carried back by the rename form, or nothing."""
    try:
        data = base64.b64decode(request.form.get("carried", ""), validate=True)
    except (binascii.Error, ValueError):
        data = b""
    return data, request.form.get("name") or "upload.bpmn"
