"""Customer passwords: scrypt hashes (Python's standard library), generated and reset."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from .audit import audit
from .connection import db
from .errors import ValidationError
from .lookup import get_customer
from .parsing import has_control_chars
from .tables import Customer, utcnow
from .transactions import retried

_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    """An scrypt hash (the standard library's, no extra dependency)."""
    if not password:
        raise ValidationError({"password": "Password cannot be empty"})
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, n, r, p, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                               dklen=len(digest) // 2)
    return hmac.compare_digest(candidate.hex(), digest)


PASSWORD_MIN, PASSWORD_MAX = 8, 128


_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def generate_password(length: int = 14) -> str:
    """A random password without look-alike characters (no l/1, O/0)."""
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


def _check_password(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise ValidationError({"password": f"A password needs at least {PASSWORD_MIN} characters"})
    if len(password) > PASSWORD_MAX:
        raise ValidationError({"password": f"A password is at most {PASSWORD_MAX} characters"})
    if has_control_chars(password):
        raise ValidationError({"password": "A password cannot contain control characters"})


@retried
def reset_password(customer_id: int, password: str | None = None, *, actor: str | None = None) -> str:
    """Set a temporary password (generated when none is given) and return it,
    for the caller to show once.  Only its hash is stored; the audit entry
    says that it changed, never what to."""
    generated = password is None
    password = generate_password() if generated else password
    _check_password(password)
    hashed = hash_password(password)  # before the transaction: scrypt takes a while
    with db.atomic():
        c = get_customer(customer_id)
        Customer.update(password_hash=hashed, updated_at=utcnow(),
                        version=Customer.version + 1).where(Customer.id == c.id).execute()
        audit("customer.password_reset", "customer", c.id, after={"generated": generated}, actor=actor)
    return password
