"""Passwords: argon2id hashes (argon2-cffi) and the rules a new password must meet.

No Flask in here: the services, the command line and the pages call these functions."""

from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 256  # argon2 takes any length; a cap keeps one request from costing much
COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common_passwords.txt"

_hasher = PasswordHasher()  # argon2id with the RFC 9106 low-memory parameters


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


@cache
def _dummy_hash() -> str:
    return _hasher.hash("not a password anyone has: timing only")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches. Without a stored hash a dummy one is checked, so an unknown or
    password-less account takes as long to refuse as a wrong password."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """The hash was made with weaker parameters than today's: store a new one at the next sign-in."""
    return _hasher.check_needs_rehash(password_hash)
