"""Pseudonymous ids: HMAC-SHA256 of a person's id under the instance secret.

Used for researchers' views and for the audit log after an erasure. The secret comes from
the settings, or is generated once and kept in the database (``instance_secret``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from service.models import InstanceSecret
from service.settings import Settings

__all__ = ["ensure_secret", "load_secret", "pseudonym"]


def load_secret(session: Session, settings: Settings) -> bytes:
    """The pseudonym key: the configured one, else the stored one (created on first use)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    row = session.get(InstanceSecret, 1)
    if row is None:
        # A fixed primary key: if another process creates it first, this insert fails
        # and the caller's retry reads theirs (see ensure_secret).
        row = InstanceSecret(id=1, secret_hex=secrets.token_hex(32))
        session.add(row)
        session.flush()
    return bytes.fromhex(row.secret_hex)


def ensure_secret(factory: sessionmaker[Session], settings: Settings) -> bytes:
    """Load (or create once) the pseudonym key, tolerating a concurrent first start."""
    try:
        with factory() as session, session.begin():
            return load_secret(session, settings)
    except IntegrityError:
        with factory() as session, session.begin():
            return load_secret(session, settings)


def pseudonym(secret: bytes, programme_id: str, person_id: str) -> str:
    """A stable pseudonym for a person in a programme (not reversible without the secret)."""
    message = f"{programme_id}\x1f{person_id}".encode()
    return "p_" + hmac.new(secret, message, hashlib.sha256).hexdigest()[:24]
