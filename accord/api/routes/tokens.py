from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from pydantic import BaseModel, Field

from accord.accounts import actions
from accord.accounts.models import ApiToken, User
from accord.accounts.queries import access_token
from accord.api.auth import rule
from accord.api.base import paginate
from accord.api.schemas import Error, TokenCreated, TokenOut, page_of

router = Router(tags=["tokens"])


def token_out(token: ApiToken) -> TokenOut:
    return TokenOut(
        id=token.pk,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
    )


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)


@router.get(
    "/tokens",
    response={200: page_of(TokenOut), 400: Error, 401: Error},
    summary="My API tokens",
    auth=rule("authenticated"),
)
def list_tokens(request: HttpRequest, cursor: str | None = None, limit: int | None = None) -> dict:
    user: User = request.user  # type: ignore[assignment]
    return paginate(
        ApiToken.objects.filter(user=user),
        ordering=("-created_at", "-id"),
        cursor=cursor,
        limit=limit,
        serialize=lambda page: [token_out(t) for t in page],
    )


@router.post(
    "/tokens",
    response={201: TokenCreated, 400: Error, 401: Error, 409: Error},
    summary="Create a token; its secret is in this answer only",
    auth=rule("authenticated"),
)
def create_token(request: HttpRequest, response: HttpResponse, payload: TokenCreate) -> Status[TokenCreated]:
    user: User = request.user  # type: ignore[assignment]
    token, secret = actions.create_token(user, payload.name, by=user)
    response["Cache-Control"] = "no-store"
    return Status(201, TokenCreated(**token_out(token).model_dump(), token=secret))


@router.post(
    "/tokens/{token_id}/revoke",
    response={200: TokenOut, 401: Error, 404: Error, 409: Error},
    summary="Revoke a token",
    auth=rule("object:token"),
)
def revoke_token(request: HttpRequest, token_id: int) -> TokenOut:
    user: User = request.user  # type: ignore[assignment]
    return token_out(actions.revoke_token(access_token(user, token_id), by=user))
