"""Response schemas shared by routers. Request bodies are pydantic BaseModels next to their
route, except the few several routers share (`ReasonRequired`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, create_model

from accord.lib.reasons import REASON_MAX
from accord.lib.time import rfc3339

# Every instant in the API: RFC 3339 in UTC with a Z.
Instant = Annotated[dt.datetime, PlainSerializer(lambda v: rfc3339(v), return_type=str)]


class ReasonRequired(BaseModel):
    """The body of an irreversible action: why, kept on the record (a blank reason answers 400)."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(
        min_length=1,
        max_length=REASON_MAX,
        description="Why (required): recorded with the event on the timeline or the history.",
    )


class ErrorItem(BaseModel):
    field: str
    message: str


class Error(BaseModel):
    detail: str
    errors: list[ErrorItem] | None = None


class OrganizationRef(BaseModel):
    id: int
    name: str
    kind: str


class MembershipOut(BaseModel):
    organization: OrganizationRef
    role: str


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    timezone: str
    notify_mode: str = Field(
        description='"immediate", "digest" (a daily digest) or "none": mail about new items'
    )
    roles: list[str]
    organizations: list[MembershipOut]


class MemberOut(BaseModel):
    id: int
    user_id: int
    email: str
    name: str
    role: str
    joined_at: Instant


class OrganizationOut(BaseModel):
    id: int
    name: str
    kind: str
    created_at: Instant


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: Instant
    last_used_at: Instant | None
    revoked_at: Instant | None


class TokenCreated(TokenOut):
    token: str


class InvitationOut(BaseModel):
    id: int
    email: str
    organization: OrganizationRef
    role: str
    created_at: Instant
    expires_at: Instant


def page_of(item: Any, name: str | None = None) -> type[BaseModel]:
    """The list envelope's schema for `item` (a schema, or a union of schemas given a `name`)."""
    items: Any = list[item]
    return create_model(f"{name or item.__name__}Page", items=(items, ...), next=(str | None, ...))
