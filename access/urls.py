"""URL helpers shared by the server's /sign endpoint and the client-side signer."""

from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def with_token(href: str, token: str) -> str:
    """``href`` with ``access_token=token`` in its query (replacing any previous one)."""
    parts = urlsplit(href)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "access_token"
    ]
    query.append(("access_token", token))
    return urlunsplit(parts._replace(query=urlencode(query)))


def collection_of(href: str) -> str | None:
    """The collection id in a DINAMIS URL (``.../collections/{id}/...``), else ``None``."""
    parts = [unquote(part) for part in urlsplit(href).path.split("/")]
    for index, part in enumerate(parts[:-1]):
        if part == "collections" and parts[index + 1]:
            return parts[index + 1]
    return None
