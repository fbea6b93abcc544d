"""``/v1/keys``: admins create, list and revoke API keys (the key is shown once)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from sqlalchemy import select

from service.auth import Principal, create_key
from service.deps import PathText, PrincipalDep, SessionDep, get_programme, not_found
from service.models import ApiKey
from service.ops.keys import revoke_key
from service.schemas.common import BODY, WRITE, error_responses
from service.schemas.keys import KeyCreatedOut, KeyIn, KeyOut

router = APIRouter(prefix="/v1/keys", tags=["keys"])

READ_ERRORS = error_responses(WRITE)  # only admins list keys
ERRORS = error_responses(WRITE, BODY)


def _require_admin(principal: Principal) -> None:
    if principal.role != "admin":
        raise HTTPException(status_code=403, detail="only an admin key manages keys")


def _out(row: ApiKey) -> KeyOut:
    return KeyOut(
        id=row.id,
        role=row.role,
        programme_id=row.programme_id,
        label=row.label,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


@router.post("", status_code=201, responses=ERRORS)
def create(body: KeyIn, principal: PrincipalDep, session: SessionDep) -> KeyCreatedOut:
    """Create a key. A programme's admin creates keys for her programme; only a global
    admin creates global keys."""
    _require_admin(principal)
    if body.programme_id is None:
        if not principal.is_global_admin:
            raise HTTPException(status_code=403, detail="only a global admin creates global keys")
    else:
        get_programme(session, principal, body.programme_id)
    row, key = create_key(session, body.role, body.programme_id, body.label)
    session.commit()
    return KeyCreatedOut(**_out(row).model_dump(), key=key)


@router.get("", responses=READ_ERRORS)
def list_keys(principal: PrincipalDep, session: SessionDep) -> list[KeyOut]:
    _require_admin(principal)
    query = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
    if principal.programme_id is not None:
        query = query.where(ApiKey.programme_id == principal.programme_id)
    return [_out(row) for row in session.scalars(query)]


@router.delete("/{key_id}", responses=error_responses(WRITE, 409))
def revoke(key_id: PathText, principal: PrincipalDep, session: SessionDep) -> KeyOut:
    """Revoke a key. The last unrevoked global admin key cannot be revoked (409), nor can
    a programme admin revoke her programme's last admin key: create another one first."""
    _require_admin(principal)
    row = session.get(ApiKey, key_id)
    visible = row is not None and (
        principal.is_global_admin or row.programme_id == principal.programme_id
    )
    if row is None or not visible:
        raise not_found("key not found")
    revoke_key(session, row, principal)
    session.commit()
    return _out(row)
