"""Password hashes: werkzeug's format both ways, so hashes stored before keep working; the cost is a setting."""

import pytest
from werkzeug.security import check_password_hash, generate_password_hash

from engine.org import passwords


@pytest.fixture
def cheap(monkeypatch):
    monkeypatch.setattr(passwords, "method", passwords.method)
    passwords.configure("scrypt:16:8:1")


def test_hashes_stored_by_werkzeug_verify():
    for stored in (generate_password_hash("s3cret-pass"), generate_password_hash("s3cret-pass", "pbkdf2:sha256:1000")):
        assert passwords.verify_password(stored, "s3cret-pass")
        assert not passwords.verify_password(stored, "wrong")


def test_new_hashes_are_werkzeugs_format(monkeypatch):
    monkeypatch.setattr(passwords, "method", passwords.method)
    passwords.configure(passwords.DEFAULT_METHOD)  # the test app configures a cheap one
    stored = passwords.hash_password("s3cret-pass")
    assert stored.startswith(passwords.DEFAULT_METHOD + "$")
    assert check_password_hash(stored, "s3cret-pass")


def test_new_hashes_take_the_configured_cost(cheap):
    """(werkzeug itself cannot check so small an n: its memory bound falls short)"""
    stored = passwords.hash_password("s3cret-pass")
    assert stored.startswith("scrypt:16:8:1$")
    assert passwords.verify_password(stored, "s3cret-pass") and not passwords.verify_password(stored, "other")


@pytest.mark.parametrize("stored", ["", "plain", "scrypt:x:8:1$salt$00", "md5$salt$00"])
def test_malformed_hashes_never_verify(stored):
    assert not passwords.verify_password(stored, "anything")


def test_unknown_methods_are_refused():
    with pytest.raises(ValueError):
        passwords.configure("argon2")
