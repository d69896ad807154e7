"""Links from catalogue items to the tiler, for the STAC API to add to every item it serves."""

from urllib.parse import quote, urljoin

TILE_MATRIX_SET = "WebMercatorQuad"


def public_tiler_url(tiler_url: str, api_url: str) -> str:
    """The tiler's URL as the API's client should use it: a path (`/raster`, when one proxy
    serves both) is on the origin the client reached the API at."""
    return urljoin(api_url.rstrip("/") + "/", tiler_url).rstrip("/")


def item_links(tiler_url: str, collection_id: str, item_id: str) -> list[dict[str, str | bool]]:
    """TileJSON, tiles, WMTS, preview and web map links of one item (as eoAPI's API adds them).

    ``tiler_url`` is the tiler's public URL. No rendering parameter is needed: the tiler
    renders an item with its default render when a request names none.
    """
    base = (
        f"{tiler_url.rstrip('/')}/collections/{quote(collection_id, safe='')}"
        f"/items/{quote(item_id, safe='')}"
    )
    return [
        {
            "rel": "tilesets-map",
            # 256-px PNG tiles, as XYZ clients assume (titiler's TileJSON would give 512 px,
            # and JPEG where the image needs no mask, without saying so).
            "href": f"{base}/{TILE_MATRIX_SET}/tilejson.json?tile_format=png&tilesize=256",
            "type": "application/json",
            "title": "TileJSON of the item (default rendering)",
        },
        {
            "rel": "xyz",
            "href": f"{base}/tiles/{TILE_MATRIX_SET}/{{z}}/{{x}}/{{y}}.png",
            "type": "image/png",
            "title": "XYZ tiles (template URL)",
            "templated": True,
        },
        {
            "rel": "wmts",
            "href": f"{base}/WMTSCapabilities.xml",
            "type": "application/xml",
            "title": "WMTS capabilities (QGIS, ArcGIS)",
        },
        {
            "rel": "preview",
            "href": f"{base}/preview.png",
            "type": "image/png",
            "title": "Preview image",
        },
        {
            "rel": "viewer",
            "href": f"{tiler_url.rstrip('/')}/viewer?{_viewer_query(collection_id, item_id)}",
            "type": "text/html",
            "title": "Web map",
        },
    ]


def _viewer_query(collection_id: str, item_id: str) -> str:
    return f"collection={quote(collection_id, safe='')}&item={quote(item_id, safe='')}"
