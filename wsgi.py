"""WSGI entry point: `flask --app wsgi ...` and `gunicorn wsgi:app`.

What the app holds for its whole life (settings, schemas, the catalogue, parsed diagrams) is put out of the
garbage collector's sight once built (`gc.freeze`): each full collection walked all of it, which added up to
130 ms to one request in twenty of a province's 考核 report (bench/scale.py does the same before it times).
"""

import gc

from server.app import create_app

app = create_app()
gc.freeze()
