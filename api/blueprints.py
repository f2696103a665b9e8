"""Every HTTP blueprint of the product, registered in one place."""

from flask import Flask

from server.extensions import api


def register(app: Flask) -> None:
    from api.admin import blp as admin
    from api.attachments import blp as attachments
    from api.auth import blp as auth
    from api.calendar import blp as calendar
    from api.catalog import blp as catalog
    from api.definitions import blp as definitions
    from api.documents import blp as documents
    from api.engine_rest.external_task import blp as external_task
    from api.engine_rest.message import blp as engine_rest_message
    from api.external_tasks import blp as external_tasks
    from api.group_roles import blp as group_roles
    from api.health import blp as health
    from api.instances import blp as instances
    from api.personal_data import blp as personal_data
    from api.progress import blp as progress
    from api.public_ratings import blp as public_ratings
    from api.ratings import blp as ratings
    from api.referrals import blp as referrals
    from api.security import blp as security
    from api.sla import blp as sla
    from api.sms import blp as sms
    from api.step_limits import blp as step_limits
    from api.supplements import blp as supplements
    from api.tasks import blp as tasks
    from api.timers import blp as timers

    for blp in (
        health,
        auth,
        definitions,
        instances,
        tasks,
        calendar,
        ratings,
        referrals,
        supplements,
        sla,
        catalog,
        timers,
        documents,
        attachments,
        personal_data,
        admin,
        progress,
        public_ratings,
        security,
        group_roles,
        step_limits,
        engine_rest_message,
        external_task,
        external_tasks,
        sms,
    ):
        api.register_blueprint(blp)
