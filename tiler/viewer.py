"""The web map: a static page that searches the STAC API and shows items through the tiler.

Everything the page loads is served from ``tiler/static`` (MapLibre GL JS, the country outlines
and the page's own script are vendored there), so it works offline. The page learns where the
STAC API and the tiler are from a JSON block injected into its HTML.
"""

import json
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from access.urls import origin

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATE = STATIC_DIR / "viewer.html"
CONFIG_PLACEHOLDER = "{{ config }}"
STATIC_PATH = "/viewer/static"


def viewer_config(stac_api_url: str, tiler_url: str = "", max_crop_km2: float | None = None) -> str:
    """The page's configuration as JSON safe inside a ``<script>`` element.

    An empty ``tiler_url`` means "the server that serves the page": the page resolves it
    against its own address, which keeps working behind a reverse proxy with a path prefix.
    """
    config = {
        "stacApiUrl": stac_api_url.rstrip("/"),
        "tilerUrl": tiler_url.rstrip("/"),
        "maxCropKm2": max_crop_km2,
    }
    text = json.dumps(config)
    # Neither "</script>" nor an HTML comment opener can end or confuse the element.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_viewer(stac_api_url: str, tiler_url: str = "", max_crop_km2: float | None = None) -> str:
    return TEMPLATE.read_text(encoding="utf-8").replace(
        CONFIG_PLACEHOLDER, viewer_config(stac_api_url, tiler_url, max_crop_km2)
    )


def security_headers(stac_api_url: str, tiler_url: str = "") -> dict[str, str]:
    """The page may run only its own files, talk only to the STAC API and the tiler, draw map
    tiles and MapLibre's workers, and be framed by nobody (clickjacking). No referrer leaves
    it: tile and download URLs may carry an access token."""
    origins = " ".join(sorted({origin(url) for url in (stac_api_url, tiler_url) if url}))
    policy = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": f"'self' data: blob: {origins}",
        "connect-src": f"'self' {origins}",
        "worker-src": "'self' blob:",
        "child-src": "blob:",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return {
        "Content-Security-Policy": "; ".join(f"{k} {v}".strip() for k, v in policy.items()),
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
    }


def add_viewer(
    app: FastAPI, stac_api_url: str, tiler_url: str = "", max_crop_km2: float | None = None
) -> None:
    """Serve the web map at ``GET /viewer`` and its files under ``/viewer/static`` on ``app``.

    ``max_crop_km2`` lets the page say when the view is too large to clip, before a download.
    """
    html = render_viewer(stac_api_url, tiler_url, max_crop_km2)
    headers = {"Cache-Control": "no-cache", **security_headers(stac_api_url, tiler_url)}
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="viewer-static")

    @app.get("/viewer", response_class=HTMLResponse, include_in_schema=False)
    def viewer() -> HTMLResponse:
        return HTMLResponse(html, headers=headers)
