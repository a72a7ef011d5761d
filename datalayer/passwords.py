"""Customer passwords: scrypt hashes (Python's standard library), generated and reset."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from .admins import requires
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
    if not isinstance(password, str) or not password:
        raise ValidationError({"password": "Password cannot be empty"})
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(_bytes(password), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def _bytes(password: str) -> bytes:
    # "surrogatepass": any text hashes, even one holding a lone surrogate.
    return password.encode("utf-8", "surrogatepass")


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` is the one ``stored`` is the hash of; False for
    a hash that is not one of ours (or is damaged)."""
    if not isinstance(password, str) or not isinstance(stored, str) or not stored.startswith("scrypt$"):
        return False
    try:
        _, n, r, p, salt, digest = stored.split("$")
        if not (n.isdigit() and r.isdigit() and p.isdigit() and int(n) <= 2 ** 20 and int(r) <= 64
                and int(p) <= 16 and 16 <= len(digest) <= 128):
            return False
        candidate = hashlib.scrypt(_bytes(password), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                                   dklen=len(digest) // 2, maxmem=2 ** 28)
    except ValueError:
        return False
    return hmac.compare_digest(candidate.hex(), digest)


PASSWORD_MIN, PASSWORD_MAX = 8, 128


_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def generate_password(length: int = 14) -> str:
    """A random password without look-alike characters (no l/1, O/0)."""
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


def _check_password(password: str) -> None:
    if not isinstance(password, str):
        raise ValidationError({"password": "A password must be text"})
    if len(password) < PASSWORD_MIN:
        raise ValidationError({"password": f"A password needs at least {PASSWORD_MIN} characters"})
    if len(password) > PASSWORD_MAX:
        raise ValidationError({"password": f"A password is at most {PASSWORD_MAX} characters"})
    if has_control_chars(password):
        raise ValidationError({"password": "A password cannot contain control characters"})


@requires("customers")
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
