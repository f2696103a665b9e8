"""A lost database or a step someone else took first: one status and message on every path (REST and pages)."""

import logging

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from engine.cases import queries
from engine.core.errors import Unavailable
from tests.web_login import page_login

UNAVAILABLE = "数据库暂时不可用，请稍后重试"
CONCURRENT = "办件已被他人同时办理，请刷新后重试"


def failing_with(monkeypatch, exc: Exception) -> None:
    def list_cases(*args, **kwargs):
        raise exc

    monkeypatch.setattr(queries, "list_cases", list_cases)


def lost_connection() -> OperationalError:
    return OperationalError("SELECT 1", {}, Exception("server closed the connection"), connection_invalidated=True)


@pytest.mark.parametrize(
    ("exc", "status", "message"),
    [
        (lost_connection(), 503, UNAVAILABLE),
        (Unavailable("连接已断开"), 503, UNAVAILABLE),
        (StaleDataError("办件已被其他操作修改"), 409, CONCURRENT),
    ],
)
def test_rest_answers_store_failures_with_json(fresh, as_user, monkeypatch, exc, status, message):
    failing_with(monkeypatch, exc)
    response = as_user("fengcheng.admin").get("/api/instances")
    assert response.status_code == status
    assert response.get_json()["message"] == message


def test_other_operational_errors_are_503_and_logged(fresh, as_user, monkeypatch, caplog):
    failing_with(monkeypatch, OperationalError("SELECT 1", {}, Exception("database is locked")))
    with caplog.at_level(logging.ERROR, logger="yibao.http"):
        response = as_user("fengcheng.admin").get("/api/instances")
    assert response.status_code == 503 and response.get_json()["message"] == UNAVAILABLE
    assert any(record.name == "yibao.http" for record in caplog.records)


def test_other_database_errors_stay_server_errors(fresh, as_user, monkeypatch):
    failing_with(monkeypatch, IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed")))
    with pytest.raises(IntegrityError):
        as_user("fengcheng.admin").get("/api/instances")


@pytest.mark.parametrize(
    ("exc", "status", "message"),
    [
        (lost_connection(), 503, UNAVAILABLE),
        (StaleDataError("x"), 409, CONCURRENT),
        (Unavailable("x"), 503, UNAVAILABLE),
    ],
)
def test_pages_show_the_same_message_on_an_error_page(fresh, monkeypatch, exc, status, message):
    client, _ = page_login(fresh, "fengcheng.admin")
    failing_with(monkeypatch, exc)
    response = client.get("/admin/instances")
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert message in response.get_data(as_text=True)
