"""The SMS sender against a local gateway stub: back-off and giving up, the HTTP adapter's request, the log
file of development, and a sender killed mid-batch (SIGKILL) whose messages are each sent once after restart."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.core.clock import clock
from engine.core.models import SmsMessage
from engine.sms.sender import Policy, send_due
from server.extensions import db
from tests.scenarios import accept_at_instant, at

ROOT = Path(__file__).resolve().parents[2]
ACCEPTED_AT = at("2026-11-02T09:30:00")

pytestmark = pytest.mark.usefixtures("fresh")


class GatewayStub:
    """An SMS gateway on a local port: answers 503 to the first `failures` posts, holds each post `delay`
    seconds, and delivers a message key once (a repeated key is acknowledged, not delivered again)."""

    def __init__(self, failures=0, delay=0.0):
        self.failures, self.delay = failures, delay
        self.posts: list[dict] = []
        self.delivered: Counter[str] = Counter()
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with stub.lock:
                    stub.posts.append({"body": body, "headers": dict(self.headers)})
                    refused = len(stub.posts) <= stub.failures
                    if not refused and body["key"] not in stub.delivered:
                        stub.delivered[body["key"]] += 1
                time.sleep(stub.delay)
                answer = json.dumps({"id": f"gw-{len(stub.posts)}"}).encode()
                try:
                    self.send_response(503 if refused else 200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the sender died while we held its request

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub_factory():
    stubs = []

    def make(**kwargs):
        stubs.append(GatewayStub(**kwargs))
        return stubs[-1]

    yield make
    for stub in stubs:
        stub.close()


def use_gateway(app, monkeypatch, stub, **settings):
    values = {"SMS_GATEWAY": "http", "SMS_GATEWAY_URL": stub.url, "SMS_GATEWAY_KEY": "k-123", **settings}
    for name, value in values.items():
        monkeypatch.setitem(app.config, name, value)


def send_once(app, when):
    clock.freeze(when)
    result = app.test_cli_runner().invoke(args=["sms", "send", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def messages(app):
    with app.app_context():
        rows = db.session.scalars(select(SmsMessage).order_by(SmsMessage.id)).all()
        db.session.expunge_all()
        return rows


def test_a_refused_message_is_retried_with_doubling_back_off_then_sent(app, as_user, monkeypatch, stub_factory):
    accept_at_instant(as_user, "2026-11-02T09:30:00")
    stub = stub_factory(failures=2)
    use_gateway(app, monkeypatch, stub, SMS_BACKOFF_SECONDS=60.0)
    send_once(app, ACCEPTED_AT)
    (message,) = messages(app)
    assert (message.state, message.attempts) == ("pending", 1)
    assert message.next_attempt_at == ACCEPTED_AT + timedelta(seconds=60)
    assert message.last_error == "短信网关拒绝：HTTP 503"
    send_once(app, ACCEPTED_AT + timedelta(seconds=59))  # not yet due: nothing is posted
    assert len(stub.posts) == 1
    send_once(app, ACCEPTED_AT + timedelta(seconds=60))
    (message,) = messages(app)
    assert (message.state, message.attempts) == ("pending", 2)
    assert message.next_attempt_at == ACCEPTED_AT + timedelta(seconds=60 + 120)
    send_once(app, ACCEPTED_AT + timedelta(seconds=180))
    (message,) = messages(app)
    assert (message.state, message.attempts, message.gateway_ref) == ("sent", 3, "gw-3")
    assert message.sent_at == ACCEPTED_AT + timedelta(seconds=180)
    assert len(stub.posts) == 3 and stub.delivered == {message.key: 1}


def test_a_message_is_given_up_after_the_last_attempt(app, as_user, monkeypatch, stub_factory):
    accept_at_instant(as_user, "2026-11-02T09:30:00")
    stub = stub_factory(failures=100)
    use_gateway(app, monkeypatch, stub, SMS_MAX_ATTEMPTS=3, SMS_BACKOFF_SECONDS=10.0)
    for seconds in (0, 10, 30, 70, 150):
        output = send_once(app, ACCEPTED_AT + timedelta(seconds=seconds))
    (message,) = messages(app)
    assert (message.state, message.attempts) == ("failed", 3)
    assert len(stub.posts) == 3
    assert "放弃 1 条" not in output  # the last pass found nothing left to try


def test_the_http_adapter_posts_json_with_the_key_and_the_api_key(app, as_user, monkeypatch, stub_factory):
    accept_at_instant(as_user, "2026-11-02T09:30:00")
    stub = stub_factory()
    use_gateway(app, monkeypatch, stub)
    assert "已发送 1 条" in send_once(app, ACCEPTED_AT)
    ((post,),) = [stub.posts]
    (message,) = messages(app)
    assert post["body"] == {"key": message.key, "mobile": message.mobile, "content": message.body}
    assert post["headers"]["Authorization"] == "Bearer k-123"
    assert post["headers"]["Idempotency-Key"] == message.key


def test_a_gateway_slower_than_its_timeout_counts_as_a_failure_to_retry(app, as_user, monkeypatch, stub_factory):
    accept_at_instant(as_user, "2026-11-02T09:30:00")
    stub = stub_factory(delay=1.0)
    use_gateway(app, monkeypatch, stub, SMS_GATEWAY_TIMEOUT=0.2)
    assert "稍后重试 1 条" in send_once(app, ACCEPTED_AT)
    (message,) = messages(app)
    assert (message.state, message.attempts) == ("pending", 1)
    assert message.last_error.startswith("短信网关不可达")


def test_development_sends_to_the_log_file(app, as_user, monkeypatch, tmp_path):
    accept_at_instant(as_user, "2026-11-02T09:30:00")
    log = tmp_path / "sms.log"
    monkeypatch.setitem(app.config, "SMS_GATEWAY", "log")
    monkeypatch.setitem(app.config, "SMS_LOG_PATH", str(log))
    send_once(app, ACCEPTED_AT)
    (line,) = log.read_text(encoding="utf-8").splitlines()
    (message,) = messages(app)
    assert json.loads(line) == {
        "at": ACCEPTED_AT.isoformat(),
        "key": message.key,
        "mobile": message.mobile,
        "body": message.body,
    }
    assert (message.state, message.gateway_ref) == ("sent", f"log:{message.key}")


CASES = 12


def sender(app, stub):
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "DEPLOY_ON_START": "0",
        "SMS_GATEWAY": "http",
        "SMS_GATEWAY_URL": stub.url,
        "SMS_BATCH": "3",
        "SMS_LEASE_SECONDS": "4",
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "sms", "send", "--interval", "0.2"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(condition, senders, seconds=60.0):
    """Wait until `condition` holds while every sender runs (one that exited fails the test with its output)."""
    deadline = time.monotonic() + seconds
    while not condition():
        for process in senders:
            assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def sent_count(app):
    with app.app_context():
        count = db.session.scalar(select(func.count()).where(SmsMessage.state == "sent"))
        db.session.remove()
        return count


def test_a_sender_killed_mid_batch_leaves_every_message_sent_exactly_once_after_restart(app, as_user, stub_factory):
    for _ in range(CASES):
        accept_at_instant(as_user, "2026-11-02T09:30:00")
    clock.thaw()
    stub = stub_factory(delay=0.3)
    first = sender(app, stub)
    wait_for(lambda: len(stub.posts) >= 2, [first])  # the gateway holds the second post of the first batch
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert first.returncode == -signal.SIGKILL
    left = Counter(message.state for message in messages(app))
    assert left["sending"] >= 2 and left["pending"] > 0, left  # the held post and the rest of its batch

    restarted = [sender(app, stub) for _ in range(2)]  # two senders share what is left
    try:
        wait_for(lambda: sent_count(app) == CASES, restarted)
    finally:
        for process in restarted:
            process.terminate()
            process.wait(timeout=10)

    keys = {message.key for message in messages(app)}
    assert {message.state for message in messages(app)} == {"sent"}
    assert stub.delivered == {key: 1 for key in keys}  # every message reached the applicant once
    posted = Counter(post["body"]["key"] for post in stub.posts)
    resent = [key for key, count in posted.items() if count > 1]
    assert len(resent) <= 1 and all(posted[key] == 2 for key in resent)  # only the one held at the kill, same key


class ClockMovingGateway:
    """A gateway so slow that the first message outlives the whole claim's lease."""

    def __init__(self, lease_seconds):
        self.lease_seconds, self.keys = lease_seconds, []

    def send(self, key, mobile, body):
        self.keys.append(key)
        clock.freeze(clock.now() + timedelta(seconds=self.lease_seconds + 1))
        return "slow"


def test_a_batch_that_outlives_its_lease_stops_and_leaves_the_rest_to_the_next_claim(app, as_user):
    for _ in range(3):
        accept_at_instant(as_user, "2026-11-02T09:30:00")
    gateway = ClockMovingGateway(lease_seconds=30)
    with app.app_context():
        first = send_due(db.session, gateway, Policy(batch=3, lease_seconds=30), "slow-sender")
        db.session.remove()
    assert (first.sent, len(gateway.keys)) == (1, 1)  # the lease ran out while the first was handed over
    assert Counter(m.state for m in messages(app)) == {"sent": 1, "sending": 2}
    with app.app_context():
        second = send_due(db.session, gateway, Policy(batch=1, lease_seconds=30), "next-sender")
    assert second.sent == 1 and len(set(gateway.keys)) == 2
