"""Workaround (upstream: stac-fastapi-pgstac 7.2): the links of each item of a search page,
the same links stac-fastapi-pgstac makes, made for a fraction of the cost.

stac-fastapi-pgstac builds every item's links with ``ItemLinks``, whose ``create_links`` finds
its ``link_*`` methods with ``dir(self)`` on every item, whose base URL is worked out again for
every link, and whose hrefs are four ``urljoin`` calls per item (three of them the same for
every item of a page). Here the page's base URL is worked out once per request, the links
shared by a page's items are joined once, and an item's own link is joined only when its id
could change the join (a dot segment, a slash, a query or a fragment)."""

from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

import attr
import stac_fastapi.pgstac.core
from stac_fastapi.pgstac.models import links
from stac_fastapi.types.requests import get_base_url
from stac_pydantic.shared import MimeTypes
from starlette.requests import Request

# The collection, parent and root links of a page are the same for all its items.
_join = lru_cache(maxsize=1024)(urljoin)
# Where a request's base URL is kept once worked out (stac-fastapi's ``get_base_url``).
_BASE_URL = "dinamis.base_url"
_JOIN_SENSITIVE = frozenset("/?#")


def base_url(request: Request) -> str:
    """The API's base URL as stac-fastapi's links use it, worked out once per request."""
    scope = request.scope
    if _BASE_URL not in scope:
        scope[_BASE_URL] = get_base_url(request)
    return scope[_BASE_URL]


def _plain(segment: str) -> bool:
    """Whether ``segment`` appended to a URL path is what ``urljoin`` would make of it."""
    return segment not in ("", ".", "..") and _JOIN_SENSITIVE.isdisjoint(segment)


@attr.s
class ItemLinks(links.ItemLinks):
    async def get_links(self, extra_links: list[dict[str, Any]] | None = None) -> list[dict]:
        base = base_url(self.request)
        collection = _join(base, f"collections/{self.collection_id}")
        if _plain(self.collection_id) and _plain(self.item_id):
            own = f"{collection}/items/{self.item_id}"
        else:
            own = urljoin(base, f"collections/{self.collection_id}/items/{self.item_id}")
        # In the order of upstream's ``create_links`` (its methods' names, sorted).
        result = [
            {"rel": "collection", "type": MimeTypes.json.value, "href": collection},
            {"rel": "parent", "type": MimeTypes.json.value, "href": collection},
            {"rel": "root", "type": MimeTypes.json.value, "href": base},
            {"rel": "self", "type": MimeTypes.geojson.value, "href": own},
        ]
        if extra_links:
            # Stored links, relative ones resolved; those the server infers are its own.
            result += [
                {**link, "href": _join(base, link["href"])}
                for link in extra_links
                if link["rel"] not in links.INFERRED_LINK_RELS
            ]
        return result


def install() -> None:
    """Make stac-fastapi-pgstac's searches link their items with :class:`ItemLinks`."""
    stac_fastapi.pgstac.core.ItemLinks = ItemLinks  # type: ignore[misc]
