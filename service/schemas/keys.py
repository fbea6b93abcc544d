"""API keys: creation answers the key once; lists never show it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from service.auth import Role

__all__ = ["KeyCreatedOut", "KeyIn", "KeyOut"]


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    programme_id: str | None = Field(
        default=None, max_length=40, description="None: a global key (admins only)"
    )
    label: str = Field(default="", max_length=200)


class KeyOut(BaseModel):
    id: str
    role: Role
    programme_id: str | None
    label: str
    created_at: datetime
    revoked_at: datetime | None


class KeyCreatedOut(KeyOut):
    key: str = Field(description="The key itself: shown this once, store it now")
