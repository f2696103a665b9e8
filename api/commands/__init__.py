"""Command-line groups for `flask --app wsgi ...`, registered in one place."""

from flask import Flask


def register(app: Flask) -> None:
    from api.commands.calendar import calendar
    from api.commands.catalog import catalog
    from api.commands.demo import demo
    from api.commands.processes import processes
    from api.commands.sla import sla
    from api.commands.sms import sms
    from api.commands.timers import timers
    from api.commands.users import users
    from api.commands.workers import workers

    for command in (demo, processes, users, calendar, catalog, timers, workers, sms, sla):
        app.cli.add_command(command)
