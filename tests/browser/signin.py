"""Logging a browser page in through the login form, as a person would; shared by every browser context."""

PASSWORD = "yibao2026"


def sign_in(page, username: str):
    """Log `page` in as `username` (every demo user's password) and return it, on the user's start page."""
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, page.content()
    return page
