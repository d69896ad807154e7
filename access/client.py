"""Client side: signing DINAMIS hrefs for pystac-client, GDAL or anything reading URLs."""

import threading
import time
from typing import Any

import httpx
import pystac

from access.urls import origin, with_token

# Renew this long before expiry, so a signed href still works when it is finally read.
_MARGIN_S = 120


class SignModifier:
    """A pystac-client ``modifier`` adding an ``access_token`` to the hrefs of DINAMIS assets.

    One token (POST /auth/token) signs every href until it nears expiry, instead of one
    /sign request per asset. Hrefs of other origins are left alone: the token must not leak.
    """

    def __init__(self, api_url: str, api_key: str, origins: list[str] | None = None) -> None:
        self.api_url = api_url.rstrip("/")
        self._api_key = api_key
        self._origins = {origin(url) for url in (origins or [api_url])}
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    def token(self) -> str:
        with self._lock:
            if self._token is None or self._token[1] - _MARGIN_S < time.time():
                response = httpx.post(
                    f"{self.api_url}/auth/token",
                    headers={"Authorization": f"Bearer {self._api_key}"},
                )
                response.raise_for_status()
                body = response.json()
                self._token = (body["access_token"], time.time() + body["expires_in"])
            return self._token[0]

    def sign(self, href: str) -> str:
        return with_token(href, self.token()) if origin(href) in self._origins else href

    def __call__(self, obj: Any) -> None:
        if isinstance(obj, pystac.ItemCollection):
            for item in obj:
                self(item)
        elif isinstance(obj, pystac.Item | pystac.Collection):
            for asset in obj.assets.values():
                asset.href = self.sign(asset.href)
        elif isinstance(obj, dict):  # pages of items_as_dicts(), or one item as a dict
            for item in obj.get("features", [obj]):
                for asset in item.get("assets", {}).values():
                    asset["href"] = self.sign(asset["href"])


def sign_modifier(api_url: str, api_key: str, origins: list[str] | None = None) -> SignModifier:
    """``Client.open(api_url, modifier=sign_modifier(api_url, key))``; pass ``origins`` (API and
    tiler URLs) when assets are also served by another DINAMIS origin."""
    return SignModifier(api_url, api_key, origins)
