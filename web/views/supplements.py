"""待补正 and 容缺补交 on the window's pages: the list of cases waiting for 补正 or for promised materials, with the
days left, and the 容缺补交 a window records on the case page. The rules are `engine.cases.promises` and
`engine.cases.supplements`."""

from flask import flash, redirect, render_template, request, url_for

from engine.cases import promises, supplements
from engine.core.errors import Conflict, Invalid
from forms.registry import FormInvalid
from server.extensions import db
from server.login import current_account
from web.guard import page_blueprint

bp = page_blueprint("supplements", __name__)


@bp.route("/supplements")
def page():
    rows = supplements.pending_supplements(db.session, current_account())
    return render_template("clerk/supplements.html", rows=rows)


@bp.route("/cases/<int:case_id>/deferred-materials", methods=["POST"])
def supply(case_id: int):
    payload = {"received": request.form.getlist("received")}
    try:
        promise = promises.supply(db.session, current_account(), case_id, payload)
    except (FormInvalid, Invalid, Conflict) as exc:
        if isinstance(exc, FormInvalid):
            message = "请勾选申请人补交的材料"
        else:
            message = "；".join(text for texts in exc.errors.values() for text in texts) or exc.message
        flash(f"未登记容缺补交：{message}", "error")
        return redirect(url_for("clerk.case", case_id=case_id))
    if promise.outstanding:
        flash(f"已登记容缺补交，尚缺：{'、'.join(promise.outstanding)}", "warning")
    else:
        flash("已登记容缺补交，容缺材料已补齐，可以办结", "success")
    return redirect(url_for("clerk.case", case_id=case_id))
