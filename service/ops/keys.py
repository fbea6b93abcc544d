"""Revoking API keys without locking anybody out.

The rule: an instance keeps at least one unrevoked global admin key, and a programme
admin cannot revoke the last unrevoked admin key of her programme. Losing the last global
admin key needs shell access to recover (``marraine keys create``), so it is refused
whoever asks. A programme left without an admin key is recovered through the API by a
global admin, so a global admin may revoke it; a programme admin may not, since she would
lock her programme out of its own key management.

Two concurrent revocations of the last two admin keys of a scope go one at a time: the
scope's admin keys are locked (row locks on PostgreSQL, the write lock on SQLite) before
they are counted.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from service.auth import Principal, end_sessions_of
from service.db import is_sqlite
from service.models import ApiKey, utcnow
from service.ops.errors import ConflictError

__all__ = ["revoke_key"]


def _active_admins_of(programme_id: str | None) -> ColumnElement[bool]:
    scope = (
        ApiKey.programme_id.is_(None)
        if programme_id is None
        else ApiKey.programme_id == programme_id
    )
    return (ApiKey.role == "admin") & scope & ApiKey.revoked_at.is_(None)


def _lock_active_admins(session: Session, programme_id: str | None) -> list[str]:
    """The ids of the scope's unrevoked admin keys, locked until the transaction ends."""
    where = _active_admins_of(programme_id)
    if is_sqlite(session.get_bind().engine):
        # A no-op write takes SQLite's database write lock (see service.db.lock_row).
        session.execute(
            update(ApiKey)
            .where(where)
            .values(label=ApiKey.label)
            .execution_options(synchronize_session=False)
        )
        return list(session.scalars(select(ApiKey.id).where(where)))
    return list(
        session.scalars(select(ApiKey.id).where(where).order_by(ApiKey.id).with_for_update())
    )


def revoke_key(session: Session, row: ApiKey, by: Principal) -> None:
    """Revoke ``row`` (no-op if already revoked) and end its review-page sessions; raise
    :class:`ConflictError` if that would leave no admin key the rule requires (see the
    module's docstring). The caller commits."""
    if row.role == "admin" and row.revoked_at is None:
        protected = row.programme_id is None or not by.is_global_admin
        if protected and _lock_active_admins(session, row.programme_id) == [row.id]:
            scope = "instance" if row.programme_id is None else "programme"
            raise ConflictError(
                "last_admin_key",
                f"this is the {scope}'s last admin key: create another admin key first",
            )
        session.refresh(row)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    end_sessions_of(session, row.id)  # the review page's sessions end with the key
