"""HTTP hardening: security headers on pages and API, cookie flags, the REST API refusing a cross-site request
that carries only the session cookie, no open redirect after login, and 500s that tell nothing of the cause."""

import io
import logging

import pytest
from flask import Flask, session

from engine.cases import queries
from server import errors
from server.app import harden
from tests.scenarios import only_task, start_at_village
from tests.web_login import csrf_token, page_login

pytestmark = pytest.mark.usefixtures("fresh")

EVIL = {"Origin": "http://evil.example", "Referer": "http://evil.example/page"}
FIXTURE = "tests/fixtures/bpmn/valid_review.bpmn"


def directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in (p.strip() for p in policy.split(";")) if part}


@pytest.mark.parametrize("path", ["/login", "/progress", "/api/health", "/api/tasks", "/assets/site.css"])
def test_every_answer_carries_the_security_headers(client, path):
    response = client.get(path)
    csp = directives(response)
    assert csp["script-src"] == "'self'", "no inline script, no eval"
    assert csp["default-src"] == "'self'" and csp["object-src"] == "'none'" and csp["frame-ancestors"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers, "no HSTS without FORCE_HTTPS"
    assert response.status_code in (200, 401), "no redirect to https in tests"


def test_pages_hold_no_inline_script_or_handler(app, as_user):
    case = start_at_village(as_user)
    definition = as_user("fengcheng.designer").get("/api/definitions").get_json()[0]["id"]
    admin, _ = page_login(app, "fengcheng.admin")
    designer, _ = page_login(app, "fengcheng.designer")
    clerk, _ = page_login(app, "qujiang.township_clerk")
    task = only_task(as_user("qujiang.township_clerk"), "乡镇初审")
    pages = [
        (admin, f"/admin/instances/{case['id']}"),
        (admin, "/admin/sla"),
        (designer, f"/design/versions/{definition}/edit"),
        (clerk, f"/tasks/{task['id']}"),
        (clerk, "/cases/new/fc-t-16"),
    ]
    for client, path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert "<script" in page, path
        for tag in page.split("<script")[1:]:
            opening = tag.split(">", 1)[0]
            assert "src=" in opening or 'type="application/json"' in opening, (path, opening)
        assert " onclick=" not in page and " onsubmit=" not in page and "javascript:" not in page, path


def test_the_session_cookie_is_httponly_and_samesite_lax(app):
    _, response = page_login(app, "qujiang.township_clerk")
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))
    flags = {flag.strip().split("=")[0].lower(): flag.strip() for flag in cookie.split(";")[1:]}
    assert "httponly" in flags and flags["samesite"] == "SameSite=Lax"
    assert "secure" not in flags, "plain http in development and tests"


def small_app(**settings) -> Flask:
    little = Flask("hardened")
    little.config.update(SECRET_KEY="x", SESSION_COOKIE_SAMESITE="Lax", **settings)
    harden(little)

    @little.route("/")
    def index():
        session["seen"] = True
        return "ok"

    return little


def test_force_https_redirects_sends_hsts_and_marks_the_cookie_secure():
    little = small_app(FORCE_HTTPS=True, SESSION_COOKIE_SECURE=True)
    plain = little.test_client().get("/")
    assert plain.status_code == 302 and plain.headers["Location"].startswith("https://")
    secure = little.test_client().get("/", base_url="https://localhost")
    assert secure.status_code == 200 and secure.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Secure" in secure.headers["Set-Cookie"]
    proxied = little.test_client().get("/", headers={"X-Forwarded-Proto": "https"})
    assert proxied.status_code == 200, "behind a proxy that terminates TLS"


def test_session_cookie_secure_alone_marks_the_cookie_without_redirecting():
    little = small_app(FORCE_HTTPS=False, SESSION_COOKIE_SECURE=True)
    response = little.test_client().get("/")
    assert response.status_code == 200 and "Secure" in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in response.headers


# --- CSRF on the REST API: a session cookie alone does not authenticate there ---------------------------


def test_a_cross_site_form_claim_with_the_cookie_is_refused(app, as_user):
    start_at_village(as_user)
    task = only_task(as_user("qujiang.township_clerk"), "乡镇初审")
    browser, _ = page_login(app, "qujiang.township_clerk")
    response = browser.post(f"/api/tasks/{task['id']}/claim", data={"x": "1"}, headers=EVIL)
    assert response.status_code == 401
    assert only_task(as_user("qujiang.township_clerk"), "乡镇初审")["assignee"] is None


def test_a_cross_site_text_plain_suspend_with_the_cookie_is_refused(app, as_user):
    case = start_at_village(as_user)
    browser, _ = page_login(app, "fengcheng.admin")
    response = browser.post(
        f"/api/admin/instances/{case['id']}/suspend", data='{"reason": "x"}', content_type="text/plain", headers=EVIL
    )
    assert response.status_code == 401
    assert as_user("fengcheng.admin").get(f"/api/instances/{case['id']}").get_json()["status"] == "running"


def test_a_cross_site_multipart_upload_with_the_cookie_is_refused(app, as_user):
    designer = as_user("fengcheng.designer")
    before = len(designer.get("/api/definitions").get_json())
    browser, _ = page_login(app, "fengcheng.designer")
    with open(FIXTURE, "rb") as diagram:
        upload = {"file": (io.BytesIO(diagram.read()), "valid_review.bpmn")}
    response = browser.post("/api/definitions", data=upload, content_type="multipart/form-data", headers=EVIL)
    assert response.status_code == 401
    assert len(designer.get("/api/definitions").get_json()) == before


def test_a_bearer_token_still_works_and_the_printed_notices_open_from_the_pages(app, as_user):
    case = start_at_village(as_user)
    browser, _ = page_login(app, "qujiangcun.village_agent")
    assert browser.get("/api/instances").status_code == 401, "the cookie is no API credential"
    receipt = browser.get(f"/api/instances/{case['id']}/documents/receipt")
    assert receipt.status_code == 200 and receipt.mimetype == "text/html", "a link of the case page, GET only"
    assert browser.post(f"/api/instances/{case['id']}/documents/receipt").status_code in (401, 405)
    assert as_user("qujiangcun.village_agent").get("/api/instances").status_code == 200


# --- Open redirect after login --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example",
        "/%0a/evil.example",
        "/%0d%0aSet-Cookie:%20x=1",
        "//evil.example",
        "https://evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "/%5Cevil.example",
        " /evil",
        "http:/evil.example",
    ],
)
def test_login_never_redirects_off_site(app, target):
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        f"/login?next={target}",
        data={"username": "qujiang.township_clerk", "password": "yibao2026", "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/inbox", target


def test_login_follows_a_path_of_the_site(app):
    client = app.test_client()
    token = csrf_token(client.get("/login?next=/cases/accepted%3Fpage%3D2").get_data(as_text=True))
    response = client.post(
        "/login?next=/cases/accepted%3Fpage%3D2",
        data={"username": "qujiang.township_clerk", "password": "yibao2026", "csrf_token": token},
    )
    assert response.headers["Location"] == "/cases/accepted?page=2"


# --- 500s ------------------------------------------------------------------------------------------------


def broken(*args, **kwargs):
    raise RuntimeError("connection string postgresql://secret@db/internal")


def test_an_unforeseen_error_answers_a_generic_message_and_logs_the_cause(app, as_user, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setattr(queries, "list_cases", broken)
    with caplog.at_level(logging.ERROR):
        response = as_user("fengcheng.admin").get("/api/instances")
    assert response.status_code == 500
    assert response.get_json() == {"code": 500, "status": "Internal Server Error", "message": errors.INTERNAL}
    assert "secret" not in response.get_data(as_text=True)
    assert any("500 on GET /api/instances: RuntimeError" in r.getMessage() for r in caplog.records)

    page_client, _ = page_login(app, "fengcheng.admin")
    page = page_client.get("/admin/instances")
    assert page.status_code == 500 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert errors.INTERNAL in text and "secret" not in text and "RuntimeError" not in text
