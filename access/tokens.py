"""Short-lived signed access tokens, for clients that cannot send headers (web maps, GDAL URLs).

A token names the API key it was issued from, so revoking the key also stops its tokens, and
carries its expiry; an HMAC-SHA256 over both makes it unforgeable without the server secret.
"""

import base64
import hashlib
import hmac
import time

_VERSION = "v1"


def _signature(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue_token(secret: str, key_id: int, ttl: int) -> tuple[str, int]:
    """A token for ``key_id`` and its expiry (Unix seconds)."""
    expires = int(time.time()) + ttl
    payload = f"{_VERSION}.{key_id}.{expires}"
    return f"{payload}.{_signature(secret, payload)}", expires


def verify_token(secret: str, token: str) -> int | None:
    """The key id of a genuine, unexpired token; ``None`` otherwise."""
    try:
        version, key_id, expires, signature = token.split(".")
        payload = f"{version}.{int(key_id)}.{int(expires)}"
    except ValueError:
        return None
    if version != _VERSION or not hmac.compare_digest(signature, _signature(secret, payload)):
        return None
    if int(expires) < time.time():
        return None
    return int(key_id)
