"""Bounds on what one search may ask of the server, checked before anything parses it.

A CQL2 text filter of a few hundred ``NOT`` took gigabytes in the CQL2 parser, and a page of
ten thousand items seconds and tens of megabytes: so the size, depth and number of terms of
every filter (query string or JSON body, text or JSON), the body itself and the page ``limit``
are bounded here, as an ASGI middleware in front of stac-fastapi, which answers 400 naming the
limit instead; so is the cost of validating a filter (:mod:`dinamis.cql2_guard`). The same
middleware refuses what PostgreSQL cannot hold (NUL characters) and search bodies that are not
JSON objects, which stac-fastapi turned into 500s.
"""

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import anyio
import anyio.to_thread
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dinamis.asgi import (
    NotANumberError,
    NotUnicodeError,
    buffered_body,
    loads_finite,
    positions,
    replaying,
)
from dinamis.cql2_guard import Cql2Guard, WouldWaitError, waiting_allowed


class SearchLimits(BaseSettings):
    """Read from ``DINAMIS_SEARCH_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="DINAMIS_SEARCH_", env_file=".env", extra="ignore")

    max_limit: int = Field(default=1000, gt=0)
    """Most items (or collections) one page may hold: a larger ``limit`` is a 400."""
    max_filter_chars: int = Field(default=20_000, gt=0)
    """Longest filter, in characters (CQL2 text, or CQL2 JSON as sent)."""
    max_filter_depth: int = Field(default=10, gt=0)
    """Deepest nesting of a filter's logical operators (each NOT and each bracket counts)."""
    max_filter_terms: int = Field(default=200, gt=0)
    """Most operators (comparisons, AND/OR/NOT, functions) one filter may hold."""
    max_body_bytes: int = Field(default=1_000_000, gt=0)
    """Largest JSON body of a search (an ``intersects`` polygon included)."""
    max_json_depth: int = Field(default=32, gt=0)
    """Deepest nesting of arrays and objects in a search body."""
    max_filter_check_seconds: float = Field(default=1.0, gt=0)
    max_filter_check_mb: int = Field(default=256, gt=128)
    """Time and address space cql2 may take to validate a filter, in a worker process: past
    them the filter is refused (its validation grows exponentially on ill-typed filters)."""
    max_positions: int = Field(default=10_000, gt=0)
    """Most positions of an ``intersects`` geometry: PostGIS's cost grows faster than their
    number (a self-intersecting ring of 40,000 took 13 s, of 10,000 under one)."""


class BadRequestError(ValueError):
    """The request cannot be served as sent; the message says why."""


class LimitExceededError(BadRequestError):
    """The request asks more than a limit allows; the message names the limit."""


class NotJsonError(BadRequestError):
    """A search body sent as another media type than JSON (415)."""


# String literals ('it''s') and double-quoted identifiers hide words and brackets.
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")
_TOKEN = re.compile(r"[()]|[A-Za-z_][A-Za-z0-9_:.]*|<>|<=|>=|[=<>]")
_LOGICAL = {"AND", "OR"}
_COMPARISONS = {"=", "<>", "<", ">", "<=", ">=", "LIKE", "BETWEEN", "IN", "IS"}


@dataclass(frozen=True)
class Shape:
    chars: int
    depth: int
    terms: int


def text_shape(text: str) -> Shape:
    """Size, logical depth and operator count of a CQL2 text filter, without parsing it.

    Depth counts open brackets plus the ``NOT`` still waiting for their operand (``NOT NOT
    NOT a`` is 3 deep), an upper bound of the parse tree's depth.
    """
    stripped = _QUOTED.sub("''", text)
    nots = [0]  # NOTs pending at each bracket level
    depth = terms = 0
    for token in _TOKEN.findall(stripped):
        word = token.upper()
        if word == "NOT":
            nots[-1] += 1
            terms += 1
        elif token == "(":
            nots.append(0)
        elif token == ")":
            if len(nots) > 1:
                nots.pop()
            nots[-1] = 0
        elif word in _LOGICAL:
            nots[-1] = 0
            terms += 1
        elif word in _COMPARISONS:
            terms += 1
        depth = max(depth, len(nots) - 1 + sum(nots))
    # Function calls (S_INTERSECTS(...), CASEI(...)) are brackets preceded by a name.
    terms += len(re.findall(r"[A-Za-z_]\s*\(", stripped))
    return Shape(len(text), depth, terms)


def _operators(node: Any, depth: int = 1) -> Iterator[int]:
    """The depth of each ``{"op": ...}`` node of a CQL2 JSON filter (bounded input only)."""
    stack = [(node, depth)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            if "op" in value:
                yield level
                level += 1
            stack.extend((child, level) for child in value.values())
        elif isinstance(value, list):
            stack.extend((child, level) for child in value)


def json_shape(value: Any, chars: int | None = None) -> Shape:
    depths = list(_operators(value))
    size = chars if chars is not None else len(json.dumps(value))
    return Shape(size, max(depths, default=0), len(depths))


logger = logging.getLogger(__name__)
_guards: dict[tuple[float, int], Cql2Guard] = {}
# Threads checking requests with a new filter at once: each waits for the one worker in turn.
FILTER_CHECKS_AT_ONCE = 4


def check_validation_cost(source: str, is_json: bool, limits: SearchLimits) -> None:
    """Refuse a filter whose validation by cql2 would take more than the limits allow."""
    key = (limits.max_filter_check_seconds, limits.max_filter_check_mb)
    # A guard (a worker, a cache of verdicts) is made once per pair of limits, not per call.
    guard = _guards.get(key) or _guards.setdefault(key, Cql2Guard(*key))
    if not guard.within_limits(source, is_json):
        logger.warning("filter refused, its validation past the limits: %.200s", source)
        raise LimitExceededError(
            f"filter cannot be validated within {limits.max_filter_check_seconds:g} s and "
            f"{limits.max_filter_check_mb} MB (max_filter_check_seconds, max_filter_check_mb): "
            "check the kinds of its operands (numbers for arithmetic, text for LIKE...)."
        )


def check_shape(shape: Shape, limits: SearchLimits) -> None:
    if shape.chars > limits.max_filter_chars:
        raise LimitExceededError(
            f"filter is {shape.chars} characters long; the limit (max_filter_chars) is "
            f"{limits.max_filter_chars}."
        )
    if shape.depth > limits.max_filter_depth:
        raise LimitExceededError(
            f"filter nests {shape.depth} levels deep; the limit (max_filter_depth) is "
            f"{limits.max_filter_depth}."
        )
    if shape.terms > limits.max_filter_terms:
        raise LimitExceededError(
            f"filter has {shape.terms} operators; the limit (max_filter_terms) is "
            f"{limits.max_filter_terms}."
        )


def json_depth(raw: bytes) -> int:
    """Nesting depth of arrays and objects in a JSON document, counted without parsing it (a
    parser would recurse as deep as the document asks)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def over_limit(value: Any, limits: SearchLimits) -> bool:
    """Whether a page ``limit`` asks more than ``max_limit``: such a page is served at the
    maximum, as OGC API Features says, and the answer's ``Limit-Applied`` header says so."""
    try:
        return int(value) > limits.max_limit
    except (TypeError, ValueError):
        return False  # not a number: stac-fastapi's own validation names it


# Query parameters stac-fastapi-pgstac decodes as JSON without catching a failure.
JSON_PARAMETERS = ("query", "intersects")


def check_query(query_string: str, limits: SearchLimits) -> str | None:
    """Refuse a query string past the limits; the same with ``limit`` lowered to the maximum
    when it asked more, else ``None``."""
    params = parse_qsl(query_string, keep_blank_values=True)
    lang = next((v for k, v in params if k in ("filter-lang", "filter_lang")), None)
    clamped = False
    for key, value in params:
        if key == "limit":
            clamped = clamped or over_limit(value, limits)
        elif key in JSON_PARAMETERS and value:
            parsed = check_json_text(value.encode(), limits, key)
            if not isinstance(parsed, dict):
                raise BadRequestError(f"'{key}' must be a JSON object, as sent: {value[:100]!r}.")
            if key == "intersects":
                check_positions(parsed, limits)
        elif key == "filter":
            check_filter_param(value, lang, limits)
    if not clamped:
        return None
    return urlencode([(k, str(limits.max_limit) if k == "limit" else v) for k, v in params])


def check_filter_param(value: str, lang: str | None, limits: SearchLimits) -> None:
    """A filter of a query string: its shape, then what validating it costs."""
    if len(value) > limits.max_filter_chars:
        check_shape(Shape(len(value), 0, 0), limits)
    is_json = lang == "cql2-json" or value.lstrip().startswith(("{", "["))
    if is_json:
        check_json_text(value.encode(), limits, "filter")
    else:
        check_shape(text_shape(value), limits)
    check_validation_cost(value, is_json, limits)


def check_query_filters(query_string: str, limits: SearchLimits) -> None:
    """The filters of a query string alone (an app checking the rest itself)."""
    if b"filter" not in query_string.encode("latin-1"):
        return
    params = parse_qsl(query_string, keep_blank_values=True)
    lang = next((v for k, v in params if k in ("filter-lang", "filter_lang")), None)
    for key, value in params:
        if key == "filter" and value:
            check_filter_param(value, lang, limits)


def check_json_text(raw: bytes, limits: SearchLimits, what: str) -> Any:
    """``raw`` parsed, once its nesting is known to be bounded; a filter's shape checked."""
    depth = json_depth(raw)
    if depth > limits.max_json_depth:
        raise LimitExceededError(
            f"{what} nests {depth} levels deep; the limit (max_json_depth) is "
            f"{limits.max_json_depth}."
        )
    try:
        value = loads_finite(raw)
    except NotANumberError as error:
        raise BadRequestError(
            f"{error}: bbox, coordinates and every other number must be finite, within a "
            "double's range (integers within 64 bits)."
        ) from error
    except NotUnicodeError as error:
        raise BadRequestError(f"{what}: {error}.") from error
    except ValueError:
        return None  # malformed: the API's own parser says where
    if what == "filter":
        check_shape(json_shape(value, len(raw)), limits)
    return value


def check_positions(geometry: Any, limits: SearchLimits) -> None:
    count = positions(geometry)
    if count > limits.max_positions:
        raise LimitExceededError(
            f"intersects has {count:,} positions; the limit (max_positions) is "
            f"{limits.max_positions:,}: simplify the geometry."
        )


def check_nul(scope: Scope) -> None:
    """PostgreSQL text cannot hold NUL: refused here rather than failing in the database."""
    path: str = scope["path"]
    if "\x00" in path:
        raise BadRequestError("NUL character (\\0) in the path.")
    if b"%00" in scope.get("query_string", b"") or b"\x00" in scope.get("query_string", b""):
        raise BadRequestError("NUL character (%00) in the query string.")


def check_media_type(scope: Scope) -> None:
    """A search body is JSON: FastAPI hands any other media type (or none, its content types
    being strict) to the request model as bytes, which stac-pydantic's validators then failed
    on (a 500)."""
    media_type = Headers(scope=scope).get("content-type", "").split(";")[0].strip().lower()
    if not (media_type == "application/json" or media_type.endswith("+json")):
        raise NotJsonError(
            "the body of a search is JSON: send it with Content-Type: application/json, not "
            f"{repr(media_type) if media_type else 'without a Content-Type'}."
        )


def check_body(raw: bytes, limits: SearchLimits) -> bytes | None:
    """Refuse a search body past the limits; the same with ``limit`` lowered to the maximum
    when it asked more, else ``None``."""
    if len(raw) > limits.max_body_bytes:
        raise LimitExceededError(
            f"the body is {len(raw)} bytes; the limit (max_body_bytes) is {limits.max_body_bytes}."
        )
    if b"\\u0000" in raw or b"\x00" in raw:
        raise BadRequestError("NUL character (\\u0000) in the body.")
    body = check_json_text(raw, limits, "the body")
    if body is None and raw.strip() not in (b"", b"null"):
        return None  # malformed JSON: the API's own parser says where
    if not isinstance(body, dict):
        raise BadRequestError(
            f"the body of a search must be a JSON object, not {type(body).__name__!r}."
        )
    if "fields" in body and not isinstance(body["fields"], dict):
        raise BadRequestError(
            "'fields' must be a JSON object with 'include' and 'exclude' lists, not "
            f"{json.dumps(body['fields'])[:100]}."
        )
    if "intersects" in body:
        check_positions(body["intersects"], limits)
    search_filter = body.get("filter")
    if isinstance(search_filter, str):  # CQL2 text in a JSON body
        check_shape(text_shape(search_filter), limits)
        check_validation_cost(search_filter, False, limits)
    elif search_filter is not None:
        check_shape(json_shape(search_filter), limits)
        check_validation_cost(json.dumps(search_filter), True, limits)
    if not over_limit(body.get("limit"), limits):
        return None
    return json.dumps({**body, "limit": limits.max_limit}).encode()


# POSTs whose body is a search: the STAC API's /search and the searches of extensions
# (aggregate); the tiler's registration of a mosaic's search.
SEARCH_PATHS = ("/search", "/aggregate", "/searches/register")


class SearchLimitsMiddleware:
    """Refuses (400, naming the limit) a search whose query string or body exceeds ``limits``,
    before the application reads it: in front of the STAC API and of the tiler, whose mosaic
    searches pgSTAC runs the same way."""

    def __init__(
        self,
        app: ASGIApp,
        limits: SearchLimits,
        search_paths: tuple[str, ...] = SEARCH_PATHS,
        bodies_only: bool = False,
        message_key: str = "description",
    ) -> None:
        """``bodies_only``: check search bodies alone (the tiler checks its query strings
        itself); ``message_key``: where the app's own errors put their message."""
        self.app = app
        self.limits = limits
        self.search_paths = search_paths
        self.bodies_only = bodies_only
        self.message_key = message_key
        self._validating: anyio.CapacityLimiter | None = None

    def _check(
        self, scope: Scope, query_string: str, raw: bytes | None
    ) -> tuple[str | None, bytes | None]:
        """The query string and body checked: each as lowered to the maximum ``limit``, or
        ``None`` when unchanged."""
        query = None
        if self.bodies_only:
            check_query_filters(query_string, self.limits)
        else:
            check_nul(scope)
            query = check_query(query_string, self.limits)
        return query, check_body(raw, self.limits) if raw is not None else None

    def _check_waiting(
        self, scope: Scope, query_string: str, raw: bytes | None
    ) -> tuple[str | None, bytes | None]:
        with waiting_allowed():
            return self._check(scope, query_string, raw)

    async def _checked(
        self, scope: Scope, query_string: str, raw: bytes | None
    ) -> tuple[str | None, bytes | None]:
        """:meth:`_check`, in the event loop while every filter's verdict is known; else again
        in a thread, since a new filter waits for cql2's worker process, up to
        ``max_filter_check_seconds``, and the other requests must not wait with it. The
        waiting for a thread happens in the loop, not in the threads other requests need: a
        few new filters are checked at once, the rest queue."""
        try:
            return self._check(scope, query_string, raw)
        except WouldWaitError:
            pass
        if self._validating is None:  # made in the loop that uses it
            self._validating = anyio.CapacityLimiter(FILTER_CHECKS_AT_ONCE)
        return await anyio.to_thread.run_sync(
            self._check_waiting, scope, query_string, raw, limiter=self._validating
        )

    def _is_search_body(self, scope: Scope) -> bool:
        path: str = scope["path"]
        return scope["method"] == "POST" and path.rstrip("/").endswith(self.search_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            query_string = scope.get("query_string", b"").decode("latin-1")
            raw = None
            if self._is_search_body(scope):
                check_media_type(scope)
                raw, _ = await buffered_body(receive, self.limits.max_body_bytes)
            query, lowered = await self._checked(scope, query_string, raw)
            if query is not None:
                scope = {**scope, "query_string": query.encode("latin-1")}
            if raw is not None:
                receive = replaying(lowered if lowered is not None else raw, receive)
            clamped = query is not None or lowered is not None
        except BadRequestError as error:
            code = "LimitExceeded" if isinstance(error, LimitExceededError) else "BadRequest"
            status = 415 if isinstance(error, NotJsonError) else 400
            response = JSONResponse({"code": code, self.message_key: str(error)}, status)
            await response(scope, receive, send)
            return
        if clamped:
            send = _saying_limit_applied(send, self.limits.max_limit)
        await self.app(scope, receive, send)


def _saying_limit_applied(send: Send, limit: int) -> Send:
    async def send_with_header(message: Message) -> None:
        if message["type"] == "http.response.start":
            MutableHeaders(scope=message)["Limit-Applied"] = (
                f"{limit}; the page limit asked for was over the maximum (max_limit)"
            )
        await send(message)

    return send_with_header
