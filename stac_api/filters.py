"""Everything a search may filter with, turned into one CQL2-JSON filter for pgSTAC.

pgSTAC reads CQL2-JSON only, takes either `query` or `filter` but not both, knows only the
comparison operators of the Query extension, and its own free text skips ids and items without
a description. Clients send more than that (pystac-client posts CQL2 text; the Query extension
declares `in`, `startsWith`, `endsWith`, `contains`; free text should find an item by its id),
so the request is rewritten here into the CQL2-JSON pgSTAC reads, combined with `and`.
"""

import json
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any, Literal

from cql2 import Expr
from pydantic import AfterValidator, Field
from stac_fastapi.extensions.filter.request import FilterExtensionPostRequest
from stac_fastapi.extensions.query.request import QueryExtensionPostRequest

Cql2 = dict[str, Any]

# Item fields a free-text term is looked for in (as the free-text extension lists them).
FREE_TEXT_FIELDS = ("id", "title", "description", "keywords")


class Operator(StrEnum):
    """Every operator of the STAC API Query extension."""

    eq = "eq"
    neq = "neq"
    lt = "lt"
    lte = "lte"
    gt = "gt"
    gte = "gte"
    startsWith = "startsWith"  # noqa: N815 (the extension's own spelling)
    endsWith = "endsWith"  # noqa: N815
    contains = "contains"
    in_ = "in"


def _checked_query(query: dict[str, dict["Operator", Any]] | None) -> Any:
    for name, ops in (query or {}).items():
        for op, value in ops.items():
            if op is Operator.in_ and not (isinstance(value, list) and value):
                raise ValueError(f"query: '{name}' 'in' takes a list of one value or more.")
            if op in _TEXT_OPS and not isinstance(value, str):
                raise ValueError(f"query: '{name}' '{op.value}' takes a string.")
    return query


def _cql2_text_as_json(value: Cql2 | str | None) -> Cql2 | None:
    # A string is CQL2 text whatever filter-lang says (CQL2-JSON is an object). An object is
    # checked too: pgSTAC reads what is not an expression (say {"filter": -1}) as a literal and
    # fails with a database error instead of a refusal.
    if isinstance(value, str):
        return cql2_json(value)
    if value is not None:
        _checked(value, "CQL2-JSON")
    return value


# stac-fastapi builds its search models from the extensions' fields only (not their validators),
# so the checks live in the field types.
class QueryPostRequest(QueryExtensionPostRequest):
    """The Query extension's body, with only its operators accepted (a typo is a 400)."""

    query: Annotated[dict[str, dict[Operator, Any]] | None, AfterValidator(_checked_query)] = None


class FilterPostRequest(FilterExtensionPostRequest):
    """The Filter extension's body, accepting CQL2 text as GET does (read with the `cql2`
    library, the one stac-fastapi-pgstac itself uses for GET)."""

    filter_expr: Annotated[Cql2 | str | None, AfterValidator(_cql2_text_as_json)] = Field(
        None, alias="filter"
    )
    filter_lang: Literal["cql2-json", "cql2-text"] | None = Field("cql2-json", alias="filter-lang")


def _checked(value: str | Cql2, language: str) -> None:
    # Keyed by the text, or by the object with sorted keys (the same filter however sent).
    source = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    error = _cql2_error(source, isinstance(value, str))
    if error is not None:
        raise ValueError(f"filter: not valid {language}: {error}")


# Workaround (upstream: cql2's Python ``Expr.validate()`` compiles the CQL2 JSON schema on every
# call, ~20 ms of CPU, four times pgSTAC's own time for a filtered search of 1 M items): the
# verdict is kept per filter, which clients repeat on every page and every pan of a map.
@lru_cache(maxsize=256)
def _cql2_error(source: str, is_text: bool) -> str | None:
    """Why ``source`` (CQL2 text, or CQL2-JSON as JSON text) is no valid CQL2, or ``None``."""
    try:
        expression = Expr(source if is_text else json.loads(source))
        expression.validate()
    except Exception as error:  # cql2 raises bare Exceptions, with the parser's message
        return str(error)
    if _has_empty_list(expression.to_json()):
        # Valid CQL2, but pgSTAC writes it as SQL's "IN ()", a syntax error (a 500).
        return "'in' takes a list of one value or more"
    return None


def _has_empty_list(node: Any) -> bool:
    stack = [node]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            args = value.get("args")
            if value.get("op") == "in" and isinstance(args, list) and [] in args[1:]:
                return True
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def cql2_json(text: str) -> Cql2:
    _checked(text, "CQL2 text")
    return Expr(text).to_json()


def get_filter_args(text: str | None, language: str | None) -> dict[str, Any]:
    """A GET request's filter as pgSTAC takes it (CQL2 JSON), checked once per filter, or
    ``ValueError`` saying why not; nothing without a filter.

    Workaround (upstream: stac-fastapi-pgstac 7.2's ``clean_search_args`` validates a GET
    filter with cql2's uncached ``Expr.validate()`` on every request, 15-20 ms of CPU: a GET
    search with a filter took 30 ms where the same POST took 7): the filter arrives converted,
    and upstream finds none left to validate."""
    if not text:
        return {}
    if language == "cql2-text":
        return {"filter": cql2_json(text), "filter_lang": "cql2-json"}
    try:
        value = json.loads(text)
    except ValueError as error:
        raise ValueError(f"filter: not valid CQL2-JSON: {error}") from None
    _checked(value, "CQL2-JSON")
    return {"filter": value, "filter_lang": "cql2-json"}


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_TEXT_OPS = {
    Operator.startsWith: lambda v: f"{_like_escape(v)}%",
    Operator.endsWith: lambda v: f"%{_like_escape(v)}",
    Operator.contains: lambda v: f"%{_like_escape(v)}%",
}
_COMPARISONS = {
    Operator.eq: "=",
    Operator.neq: "<>",
    Operator.lt: "<",
    Operator.lte: "<=",
    Operator.gt: ">",
    Operator.gte: ">=",
    Operator.in_: "in",
}


def query_cql2(query: dict[str, dict[Operator, Any]]) -> list[Cql2]:
    """One CQL2 condition per (property, operator) of a Query-extension object."""
    conditions = []
    for name, ops in query.items():
        prop = {"property": name}
        for op, value in ops.items():
            op = Operator(op)
            if op in _TEXT_OPS:
                conditions.append({"op": "like", "args": [prop, _TEXT_OPS[op](value)]})
            else:
                conditions.append({"op": _COMPARISONS[op], "args": [prop, value]})
    return conditions


def free_text_cql2(terms: list[str]) -> Cql2 | None:
    """Items with any of ``terms`` (the basic free-text extension's comma-separated list) in
    their id, title, description or keywords, ignoring case."""
    terms = [term.strip() for term in terms if term.strip()]
    if not terms:
        return None
    return {
        "op": "or",
        "args": [
            {
                "op": "like",
                "args": [
                    {"op": "casei", "args": [{"property": field}]},
                    {"op": "casei", "args": [f"%{_like_escape(term)}%"]},
                ],
            }
            for term in terms
            for field in FREE_TEXT_FIELDS
        ],
    }


def as_one_filter(search: Any) -> None:
    """Moves ``query`` and ``q`` of a search request into its CQL2-JSON ``filter`` (in place)."""
    conditions = []
    if getattr(search, "filter_expr", None):  # CQL2-JSON by now, whatever filter-lang said
        conditions.append(search.filter_expr)
    if getattr(search, "query", None):
        conditions.extend(query_cql2(search.query))
        search.query = None
    if getattr(search, "q", None):
        conditions.append(free_text_cql2(search.q))
        search.q = None
    conditions = [c for c in conditions if c]
    search.filter_lang = "cql2-json"
    if conditions:
        search.filter_expr = (
            conditions[0] if len(conditions) == 1 else {"op": "and", "args": conditions}
        )
