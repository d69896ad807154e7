"""How STAC items tell clients to authenticate: the STAC Authentication extension, and
public download URLs in place of the server's storage paths."""

import re
from collections.abc import Collection
from functools import lru_cache, partial
from typing import Any
from urllib.parse import quote

AUTH_EXTENSION = "https://stac-extensions.github.io/authentication/v1.1.0/schema.json"
# Browse images are public in every imagery catalogue, licensed collections included: only
# full-resolution pixels and files are licensed.
PUBLIC_ROLES = frozenset({"thumbnail", "overview"})


def is_public(asset: dict[str, Any]) -> bool:
    """Whether anyone may read ``asset`` (a STAC asset object), whatever its collection: a
    browse image, and nothing else. An asset that is also the data (``["data", "overview"]``,
    as some providers write the roles of a full-resolution image) is licensed."""
    roles = set(asset.get("roles") or ())
    return bool(PUBLIC_ROLES & roles) and "data" not in roles


# The write routes of stac-fastapi's transaction extensions, for ``StacApi.add_route_dependencies``.
TRANSACTION_SCOPES = [
    {"path": "/collections", "method": "POST"},
    *(
        {"path": "/collections/{collection_id}", "method": method}
        for method in ("PUT", "PATCH", "DELETE")
    ),
    {"path": "/collections/{collection_id}/items", "method": "POST"},
    {"path": "/collections/{collection_id}/bulk_items", "method": "POST"},
    *(
        {"path": "/collections/{collection_id}/items/{item_id}", "method": method}
        for method in ("PUT", "PATCH", "DELETE")
    ),
]


def auth_schemes(api_url: str) -> dict[str, dict[str, Any]]:
    api_url = api_url.rstrip("/")
    return {
        "dinamis-key": {
            "type": "http",
            "scheme": "bearer",
            "description": "DINAMIS API key (dnm_...) as 'Authorization: Bearer <key>' "
            "(or in an X-API-Key header).",
        },
        "dinamis-token": {
            "type": "apiKey",
            "in": "query",
            "name": "access_token",
            "description": f"Short-lived token from POST {api_url}/auth/token.",
        },
        "dinamis-signed-url": {
            "type": "signedUrl",
            "description": "The href with a short-lived access_token, for clients that cannot "
            "send headers (pystac-client: access.client.sign_modifier).",
            # Authentication extension v1.1.0: the request that signs lives in a flow.
            "flows": {
                "signedUrl": {
                    "method": "GET",
                    "authorizationApi": f"{api_url}/sign",
                    "parameters": {
                        "href": {
                            "in": "query",
                            "required": True,
                            "description": "The asset href to sign.",
                            "schema": {"type": "string"},
                        }
                    },
                    "responseField": "href",
                }
            },
        },
    }


def auth_fields(collection_id: str, api_url: str, licensed: Collection[str]) -> dict[str, Any]:
    """``auth:schemes`` (for item properties) and ``auth:refs`` (for each served asset) of an
    item of ``collection_id``; empty for an open collection, whose assets need no credential.

    ``licensed`` is the set of licensed collection ids (``AccessState.licences()`` keys).
    """
    if collection_id not in licensed:
        return {}
    schemes = auth_schemes(api_url)
    return {"auth:schemes": schemes, "auth:refs": list(schemes)}


# A scheme as urlsplit finds one (RFC 3986: a letter, then letters, digits, "+", "-", "."),
# without splitting the whole href of every asset of every item of a page.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_quoted = lru_cache(maxsize=4096)(partial(quote, safe=""))


def is_stored(href: str) -> bool:
    """Whether ``href`` is a path this server stores (no scheme, or ``file:``) rather than a
    public URL (a provider's quicklook, say)."""
    scheme = _SCHEME.match(href)
    return scheme is None or scheme.group().lower() == "file:"


class Presenter:
    """Items as the public sees them, for one answer: the API's URL, the licensed collections
    and the authentication fields are worked out once for all its items.

    Items of one answer share the (read-only) authentication fields of their collection.
    """

    def __init__(self, api_url: str, licensed: Collection[str]) -> None:
        self.api_url = api_url.rstrip("/")
        self.licensed = licensed
        self._auth: dict[str, dict[str, Any]] = {}

    def _assets_url(self, collection_id: str, item_id: str) -> str:
        collection, item = _quoted(collection_id), quote(item_id, safe="")
        return f"{self.api_url}/collections/{collection}/items/{item}/assets/"

    def _auth_fields(self, collection_id: str) -> dict[str, Any]:
        if collection_id not in self._auth:
            self._auth[collection_id] = auth_fields(collection_id, self.api_url, self.licensed)
        return self._auth[collection_id]

    def present(self, item: dict[str, Any]) -> dict[str, Any]:
        """``item`` as the public sees it (modified in place and returned): assets stored on
        this server point at the download endpoint, and licensed ones (not the browse images)
        carry ``auth:refs``."""
        collection_id, item_id = item.get("collection"), item.get("id")
        if not collection_id or not item_id:  # the fields extension may leave them out
            return item
        fields = self._auth_fields(collection_id)
        assets_url = None
        for key, asset in item.get("assets", {}).items():
            if not is_stored(asset.get("href", "")):
                continue  # already a public URL (e.g. a provider's quicklook)
            assets_url = assets_url or self._assets_url(collection_id, item_id)
            asset["href"] = f"{assets_url}{_quoted(key)}/download"
            if fields and not is_public(asset):
                asset["auth:refs"] = fields["auth:refs"]
        if fields:
            item.setdefault("properties", {})["auth:schemes"] = fields["auth:schemes"]
            extensions = item.setdefault("stac_extensions", [])
            if AUTH_EXTENSION not in extensions:
                extensions.append(AUTH_EXTENSION)
        return item


def present_item(item: dict[str, Any], api_url: str, licensed: Collection[str]) -> dict[str, Any]:
    """One item as the public sees it (see :meth:`Presenter.present`)."""
    return Presenter(api_url, licensed).present(item)
