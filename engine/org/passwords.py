"""Password hashes in werkzeug's own format (`scrypt:n:r:p$salt$hexhash`), so stored hashes keep working.

The cost is a setting: the application names it with `configure` (settings: PASSWORD_HASH_METHOD), and
the tests choose a cheap one. Verifying reads the cost from the stored hash, whatever the current setting.
"""

import hashlib
import hmac
import secrets
import string

DEFAULT_METHOD = "scrypt:32768:8:1"
SALT_CHARS = string.ascii_letters + string.digits
SALT_LENGTH = 16

method = DEFAULT_METHOD


def configure(hash_method: str) -> None:
    """Set how new passwords are hashed: `scrypt:n:r:p` (werkzeug's default is scrypt:32768:8:1)."""
    global method
    _scrypt_parameters(hash_method)
    method = hash_method


def _scrypt_parameters(hash_method: str) -> tuple[int, int, int]:
    kind, *parameters = hash_method.split(":")
    if kind != "scrypt" or len(parameters) not in (0, 3):
        raise ValueError(f"unsupported password hash method: {hash_method}")
    n, r, p = (int(value) for value in parameters) if parameters else (2**15, 8, 1)
    return n, r, p


def _scrypt(password: str, salt: str, n: int, r: int, p: int) -> str:
    # OpenSSL needs 128·r·(n + p + 2) bytes; werkzeug's 132·n·r·p falls short for a small n
    maxmem = 128 * r * (n + p + 2) + 2**20
    return hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=maxmem, dklen=64).hex()


def hash_password(password: str) -> str:
    salt = "".join(secrets.choice(SALT_CHARS) for _ in range(SALT_LENGTH))
    n, r, p = _scrypt_parameters(method)
    return f"scrypt:{n}:{r}:{p}${salt}${_scrypt(password, salt, n, r, p)}"


def verify_password(stored: str, password: str) -> bool:
    """Whether `password` matches a stored hash (scrypt, or werkzeug's older pbkdf2:sha256:iterations)."""
    try:
        hash_method, salt, expected = stored.split("$", 2)
        if hash_method.startswith("pbkdf2"):
            _, digest, iterations = (hash_method.split(":") + ["sha256", "600000"])[:3]
            actual = hashlib.pbkdf2_hmac(digest, password.encode(), salt.encode(), int(iterations)).hex()
        else:
            actual = _scrypt(password, salt, *_scrypt_parameters(hash_method))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)
