"""Shared fixtures: one application per test session, on SQLite unless DATABASE_URL says otherwise."""
import pytest

from api import create_app


@pytest.fixture(scope="session")
def app():
    return create_app({"TESTING": True, "DEPLOY_ON_START": False})


@pytest.fixture
def client(app):
    return app.test_client()
