"""API keys: creation (the secret is shown once), hashed storage, constant-time checks,
and the caller's :class:`Principal` with its role and programme.

A key reads ``key_<16 hex>.<secret>``: the part before the dot is the key's public id
(used for look-up and in the audit log), the secret is 32 random bytes, URL-safe base64,
stored only as its SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import delete
from sqlalchemy.orm import Session

from service.models import ApiKey, SignedInSession

__all__ = ["ROLES", "Principal", "Role", "authenticate", "create_key", "end_sessions_of"]

Role = Literal["admin", "coordinator", "researcher"]
ROLES: tuple[Role, ...] = ("admin", "coordinator", "researcher")

# Compared against when the key id is unknown, so a miss costs what a hit costs.
_DUMMY_HASH = hashlib.sha256(b"no such key").hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who is calling: a key id, its role, and its programme (``None``: every programme)."""

    key_id: str
    role: Role
    programme_id: str | None

    @property
    def is_global_admin(self) -> bool:
        return self.role == "admin" and self.programme_id is None

    def sees(self, programme_id: str) -> bool:
        return self.programme_id is None or hmac.compare_digest(self.programme_id, programme_id)

    def may_write(self) -> bool:
        return self.role in ("admin", "coordinator")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(
    session: Session, role: Role, programme_id: str | None, label: str = ""
) -> tuple[ApiKey, str]:
    """Store a new key and return it with its full text (shown once, never stored)."""
    key_id = f"key_{secrets.token_hex(8)}"
    secret = secrets.token_urlsafe(32)
    row = ApiKey(
        id=key_id,
        secret_sha256=_digest(secret),
        role=role,
        programme_id=programme_id,
        label=label,
    )
    session.add(row)
    session.flush()
    return row, f"{key_id}.{secret}"


def authenticate(session: Session, presented: str) -> Principal | None:
    """The principal of a presented key, or ``None`` if it is unknown, malformed or revoked."""
    key_id, _, secret = presented.strip().partition(".")
    row = session.get(ApiKey, key_id) if key_id.startswith("key_") and secret else None
    expected = row.secret_sha256 if row is not None else _DUMMY_HASH
    matches = hmac.compare_digest(expected, _digest(secret))
    if row is None or not matches or row.revoked_at is not None or row.role not in ROLES:
        return None
    role: Role = row.role
    return Principal(key_id=row.id, role=role, programme_id=row.programme_id)


def end_sessions_of(session: Session, key_id: str) -> None:
    """End every review-page session signed in with a key (on revocation); the caller
    commits."""
    session.execute(delete(SignedInSession).where(SignedInSession.key_id == key_id))
