"""URL helpers shared by the server's /sign endpoint and the client-side signer."""

from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit

from starlette.requests import Request


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


def own_origins(request: Request) -> set[str]:
    """The origins this request's client reaches the API and the tiler at (behind a trusted
    proxy, the public ones): the hrefs the API itself wrote for this client."""
    base = str(request.base_url)
    tiler_url = getattr(request.app.state.settings, "tiler_url", None) or base
    return {origin(base), origin(urljoin(base, tiler_url))}


def collection_of(href: str) -> str | None:
    """The collection id in a DINAMIS URL (``.../collections/{id}/...``), else ``None``."""
    parts = [unquote(part) for part in urlsplit(href).path.split("/")]
    for index, part in enumerate(parts[:-1]):
        if part == "collections" and parts[index + 1]:
            return parts[index + 1]
    return None
