"""WSGI entry point: `flask --app wsgi ...` and `gunicorn wsgi:app`."""

from api import create_app

app = create_app()
