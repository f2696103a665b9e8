"""Log a Flask test client in through the login page, CSRF token included, as a browser would."""

import re

PASSWORD = "yibao2026"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    return CSRF_FIELD.search(html).group(1)


def page_login(app, username: str, password: str = PASSWORD):
    """A test client holding the session cookie of `username`, and the login response."""
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    return client, response
