"""titiler's WMTS capabilities, with the caller's `access_token` carried into every tile
template: QGIS and OWSLib fetch tiles from the ResourceURL alone, so capabilities read with
`?access_token=` must hand the token on, or every tile of a licensed item answers 401."""

from urllib.parse import parse_qsl, urlencode

import jinja2
from starlette.requests import Request
from starlette.templating import Jinja2Templates

# The one expression of titiler's wmts.xml (item and mosaic alike) that writes a tile's query.
QUERY = "{{ layer.query_string | escape }}"
WITH_TOKEN = "{{ layer.query_string | with_access_token(request) | escape }}"


def with_access_token(query_string: str | None, request: Request) -> str:
    query = parse_qsl(query_string or "", keep_blank_values=True)
    token = request.query_params.get("access_token")
    if token and not any(key == "access_token" for key, _ in query):
        query.append(("access_token", token))
    return urlencode(query)


class TokenTemplateLoader(jinja2.BaseLoader):
    """titiler's own template, with its tile query passed through ``with_access_token``."""

    def __init__(self, package: str) -> None:
        self.inner = jinja2.PackageLoader(package, "templates")

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple:
        source, filename, uptodate = self.inner.get_source(environment, template)
        if template == "wmts.xml":
            if QUERY not in source:  # titiler changed its template: fail loudly, not silently
                raise RuntimeError(f"{filename} no longer writes tile queries as {QUERY}")
            source = source.replace(QUERY, WITH_TOKEN)
        return source, filename, uptodate


def wmts_templates(package: str) -> Jinja2Templates:
    """Templates for the WMTS extension of ``package`` (titiler.extensions or its mosaic twin)."""
    environment = jinja2.Environment(
        autoescape=jinja2.select_autoescape(["html", "xml"]), loader=TokenTemplateLoader(package)
    )
    environment.filters["with_access_token"] = with_access_token
    return Jinja2Templates(env=environment)
