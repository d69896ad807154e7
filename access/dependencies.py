"""FastAPI dependencies: who is calling, may they read this collection, what did they take."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Header, HTTPException, Path, Query, Request
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
    credential = bearer or x_api_key
    if credential is None and access_token is not None:
        if access_token.startswith(f"{KEY_PREFIX}_"):
            # A key in a URL ends up in logs, histories and referrers: tokens only.
            raise unauthorized(
                "API keys are not accepted in access_token: send the key as 'Authorization: "
                "Bearer' or X-API-Key, or exchange it for a token at POST /auth/token."
            )
        return await _token_principal(request, access_token)
    if credential is None:
        return None
    access = get_access(request)
    if credential.startswith(f"{KEY_PREFIX}_"):
        request.state.via = "key"
        principal = await access.principal_for_key(credential)
        if principal is None:
            raise unauthorized("API key unknown, expired or revoked.")
        if principal.key_id is not None:
            await access.note_key_use(principal.key_id)
        return principal
    if access.oidc is not None and looks_like_jwt(credential):
        principal = await access.principal_for_jwt(credential)
        if principal is None:
            raise unauthorized(
                "OpenID Connect token invalid or expired, or its e-mail is not a registered user."
            )
        request.state.via = "oidc"
        return principal
    return await _token_principal(request, credential)


async def _token_principal(request: Request, token: str) -> Principal:
    access = get_access(request)
    claims = verify_token(access.secret, token)
    principal = await access.principal_for_key_id(claims.key_id) if claims else None
    if claims is None or principal is None:
        raise unauthorized("access token invalid or expired: request a new one.")
    request.state.via = "token"
    request.state.token_scope = claims.collections
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(principal_dependency)]
# Ids in paths are the database's 64-bit keys: a larger number was its "out of range" (a 500).
EntityId = Annotated[int, Path(gt=0, lt=2**63, description="An entity's id.")]
UserId = Annotated[int, Path(gt=0, lt=2**63, description="A user's id.")]


async def authenticated(request: Request, principal: OptionalPrincipal) -> Principal:
    """A caller using their API key or an OpenID Connect login: access tokens only read pixels,
    they never act on an account."""
    if principal is None:
        raise unauthorized("authenticate with a DINAMIS API key.")
    if request.state.via == "token":
        raise unauthorized("this endpoint needs your API key, not an access token.")
    return principal


def require_active(principal: Principal) -> Principal:
    """``principal`` if their account is active: a pending or disabled user may neither obtain
    tokens, nor acknowledge licences, nor manage users."""
    if principal.user_status is not UserStatus.ACTIVE:
        raise HTTPException(403, f"your account is {principal.user_status.value}.")
    return principal


async def active(principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
    return require_active(principal)


async def key_authenticated(request: Request, principal: OptionalPrincipal) -> Principal:
    """A caller using their API key itself: tokens may not mint further tokens, or one leaked
    token could be renewed for ever."""
    if principal is None or request.state.via != "key":
        raise unauthorized("this endpoint needs your API key, not an access token.")
    return principal


async def require_admin(request: Request, principal: OptionalPrincipal) -> Principal:
    """An active admin: for catalogue writes (STAC transactions) and other operator routes."""
    if principal is None or request.state.via == "token":
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
        enforce(await decide(request, principal, collection_id))
        return principal

    return dependency


async def decide(request: Request, principal: Principal | None, collection_id: str) -> Decision:
    """The access decision for ``collection_id``, within the scope of the caller's token."""
    scope: frozenset[str] | None = getattr(request.state, "token_scope", None)
    if scope is not None and collection_id not in scope:
        return Decision(
            False,
            403,
            f"this access token was issued for {', '.join(sorted(scope)) or 'no collection'}, "
            f"not '{collection_id}': request one for it (POST /auth/token or GET /sign).",
        )
    return await get_access(request).decide(principal, collection_id)


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
            enforce(await decide(request, principal, collection_id))
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
