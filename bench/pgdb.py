"""PostgreSQL databases the benchmarks build for themselves, on the server DATABASE_URL names."""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from server import config

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
REFUSED = {"test", "postgres", "template0", "template1"}  # the test suite's database and the server's own


def named(name: str, server: str | None = None) -> str:
    """The URL of database `name` on the server of `server` (DATABASE_URL's, by default)."""
    parts = urlsplit(server or os.environ.get("DATABASE_URL") or DEFAULT_SERVER)
    return urlunsplit(parts._replace(path=f"/{name}"))


def database_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def recreate(url: str) -> None:
    """Drop and create the database of `url`, never one of REFUSED."""
    drop(url)
    with psycopg.connect(named("postgres", url), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database_of(url))))


def exists(url: str) -> bool:
    with psycopg.connect(named("postgres", url), autocommit=True) as admin:
        found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database_of(url),)).fetchone()
    return found is not None


def app_settings(url: str) -> dict:
    """The app's database settings for `url` as if DATABASE_URL named it (the psycopg 3 driver, JIT off)."""
    database = config.database_url(url, Path("."))
    return {"SQLALCHEMY_DATABASE_URI": database, "SQLALCHEMY_ENGINE_OPTIONS": config.engine_options(database)}


def drop(url: str) -> None:
    """Drop the database of `url` if it exists, never one of REFUSED."""
    name = database_of(url)
    if name in REFUSED:
        raise SystemExit(f"refusing to drop database {name!r}")
    with psycopg.connect(named("postgres", url), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
