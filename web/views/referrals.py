"""首问登记: a window records the enquiries and applications it sends to another unit, and prints the 首问告知单.

The rules and the list are `engine.cases.referrals`; the 受理 page sends a refused application here prefilled.
"""

from flask import flash, redirect, render_template, request, url_for

from engine.cases import referrals
from engine.catalogue.flows import catalog
from engine.core.errors import Invalid
from engine.org import accounts
from engine.org.permissions import ensure_may_refer
from forms.registry import FormInvalid, json_schema
from server.extensions import db
from server.login import current_account
from web.formdata import flat_errors, from_form
from web.guard import page_blueprint

bp = page_blueprint("first_contact", __name__)

# What the 受理 form posts here when the item is not offered at the unit: its applicant fields, by form field.
ACCEPT_FIELDS = {"name": "applicant.name", "id_number": "applicant.id_number", "mobile": "applicant.mobile"}


@bp.route("/referrals")
def page():
    ensure_may_refer(current_account())
    return _page({"item": request.args.get("item", "")}, {})


@bp.route("/referrals", methods=["POST"])
def record():
    user = current_account()
    ensure_may_refer(user)
    if "from_accept" in request.form:
        values = {key: request.form.get(posted, "") for key, posted in ACCEPT_FIELDS.items()}
        return _page(values | {"item": request.form.get("item", "")}, {})
    data = from_form(json_schema("referral"), request.form)
    try:
        referral = referrals.record_referral(db.session, user, data)
    except (FormInvalid, Invalid) as exc:
        return _page(request.form.to_dict(), flat_errors(exc.errors), 422)
    flash(f"已登记首问，转介至{referral.referred_to.name}", "success")
    return redirect(url_for("first_contact.page", printed=referral.id))


@bp.route("/referrals/<int:referral_id>/slip")
def slip(referral_id: int):
    """The 首问告知单 the applicant takes to the referred unit."""
    referral = referrals.referral_of(db.session, current_account(), referral_id)
    return render_template("clerk/referral_slip.html", referral=referral, item=referrals.item_of(referral))


def _page(values: dict, errors: dict, status: int = 200):
    user = current_account()
    printed = request.args.get("printed", type=int)
    return render_template(
        "clerk/referrals.html",
        schema=json_schema("referral"),
        values=values,
        errors=errors,
        items=catalog().items,
        units=accounts.units(db.session),
        rows=referrals.recent_referrals(db.session, user),
        unit=user.org,
        printed=printed,
    ), status
