"""FastAPI dependencies: who is calling, may they read this collection, what did they take."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Header, HTTPException, Query, Request
from rasterio.crs import CRS
from rasterio.errors import CRSError

from access.models import DownloadEvent, EventKind, Principal, Role, UserStatus
from access.oidc import looks_like_jwt
from access.policy import Decision
from access.state import AccessState
from access.store import KEY_PREFIX
from access.tokens import verify_token
from dinamis.area import WGS84, bbox_area_km2

WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="DINAMIS"'}


def get_access(request: Request) -> AccessState:
    return request.app.state.access


def unauthorized(reason: str) -> HTTPException:
    return HTTPException(401, reason, headers=WWW_AUTHENTICATE)


async def principal_dependency(
    request: Request,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    x_api_key: Annotated[
        str | None, Header(alias="X-API-Key", description="A DINAMIS API key (dnm_...).")
    ] = None,
    access_token: Annotated[
        str | None,
        Query(description="A short-lived token from POST /auth/token or GET /sign."),
    ] = None,
) -> Principal | None:
    """The caller, or ``None`` when no credential was sent.

    A credential that was sent but is unknown, expired or revoked is refused (401) rather than
    ignored, so a client learns at once that its key no longer works. ``request.state.via``
    tells how the caller authenticated: "key", "token" or, when configured, "oidc" (an OpenID
    Connect access token as Bearer).
    """
    bearer = None
    if authorization:
        # Other schemes (Basic from a protecting proxy, say) are not ours to judge.
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            bearer = value.strip()
    credential = bearer or x_api_key or access_token
    if credential is None:
        return None
    access = get_access(request)
    if credential.startswith(f"{KEY_PREFIX}_"):
        request.state.via = "key"
        principal = await access.principal_for_key(credential)
        if principal is None:
            raise unauthorized("API key unknown, expired or revoked.")
        return principal
    if access.oidc is not None and looks_like_jwt(credential):
        principal = await access.principal_for_jwt(credential)
        if principal is None:
            raise unauthorized(
                "OpenID Connect token invalid or expired, or its e-mail is not a registered user."
            )
        request.state.via = "oidc"
        return principal
    key_id = verify_token(access.secret, credential)
    principal = await access.principal_for_key_id(key_id) if key_id is not None else None
    if principal is None:
        raise unauthorized("access token invalid or expired: request a new one.")
    request.state.via = "token"
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(principal_dependency)]


async def authenticated(principal: OptionalPrincipal) -> Principal:
    if principal is None:
        raise unauthorized("authenticate with a DINAMIS API key.")
    return principal


async def key_authenticated(request: Request, principal: OptionalPrincipal) -> Principal:
    """A caller using their API key itself: tokens may not mint further tokens, or one leaked
    token could be renewed for ever."""
    if principal is None or request.state.via != "key":
        raise unauthorized("this endpoint needs your API key, not an access token.")
    return principal


async def require_admin(principal: OptionalPrincipal) -> Principal:
    """An active admin: for catalogue writes (STAC transactions) and other operator routes."""
    if principal is None:
        raise unauthorized("catalogue changes need an admin's API key.")
    if principal.role is not Role.ADMIN or principal.user_status is not UserStatus.ACTIVE:
        raise HTTPException(403, "catalogue changes are reserved to DINAMIS admins.")
    return principal


def enforce(decision: Decision) -> None:
    """Raise the refusal as an HTTP error whose detail is the reason."""
    if not decision.allowed:
        headers = WWW_AUTHENTICATE if decision.status == 401 else None
        raise HTTPException(decision.status, decision.reason, headers=headers)


def require_collection_access(
    collection_param: str = "collection_id",
) -> Callable[..., Awaitable[Principal | None]]:
    """A dependency refusing (401/403, with the reason) callers who may not read the imagery of
    the collection named by the path or query parameter ``collection_param``."""

    async def dependency(request: Request, principal: OptionalPrincipal) -> Principal | None:
        collection_id = request.path_params.get(collection_param) or request.query_params.get(
            collection_param
        )
        if not collection_id:
            raise HTTPException(400, f"missing '{collection_param}'.")
        decision = await get_access(request).decide(principal, collection_id)
        enforce(decision)
        return principal

    return dependency


def require_search_access(
    search_param: str = "search_id",
) -> Callable[..., Awaitable[Principal | None]]:
    """As :func:`require_collection_access`, for titiler-pgstac's registered searches (mosaics),
    decided on every request: the caller must be allowed every collection the search may
    return. Only its ``collections`` limit what it returns; a search without them (limited by
    a CQL2 filter, ids or nothing) may return them all, licensed ones included.

    An unknown search is answered 404 here rather than left to the tiler: otherwise a search
    registered between this check and the tiler's own lookup would be served unchecked.
    """

    async def dependency(request: Request, principal: OptionalPrincipal) -> Principal | None:
        access = get_access(request)
        search_id = request.path_params[search_param]
        collections = await access.search_collections(search_id)
        if collections is None:
            raise HTTPException(404, f"no registered search '{search_id}'.")
        for collection_id in collections or sorted(await access.licences()):
            decision = await access.decide(principal, collection_id)
            enforce(decision)
        return principal

    return dependency


def _crop_area(request: Request) -> float | None:
    """The area of a titiler ``/bbox/{minx},{miny},{maxx},{maxy}`` crop, in its coord-crs."""
    params = request.path_params
    try:
        bounds = tuple(float(params[k]) for k in ("minx", "miny", "maxx", "maxy"))
    except (KeyError, ValueError):
        return None
    crs = request.query_params.get("coord_crs") or request.query_params.get("coord-crs")
    try:
        return bbox_area_km2(bounds, CRS.from_user_input(crs) if crs else WGS84)
    except CRSError:
        return None  # the tiler refuses the request itself; accounting must not fail it


def record_event(
    kind: EventKind = EventKind.CROP,
    collection_param: str = "collection_id",
    item_param: str = "item_id",
) -> Callable[..., Awaitable[None]]:
    """A dependency recording a usage event after the response is sent (never delaying it),
    and only when the endpoint succeeds: FastAPI drops the tasks of a failed request.

    For crops the area is taken from titiler's bbox path parameters when present.
    """

    async def dependency(
        request: Request, background: BackgroundTasks, principal: OptionalPrincipal
    ) -> None:
        event = DownloadEvent(
            collection=request.path_params.get(collection_param)
            or request.query_params.get(collection_param, ""),
            item=request.path_params.get(item_param) or request.query_params.get(item_param),
            kind=kind,
            user_id=principal.user_id if principal else None,
            entity_id=principal.entity_id if principal else None,
            area_km2=_crop_area(request) if kind is EventKind.CROP else None,
        )
        background.add_task(get_access(request).record, event)

    return dependency
