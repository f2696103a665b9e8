"""Where messages go: a log file in development, an HTTP SMS gateway in production (`gateway_from`).

A gateway is handed each message with its `key`, which stays the same when a message is sent again after a
sender died between handing it over and recording it: the HTTP gateway sends it as the provider's
idempotency key, so the provider delivers the message once (a provider that ignores it may deliver it twice).
"""

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from engine.core.clock import clock


class GatewayError(Exception):
    """The gateway did not take the message; the sender tries again later."""


class Gateway(Protocol):
    def send(self, key: str, mobile: str, body: str) -> str:
        """Hand one message over; returns the gateway's reference for it, raises `GatewayError`."""
        ...


@dataclass(frozen=True)
class LogFileGateway:
    """Development: every message is appended to a file as one JSON line (and flushed to disk at once)."""

    path: Path

    def send(self, key: str, mobile: str, body: str) -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"at": clock.now().isoformat(), "key": key, "mobile": mobile, "body": body}, ensure_ascii=False
        )
        with self.path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")
            out.flush()
            os.fsync(out.fileno())
        return f"log:{key}"


@dataclass(frozen=True)
class HttpGateway:
    """Production: POST {key, mobile, content} as JSON to the gateway's URL with its API key as a bearer token;
    any 2xx answer is taken (its JSON `id`, if any, is kept as the reference), anything else is a failure."""

    url: str
    api_key: str
    timeout: float

    def send(self, key: str, mobile: str, body: str) -> str:
        request = urllib.request.Request(
            self.url,
            data=json.dumps({"key": key, "mobile": mobile, "content": body}, ensure_ascii=False).encode("utf-8"),
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {self.api_key}",
                "Idempotency-Key": key,
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = response.read(64 * 1024)
        except urllib.error.HTTPError as exc:
            raise GatewayError(f"短信网关拒绝：HTTP {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise GatewayError(f"短信网关不可达：{exc}") from exc
        return _reference(answer) or f"http:{key}"


def _reference(answer: bytes) -> str | None:
    try:
        parsed = json.loads(answer or b"null")
    except ValueError:
        return None
    reference = parsed.get("id") if isinstance(parsed, dict) else None
    return str(reference)[:100] if reference is not None else None


@dataclass(frozen=True)
class GatewaySettings:
    """What server/config.py read: `kind` is "log" or "http"."""

    kind: str
    log_path: str
    url: str
    api_key: str
    timeout: float


def gateway_from(settings: GatewaySettings) -> Gateway:
    if settings.kind == "log":
        return LogFileGateway(Path(settings.log_path))
    if settings.kind == "http":
        if not settings.url:
            raise ValueError("SMS_GATEWAY=http needs SMS_GATEWAY_URL")
        return HttpGateway(settings.url, settings.api_key, settings.timeout)
    raise ValueError(f"unknown SMS_GATEWAY {settings.kind!r}: log or http")
