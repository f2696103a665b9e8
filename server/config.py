"""Settings read from the environment, with a development default on embedded SQLite."""

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def database_url(raw: str | None, instance_path: Path) -> str:
    """SQLAlchemy URL for DATABASE_URL; plain postgresql:// means the psycopg 3 driver."""
    if not raw:
        return f"sqlite:///{instance_path / 'yibao.db'}"
    if raw.startswith("postgresql://") or raw.startswith("postgres://"):
        return "postgresql+psycopg://" + raw.split("://", 1)[1]
    return raw


def secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the instance folder."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
    return key_file.read_text().strip()


def engine_options(url: str) -> dict:
    """A server database may drop idle connections, so check each one out with a ping; SQLite cannot.

    PostgreSQL's JIT is off for every connection: the listings' plans are short index ranges, but a large
    table's estimates made JIT compile for 0.2–0.9 s a statement (issue 16).
    """
    if url.startswith("sqlite"):
        return {}
    options: dict = {"pool_pre_ping": True}
    if url.startswith("postgresql"):
        options["connect_args"] = {"options": "-c jit=off"}
    return options


def settings(instance_path: Path) -> dict:
    instance_path.mkdir(parents=True, exist_ok=True)
    url = database_url(os.environ.get("DATABASE_URL"), instance_path)
    replica = os.environ.get("DATABASE_REPLICA_URL")
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url),
        # Stale-tolerant reads (server/replica.py); unset: every read on the primary.
        "DATABASE_REPLICA_URL": replica and database_url(replica, instance_path),
        "SECRET_KEY": secret_key(instance_path),
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "API_TITLE": "yibao-flow",
        "API_VERSION": "1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "BPMN_DIR": str(PROJECT_ROOT / "processes" / "bpmn"),
        "HOLIDAYS_DIR": os.environ.get("HOLIDAYS_DIR") or str(PROJECT_ROOT / "holidays"),
        "DEPLOY_ON_START": os.environ.get("DEPLOY_ON_START", "1") == "1",
        "WTF_CSRF_CHECK_DEFAULT": False,
        "PASSWORD_HASH_METHOD": os.environ.get("PASSWORD_HASH_METHOD", "scrypt:32768:8:1"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        "RATING_RECTIFICATION_DAYS": int(os.environ.get("RATING_RECTIFICATION_DAYS", "5")),
        # Scans of cases (附件): "local" keeps them under ATTACHMENT_DIR, "s3" in a bucket of any S3-compatible store
        "ATTACHMENT_STORE": os.environ.get("ATTACHMENT_STORE", "local"),
        "ATTACHMENT_DIR": os.environ.get("ATTACHMENT_DIR") or str(instance_path / "attachments"),
        "S3_BUCKET": os.environ.get("S3_BUCKET", ""),
        "S3_ENDPOINT_URL": os.environ.get("S3_ENDPOINT_URL", ""),
        "S3_REGION": os.environ.get("S3_REGION", ""),
        "S3_ACCESS_KEY_ID": os.environ.get("S3_ACCESS_KEY_ID", ""),
        "S3_SECRET_ACCESS_KEY": os.environ.get("S3_SECRET_ACCESS_KEY", ""),
        "S3_PREFIX": os.environ.get("S3_PREFIX", ""),
        # Encryption at rest of the scans in the bucket: "AES256" (the store's keys) or "aws:kms" (with S3_KMS_KEY_ID)
        "S3_SERVER_SIDE_ENCRYPTION": os.environ.get("S3_SERVER_SIDE_ENCRYPTION", ""),
        "S3_KMS_KEY_ID": os.environ.get("S3_KMS_KEY_ID", ""),
        # Flask-Limiter (the public progress lookup): one store per process unless pointed at e.g. redis://host:6379
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Where applicants reach the site, for the 受理单's QR code (e.g. https://yb.example.gov.cn); empty: the request's
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", ""),
        **security_settings(),
        **sms_settings(instance_path),
    }


def sms_settings(instance_path: Path) -> dict:
    """SMS notices to applicants (engine/sms): where they go and how the sender retries."""
    batch = int(os.environ.get("SMS_BATCH", "20"))
    timeout = float(os.environ.get("SMS_GATEWAY_TIMEOUT", "5"))
    return {
        # "log" appends each message to SMS_LOG_PATH (development); "http" posts it to the gateway at SMS_GATEWAY_URL
        "SMS_GATEWAY": os.environ.get("SMS_GATEWAY", "log"),
        "SMS_LOG_PATH": os.environ.get("SMS_LOG_PATH") or str(instance_path / "sms.log"),
        "SMS_GATEWAY_URL": os.environ.get("SMS_GATEWAY_URL", ""),
        "SMS_GATEWAY_KEY": os.environ.get("SMS_GATEWAY_KEY", ""),
        "SMS_GATEWAY_TIMEOUT": timeout,
        "SMS_BATCH": batch,
        # A failed message waits SMS_BACKOFF_SECONDS, then twice as long each time, and is given up after so many tries
        "SMS_MAX_ATTEMPTS": int(os.environ.get("SMS_MAX_ATTEMPTS", "6")),
        "SMS_BACKOFF_SECONDS": float(os.environ.get("SMS_BACKOFF_SECONDS", "60")),
        "SMS_MAX_BACKOFF_SECONDS": float(os.environ.get("SMS_MAX_BACKOFF_SECONDS", str(6 * 3600))),
        # A claimed batch another sender may take over once this long has passed (its sender died): by default
        # longer than the batch can take at the gateway's timeout
        "SMS_LEASE_SECONDS": float(os.environ.get("SMS_LEASE_SECONDS") or batch * timeout + 30),
    }


def _flag(name: str, default: str = "0") -> bool:
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


def security_settings() -> dict:
    """Sign-in, passwords, sessions, tokens and HTTP hardening (README: 安全设置)."""
    force_https = _flag("FORCE_HTTPS")
    return {
        # Passwords of new accounts and changes; a lock-out after so many failures in a row, for so long
        "PASSWORD_MIN_LENGTH": int(os.environ.get("PASSWORD_MIN_LENGTH", "10")),
        "LOGIN_MAX_FAILURES": int(os.environ.get("LOGIN_MAX_FAILURES", "5")),
        "LOGIN_LOCKOUT_MINUTES": int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")),
        # A page session ends after so long without a request, and in any case so long after signing in
        "SESSION_IDLE_MINUTES": int(os.environ.get("SESSION_IDLE_MINUTES", "30")),
        "SESSION_MAX_HOURS": int(os.environ.get("SESSION_MAX_HOURS", "12")),
        # A bearer token of the REST API expires so long after it was issued
        "API_TOKEN_HOURS": int(os.environ.get("API_TOKEN_HOURS", "12")),
        # Served over TLS (directly or behind a proxy that sets X-Forwarded-Proto): redirect http to https,
        # send HSTS and mark the session cookie Secure; SESSION_COOKIE_SECURE alone only marks the cookie
        "FORCE_HTTPS": force_https,
        "SESSION_COOKIE_SECURE": force_https or _flag("SESSION_COOKIE_SECURE"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
    }
