"""Command-line groups for `flask --app wsgi ...`, registered in one place."""
from flask import Flask


def register(app: Flask) -> None:
    pass
