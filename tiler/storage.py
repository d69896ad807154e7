"""Which asset hrefs the tiler may open: files under the storage roots, allowed http(s) prefixes."""

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from dinamis.storage import real_roots, resolve_within
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

    def check(self, href: str) -> str:
        if "\x00" in href:
            raise ForbiddenAssetError("asset href contains a NUL byte")
        # GDAL virtual file systems (/vsicurl/, /vsizip/...) and driver prefixes (GTIFF_DIR:)
        # would let an href reach any file or host whatever its apparent path.
        if href.lstrip().lower().startswith("/vsi"):
            raise ForbiddenAssetError(
                f"asset href {href!r}: GDAL virtual file systems are not served"
            )
        parts = urlsplit(href)
        scheme = parts.scheme.lower()
        if scheme in ("", "file"):
            return self._local(unquote(parts.path) if scheme == "file" else href, href)
        if scheme in ("http", "https"):
            return self._remote(href, parts.hostname)
        raise ForbiddenAssetError(f"asset href {href!r}: scheme {scheme!r} is not served")

    def _local(self, path: str, href: str) -> str:
        real = resolve_within(path, self.roots)
        if real is None:
            raise ForbiddenAssetError(f"asset href {href!r} is outside the storage roots")
        return real

    def _remote(self, url: str, host: str | None) -> str:
        if not any(url.startswith(prefix) for prefix in self.url_prefixes):
            raise ForbiddenAssetError(f"asset href {url!r} is not under an allowed URL prefix")
        if not host or _private(host):
            raise ForbiddenAssetError(f"asset href {url!r} points at a private or local address")
        return url


def _private(host: str) -> bool:
    """Whether any address ``host`` resolves to is not a public one (SSRF towards the inside)."""
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return True
    return any(not ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_global for info in infos)
