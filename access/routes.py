"""Endpoints of access control, mounted on the STAC API (and optionally the tiler)."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from access import store
from access.assets import asset_path
from access.dependencies import (
    EntityId,
    OptionalPrincipal,
    UserId,
    active,
    authenticated,
    decide,
    enforce,
    get_access,
    key_authenticated,
    require_active,
)
from access.metered import MeteredFileResponse
from access.models import DownloadEvent, EventKind, Principal, User
from access.stac import is_public
from access.state import AccessState
from access.tokens import issue_token
from access.urls import collection_of, origin, own_origins, with_token

router = APIRouter(tags=["Access"])

Access = Annotated[AccessState, Depends(get_access)]
Authenticated = Annotated[Principal, Depends(authenticated)]
KeyAuthenticated = Annotated[Principal, Depends(key_authenticated)]
Active = Annotated[Principal, Depends(active)]
# Bounds the size of a token (its scope travels in every URL it signs).
MAX_TOKEN_COLLECTIONS = 100


def _iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


@router.get("/auth/me", summary="Who the credentials belong to and what they may read")
async def me(principal: Authenticated, access: Access) -> dict[str, Any]:
    licences = await access.licences()
    collections = {}
    for collection_id in sorted(licences):
        decision = await access.decide(principal, collection_id)
        collections[collection_id] = {"allowed": decision.allowed, "reason": decision.reason}
    return {
        "user": {
            "id": principal.user_id,
            "email": principal.email,
            "role": principal.role,
            "status": principal.user_status,
        },
        "entity": {
            "id": principal.entity_id,
            "name": principal.entity_name,
            "category": principal.entity_category,
            "status": principal.entity_status,
            "membership_accepted": principal.membership_accepted,
        },
        "licensed_collections": collections,
    }


class TokenRequest(BaseModel):
    collections: list[str] | None = Field(
        default=None,
        max_length=MAX_TOKEN_COLLECTIONS,
        description="Collections whose pixels the token may read; by default every collection "
        "the caller may read now.",
    )


async def _scoped_token(
    request: Request, principal: Principal, access: AccessState, collections: list[str] | None
) -> tuple[str, int, list[str]]:
    """A token of ``principal``'s key for ``collections`` (each of which they must be allowed
    to read now), by default for every collection they may read; its expiry and scope."""
    require_active(principal)
    if collections is None:
        readable = []
        for collection_id in await access.run(store.collection_ids):
            if (await access.decide(principal, collection_id)).allowed:
                readable.append(collection_id)
        collections = readable[:MAX_TOKEN_COLLECTIONS]
    for collection_id in collections:
        enforce(await decide(request, principal, collection_id))
    assert principal.key_id is not None  # key_authenticated
    value, expires = issue_token(
        access.secret, principal.key_id, access.settings.token_ttl, collections
    )
    return value, expires, sorted(collections)


@router.post("/auth/token", summary="A short-lived access token, for web maps and GDAL URLs")
async def token(
    request: Request,
    principal: KeyAuthenticated,
    access: Access,
    wanted: Annotated[TokenRequest | None, Body()] = None,
) -> dict[str, Any]:
    collections = wanted.collections if wanted else None
    value, expires, scope = await _scoped_token(request, principal, access, collections)
    return {
        "access_token": value,
        "token_type": "Bearer",
        "expires_in": access.settings.token_ttl,
        "expires_at": _iso(expires),
        "collections": scope,
    }


@router.get("/sign", summary="An href of this service with a short-lived access token added")
async def sign(
    request: Request,
    principal: KeyAuthenticated,
    access: Access,
    href: Annotated[str, Query(description="URL of an asset, tile or download of DINAMIS.")],
) -> dict[str, Any]:
    # Only our own origins: a token appended to a third party's URL would leak to it.
    origins = {origin(o) for o in access.settings.sign_origins} | own_origins(request)
    if origin(href) not in origins:
        raise HTTPException(400, f"only URLs of {', '.join(sorted(origins))} can be signed.")
    collection_id = collection_of(href)
    if collection_id is None:
        raise HTTPException(
            400,
            "only URLs under /collections/{id}/ can be signed: a token reads one collection "
            "(POST /auth/token gives one for several).",
        )
    value, expires, _ = await _scoped_token(request, principal, access, [collection_id])
    return {"href": with_token(href, value), "expires_at": _iso(expires)}


@router.post("/auth/licences/{code}/acknowledge", summary="Acknowledge a licence as a user")
async def acknowledge(code: str, principal: Active, access: Access) -> dict[str, str]:
    try:
        await access.run(store.acknowledge_licence, principal.user_id, code)
    except store.NotFoundError as error:
        raise HTTPException(404, f"no licence '{code}'.") from error
    access.forget()
    return {"licence": code, "status": "acknowledged"}


@router.get("/entities/{entity_id}/users", summary="Users of an entity (its referent or admins)")
async def entity_users(
    entity_id: EntityId, principal: Authenticated, access: Access
) -> list[dict[str, Any]]:
    try:
        store.check_manages(require_active(principal), entity_id)
    except store.ForbiddenError as error:
        raise HTTPException(
            403, "only the entity's referent or an admin lists its users."
        ) from error
    users = await access.run(store.list_users, entity_id)
    return [_user_json(user) for user in users]


@router.post("/users/{user_id}/activate", summary="Activate a user (their referent or admins)")
async def activate_user(
    user_id: UserId, principal: Authenticated, access: Access
) -> dict[str, Any]:
    try:
        user = await access.run(store.activate_user, user_id, require_active(principal))
    except store.NotFoundError as error:
        raise HTTPException(404, f"no user {user_id}.") from error
    except store.ForbiddenError as error:
        raise HTTPException(
            403, "a referent can only activate users of their own entity."
        ) from error
    access.forget()
    return _user_json(user)


def _user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "entity_id": user.entity_id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "status": user.status,
    }


async def _asset_file(
    access: AccessState, collection_id: str, item_id: str, asset: str
) -> tuple[Path, str | None, bool]:
    """The asset's file, media type and whether it is public (a browse image)."""
    key = (collection_id, item_id, asset)
    cached = access.cached_asset(key)
    if cached and cached[0].is_file():  # a re-ingest may have replaced it meanwhile
        return cached
    item = await access.run(store.get_item, collection_id, item_id)
    if item is None:
        raise HTTPException(404, f"no item '{item_id}' in collection '{collection_id}'.")
    entry = item.get("assets", {}).get(asset)
    if entry is None:
        raise HTTPException(404, f"item '{item_id}' has no asset '{asset}'.")
    path = asset_path(entry["href"], collection_id, access.settings.storage_roots)
    if path is None:
        raise HTTPException(
            404, f"asset '{asset}' of '{item_id}' is not stored in its collection on this server."
        )
    found = (path, entry.get("type"), is_public(entry))
    access.remember_asset(key, found)
    return found


@router.api_route(
    "/collections/{collection_id}/items/{item_id}/assets/{asset}/download",
    methods=["GET", "HEAD"],
    summary="Download an asset (HTTP Range supported: GDAL /vsicurl/ reads COGs through it)",
    description="Thumbnails and overviews are public; other assets of licensed collections "
    "need credentials.",
    response_class=FileResponse,
)
async def download(
    request: Request,
    collection_id: str,
    item_id: str,
    asset: str,
    access: Access,
    principal: OptionalPrincipal,
) -> FileResponse:
    path, media_type, public = await _asset_file(access, collection_id, item_id, asset)
    licensed = not public and collection_id in await access.licences()
    if not public:
        enforce(await decide(request, principal, collection_id))

    async def record(sent: int) -> None:
        await access.record(
            DownloadEvent(
                collection=collection_id,
                item=item_id,
                asset=asset,
                kind=EventKind.DOWNLOAD,
                user_id=principal.user_id if principal else None,
                entity_id=principal.entity_id if principal else None,
                bytes=sent,
            )
        )

    # Recorded after the response, with the bytes it actually sent (ranges merged, clipped);
    # browse images are not downloads of imagery: only the others are recorded.
    return MeteredFileResponse(
        path,
        media_type=media_type,
        filename=path.name,
        # The file carries Last-Modified and ETag, from which a shared cache may keep it
        # without being told: then hand it to whoever asks the same URL, a signed one once
        # its token expired or its key was revoked included. Licensed files are for one caller.
        headers={"Cache-Control": "private"} if licensed else None,
        on_sent=record if request.method == "GET" and not public else None,
    )
