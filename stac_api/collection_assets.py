"""Collection assets kept beside the collection JSON (``collections/<id>.png``): their hrefs are
relative to that folder, as in a static catalogue, and the API serves them at a URL of its own.

Only browse images (``thumbnail``/``overview`` roles) are served, to everyone: STAC Browser and
portals show them before anyone signs in.
"""

import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from access.stac import is_public

router = APIRouter(tags=["Collections"])


def asset_href(api_url: str, collection_id: str, key: str) -> str:
    collection, asset = quote(collection_id, safe=""), quote(key, safe="")
    return f"{api_url.rstrip('/')}/collections/{collection}/assets/{asset}"


def _is_relative(href: str) -> bool:
    return not urlsplit(href).scheme and not href.startswith("/")


def present_collection(collection: dict[str, Any], api_url: str) -> dict[str, Any]:
    """The collection with its folder-relative asset hrefs made URLs of this API (in place)."""
    for key, asset in (collection.get("assets") or {}).items():
        if _is_relative(asset.get("href", "")):
            asset["href"] = asset_href(api_url, collection["id"], key)
    return collection


def _collection_file(folder: Path, collection_id: str) -> dict[str, Any] | None:
    for path in sorted(folder.glob("*.json")):
        document = json.loads(path.read_text())
        if document.get("id") == collection_id:
            return document
    return None


@router.get(
    "/collections/{collection_id}/assets/{asset}",
    summary="A collection's browse image (thumbnail, overview); public",
    response_class=FileResponse,
)
async def collection_asset(
    request: Request,
    collection_id: Annotated[str, PathParam(max_length=256)],
    asset: Annotated[str, PathParam(max_length=256)],
) -> FileResponse:
    folder: Path = request.app.state.settings.collections_dir.resolve()
    collection = _collection_file(folder, collection_id)
    if collection is None:
        raise HTTPException(404, f"no collection '{collection_id}' in the catalogue's folder.")
    entry = (collection.get("assets") or {}).get(asset)
    if entry is None or not is_public(entry) or not _is_relative(entry.get("href", "")):
        raise HTTPException(404, f"collection '{collection_id}' serves no asset '{asset}'.")
    path = (folder / entry["href"]).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        raise HTTPException(404, f"asset '{asset}' of '{collection_id}' is not on this server.")
    return FileResponse(path, media_type=entry.get("type"))
