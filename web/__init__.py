"""Server-rendered pages for people: clerks, administrators and process designers.

Pages translate HTTP to the same engine calls as the REST API; no rule lives here.
"""

from flask import Flask

from web import filters, nav
from web.formdata import row_count


def register(app: Flask) -> None:
    from web.views import (
        admin,
        attachments,
        calendar_admin,
        clerk,
        dashboard,
        design,
        group_table,
        people,
        personal_data,
        progress,
        rating,
        referrals,
        security,
        session,
        step_limits,
        supplements,
        vendor,
    )

    for module in (
        session,
        clerk,
        referrals,
        supplements,
        attachments,
        admin,
        dashboard,
        calendar_admin,
        people,
        group_table,
        step_limits,
        personal_data,
        security,
        design,
        vendor,
        progress,
        rating,
    ):
        app.register_blueprint(module.bp)
    filters.register(app)
    nav.register(app)
    app.add_template_global(row_count)
