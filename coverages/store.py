"""Reading and writing the ``dinamis_coverages`` schema, and asking pgSTAC for a coverage's
items. Every function takes an open connection and leaves the transaction to the caller."""

import hashlib
import json
from typing import Any

import cql2
import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from coverages.models import ID_PATTERN, Coverage, Pyramid


class CoverageError(ValueError):
    """A coverage that cannot be declared or built as asked (the message says why)."""


class NotFoundError(LookupError):
    pass


def year_search(collection: str, year: int) -> dict[str, Any]:
    """The items of ``collection`` acquired during ``year`` (UTC)."""
    if not 1970 <= year <= 2100:
        raise CoverageError(f"year {year} is out of range: from 1970 to 2100")
    return {
        "collections": [collection],
        "datetime": f"{year}-01-01T00:00:00Z/{year}-12-31T23:59:59.999Z",
    }


def filter_search(collections: list[str], cql2_filter: str) -> dict[str, Any]:
    """The items of ``collections`` (any when empty) matching a CQL2 filter, text or JSON."""
    try:
        text = cql2_filter.strip()
        expression = cql2.Expr(json.loads(text)) if text.startswith("{") else cql2.parse_text(text)
        expression.validate()
    except (ValueError, cql2.ValidationError, cql2.ParseError) as error:
        raise CoverageError(f"the CQL2 filter is not valid: {error}") from error
    search: dict[str, Any] = {"filter": expression.to_json(), "filter-lang": "cql2-json"}
    if collections:
        search["collections"] = collections
    return search


def saved_search(conn: psycopg.Connection, search_hash: str) -> dict[str, Any]:
    """The body of a search registered in pgSTAC (titiler-pgstac's ``/searches/register``)."""
    row = conn.execute("SELECT search FROM pgstac.searches WHERE hash = %s", (search_hash,))
    found = row.fetchone()
    if found is None:
        raise CoverageError(f"no registered search '{search_hash}'")
    return found[0]


def _in_pgstac(conn: psycopg.Connection) -> None:
    # pgSTAC's functions find their tables on the search path.
    conn.execute("SELECT set_config('search_path', 'pgstac, public', false)")


def _register(conn: psycopg.Connection, search: dict[str, Any], title: str) -> str:
    """Register ``search`` with pgSTAC (as titiler-pgstac does), refused when pgSTAC cannot turn
    it into a query; its hash."""
    _in_pgstac(conn)
    try:
        with conn.transaction():
            row = conn.execute(
                "SELECT hash FROM pgstac.search_query(%s::jsonb, _metadata => %s::jsonb)",
                (Jsonb(search), Jsonb({"name": title})),
            ).fetchone()
    except psycopg.Error as error:
        reason = error.diag.message_primary or type(error).__name__
        raise CoverageError(f"search refused by the catalogue: {reason}") from error
    assert row is not None
    return row[0]


def declare(
    conn: psycopg.Connection,
    coverage_id: str,
    title: str,
    search: dict[str, Any],
    asset: str = "data",
) -> Coverage:
    """Declare (or redefine: its pyramid is then out of date) the coverage ``coverage_id``."""
    if not ID_PATTERN.match(coverage_id):
        raise CoverageError(
            f"coverage id '{coverage_id}': lower-case letters, digits, '.', '_' and '-', "
            "starting with a letter or digit, at most 100 characters (e.g. spot-6-7-2020)"
        )
    if not 1 <= len(title) <= 200:
        raise CoverageError("a coverage title has 1 to 200 characters")
    collections = search.get("collections") or []
    known = {r[0] for r in conn.execute("SELECT id FROM pgstac.collections")}
    if unknown := sorted(set(collections) - known):
        raise CoverageError(f"unknown collection(s): {', '.join(unknown)}")
    search_hash = _register(conn, search, title)
    conn.execute(
        "INSERT INTO dinamis_coverages.coverage (id, title, search, search_hash, collections,"
        " asset) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET"
        " title = excluded.title, search = excluded.search, search_hash = excluded.search_hash,"
        " collections = excluded.collections, asset = excluded.asset",
        (coverage_id, title, Jsonb(search), search_hash, collections, asset),
    )
    return get(conn, coverage_id)


def find(conn: psycopg.Connection, coverage_id: str) -> Coverage | None:
    with conn.cursor(row_factory=dict_row) as cursor:
        row = cursor.execute(
            "SELECT * FROM dinamis_coverages.coverage WHERE id = %s", (coverage_id,)
        ).fetchone()
    return Coverage.from_row(row) if row else None


def get(conn: psycopg.Connection, coverage_id: str) -> Coverage:
    coverage = find(conn, coverage_id)
    if coverage is None:
        raise NotFoundError(f"no coverage '{coverage_id}' (see `dinamis coverage list`)")
    return coverage


def list_all(conn: psycopg.Connection) -> list[Coverage]:
    with conn.cursor(row_factory=dict_row) as cursor:
        rows = cursor.execute("SELECT * FROM dinamis_coverages.coverage ORDER BY id").fetchall()
    return [Coverage.from_row(row) for row in rows]


def drop(conn: psycopg.Connection, coverage_id: str) -> Coverage:
    """Forget the coverage; the caller removes its pyramid file once this is committed."""
    coverage = get(conn, coverage_id)
    conn.execute("DELETE FROM dinamis_coverages.coverage WHERE id = %s", (coverage_id,))
    return coverage


def record_pyramid(conn: psycopg.Connection, coverage_id: str, pyramid: Pyramid) -> None:
    conn.execute(
        "UPDATE dinamis_coverages.coverage SET pyramid_path = %s, pyramid_zoom = %s,"
        " pyramid_bounds = %s, fingerprint = %s, item_count = %s, built_at = %s,"
        " build_seconds = %s WHERE id = %s",
        (
            pyramid.path,
            pyramid.zoom,
            list(pyramid.bounds),
            pyramid.fingerprint,
            pyramid.item_count,
            pyramid.built_at,
            pyramid.build_seconds,
            coverage_id,
        ),
    )


def items(conn: psycopg.Connection, coverage: Coverage, max_items: int) -> list[dict[str, Any]]:
    """The coverage's items in the order its mosaic draws them (pgSTAC's, newest first),
    refused past ``max_items``."""
    body = {**coverage.search, "limit": max_items + 1}
    _in_pgstac(conn)
    row = conn.execute("SELECT pgstac.search(%s::jsonb)", (Jsonb(body),)).fetchone()
    features = (row[0] if row else {}).get("features") or []
    if len(features) > max_items:
        raise CoverageError(
            f"coverage '{coverage.id}' has more than {max_items:,} items, the limit of one "
            "coverage (DINAMIS_COVERAGES_MAX_ITEMS): narrow its search"
        )
    return features


def fingerprint(features: list[dict[str, Any]]) -> str:
    """A content hash of the items: changes when one is added, removed or edited."""
    digest = hashlib.sha256()
    for feature in features:
        digest.update(json.dumps(feature, sort_keys=True, default=str).encode())
    return digest.hexdigest()
