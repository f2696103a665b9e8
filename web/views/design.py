"""Process designers' pages: versions of every process, download, and the modeler that deploys."""

from flask import Response, jsonify, render_template, request

from engine.bpmn import deployment, vendor
from engine.bpmn.deployment import InvalidDiagram
from engine.bpmn.versions import version_xml, versions
from engine.core.errors import Invalid
from engine.core.reference import reference
from forms.registry import known_form_keys, title_of
from server.extensions import db
from server.login import current_account
from web.guard import page_blueprint

bp = page_blueprint("design", __name__, "/design")


@bp.route("/processes")
def processes():
    return render_template("design/processes.html", versions=versions(db.session, current_account()))


@bp.route("/versions/<int:definition_id>.bpmn")
def download(definition_id: int):
    definition = version_xml(db.session, current_account(), definition_id)
    filename = f"{definition.process_key}-v{definition.version}.bpmn"
    return Response(
        definition.bpmn_xml,
        mimetype="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/versions/<int:definition_id>/edit")
def modeler(definition_id: int):
    definition = version_xml(db.session, current_account(), definition_id)
    choices = {
        "lanes": sorted(reference().lane_names()),
        "forms": {key: title_of(key) for key in sorted(known_form_keys())},
    }
    return render_template("design/modeler.html", definition=definition, choices=choices)


@bp.route("/versions/<int:definition_id>/source")
def source(definition_id: int):
    return Response(version_xml(db.session, current_account(), definition_id).bpmn_xml, mimetype="application/xml")


@bp.route("/deploy", methods=["POST"])
def deploy():
    """The modeler's save: validated on the server; each problem names its element."""
    try:
        definition, created = deployment.deploy(
            db.session, current_account(), request.get_data(), request.args.get("name", "modeler.bpmn")
        )
    except InvalidDiagram as exc:
        return jsonify(message=exc.message, problems=exc.problems), 422
    except Invalid as exc:
        return jsonify(message=exc.message, problems=[{"message": m} for ms in exc.errors.values() for m in ms]), 422
    return jsonify(created=created, id=definition.id, version=definition.version, process_key=definition.process_key)


@bp.route("/upload", methods=["POST"])
def upload():
    """A .bpmn from disk; diagrams of other engines are converted first, with the report shown either way."""
    upload = request.files.get("file")
    data = upload.read() if upload else b""
    if not data:
        return render_template("design/upload.html", error="请选择 BPMN 文件", conversion=None, problems=[]), 400
    try:
        definition, created, conversion = vendor.deploy_vendor_diagram(
            db.session, current_account(), data, upload.filename
        )
    except vendor.InvalidVendorDiagram as exc:
        return render_template(
            "design/upload.html",
            name=upload.filename,
            error=exc.message,
            problems=exc.problems,
            conversion=exc.conversion.to_dict(),
        ), 422
    except InvalidDiagram as exc:
        return render_template(
            "design/upload.html", name=upload.filename, error=exc.message, problems=exc.problems, conversion=None
        ), 422
    return render_template(
        "design/upload.html",
        name=upload.filename,
        definition=definition,
        created=created,
        conversion=conversion.to_dict(),
        problems=[],
    )
