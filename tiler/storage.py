"""Which asset hrefs the tiler may open: files in their collection's folder of a storage root
(``dinamis.storage``), allowed http(s) prefixes.

Refusals name the reason, never the href: that is a storage path the caller need not know.
"""

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from dinamis.storage import collection_file, local_path, real_roots
from tiler.errors import ForbiddenAssetError


@dataclass(frozen=True)
class StorageGuard:
    """Turns an asset href into what GDAL may open, or refuses it with ``ForbiddenAssetError``."""

    roots: tuple[str, ...]
    url_prefixes: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, roots: Sequence[Path], url_prefixes: Sequence[str]) -> "StorageGuard":
        # Resolved once, not per tile.
        return cls(real_roots(roots), tuple(url_prefixes))

    def check(self, href: str, collection: str) -> str:
        """What GDAL may open for ``href``, an asset of an item of ``collection``."""
        if "\x00" in href:
            raise ForbiddenAssetError("its href contains a NUL byte")
        # GDAL virtual file systems (/vsicurl/, /vsizip/...) and driver prefixes (GTIFF_DIR:)
        # would let an href reach any file or host whatever its apparent path.
        if href.lstrip().lower().startswith("/vsi"):
            raise ForbiddenAssetError("GDAL virtual file systems are not served")
        path = local_path(href)
        if path is not None:
            real = collection_file(path, collection, self.roots)
            if real is None:
                raise ForbiddenAssetError(
                    f"its file is not in collection '{collection}''s storage folder"
                )
            return real
        parts = urlsplit(href)
        scheme = parts.scheme.lower()
        if scheme in ("http", "https"):
            return self._remote(href, parts.hostname)
        raise ForbiddenAssetError(f"scheme '{scheme}' is not served")

    def _remote(self, url: str, host: str | None) -> str:
        if not any(url.startswith(prefix) for prefix in self.url_prefixes):
            raise ForbiddenAssetError("its URL is not under an allowed URL prefix")
        if not host or _private(host):
            raise ForbiddenAssetError("its URL points at a private or local address")
        return url


def _private(host: str) -> bool:
    """Whether any address ``host`` resolves to is not a public one (SSRF towards the inside)."""
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return True
    return any(not ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_global for info in infos)
