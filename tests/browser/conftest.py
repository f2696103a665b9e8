"""A live server on a free localhost port and Debian's Chromium driven by playwright.

The server serves the session's test app (migrated temporary database, demo organisation);
tests take the `fresh` fixture for shipped diagrams and no cases. Screenshots go to
tests/screenshots/ (git-ignored) so that people can look at them.
"""

import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from tests.browser.a11y import open_as
from tests.browser.signin import sign_in

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="session")
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def login(chromium, live_server, fresh):
    """`login("qujiang.township_clerk")` → a page of a browser context logged in as that user."""
    contexts = []

    def as_user(username: str):
        context = chromium.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 1366, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return sign_in(context.new_page(), username)

    yield as_user
    for context in contexts:
        context.close()


@pytest.fixture
def opened(chromium, live_server):
    """`opened(username, viewport)` → a logged-in page that lets axe-core in (tests.browser.a11y), closed after."""
    pages = []

    def open_page(username, viewport):
        pages.append(open_as(chromium, live_server, username, viewport))
        return pages[-1]

    yield open_page
    for page in pages:
        page.context.close()


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
