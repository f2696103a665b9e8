"""Our own CSS/JS, and the ready-made bundles of npm packages straight from web/node_modules.

Only the `dist` folders of the packages the pages use are reachable; nothing third-party is in git.
"""

from pathlib import Path

from flask import Blueprint, abort, send_from_directory

WEB_DIR = Path(__file__).resolve().parent.parent
NODE_MODULES = WEB_DIR / "node_modules"
SERVED = ("bpmn-js/dist/", "echarts/dist/")

bp = Blueprint("static_web", __name__, static_folder=str(WEB_DIR / "static"), static_url_path="/assets")


@bp.route("/vendor/<path:filename>")
def vendor(filename: str):
    if not filename.startswith(SERVED):
        abort(404)
    return send_from_directory(NODE_MODULES, filename, max_age=86400)
