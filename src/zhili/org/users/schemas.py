"""API shapes for accounts and tokens. Phones are masked unless the reader may see them."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from zhili.core.security import Role

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    full_name: str
    role: Role
    region_id: int | None
    department_id: int | None
    phone: str | None = Field(None, description="masked (138****5678) unless you may read it")
    phone_masked: bool = True
    is_active: bool


class UserCreate(BaseModel):
    username: str = Field(..., min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    full_name: str = Field(..., min_length=1, max_length=64)
    role: Role
    password: str | None = Field(None, min_length=8, max_length=128)
    region_id: int | None = None
    department_id: int | None = None
    phone: str | None = None

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        if v is not None and not PHONE_RE.match(v):
            raise ValueError("phone must be an 11-digit mobile or an area-code landline")
        return v


class LoginIn(BaseModel):
    username: str = Field(..., min_length=1, max_length=64)
    password: str = Field(..., min_length=1, max_length=128)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_at: datetime | None
    user: UserOut


class TokenCreate(BaseModel):
    name: str = Field("api", min_length=1, max_length=64)
    ttl_hours: int | None = Field(None, ge=1, le=24 * 365)
