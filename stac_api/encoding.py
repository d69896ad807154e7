"""Search pages encoded once, by orjson, instead of by FastAPI.

An endpoint that returns a dict has FastAPI walk it with ``jsonable_encoder`` (a copy of every
value, with type checks) and then ``json.dumps`` it: at limit 100 that was three quarters of the
API's CPU per request. The search pages are plain JSON already (decoded from pgSTAC's jsonb), so
the client returns them as a response, which FastAPI sends as it is.
"""

from typing import Any

import orjson
from stac_fastapi.api.models import GeoJSONResponse


class ORJSONGeoJSONResponse(GeoJSONResponse):
    """stac-fastapi's GeoJSON response (same media type), rendered by orjson."""

    def render(self, content: Any) -> bytes:
        # Non-string keys never occur in pgSTAC's JSON; a NaN would be written as null.
        return orjson.dumps(content)
