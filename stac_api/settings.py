"""STAC API settings: stac-fastapi-pgstac's own, with this programme's defaults."""

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator, Field
from pydantic_settings import NoDecode
from stac_fastapi.pgstac.config import Settings, str_to_list

from dinamis.settings import get_settings


class ApiSettings(Settings):
    """Read from the environment exactly as stac-fastapi-pgstac documents (no prefix)."""

    stac_fastapi_title: str = "DINAMIS catalogue"
    stac_fastapi_description: str = (
        "Very-high-resolution satellite imagery of the French institutional programme DINAMIS: "
        "Pléiades, Pléiades Neo, SPOT 6/7 and the SPOT 1-5 Spot World Heritage archive. "
        "Metadata search is open; imagery of licensed collections is served to entitled users."
    )
    stac_fastapi_version: str = "0.1.0"
    stac_fastapi_landing_id: str = "dinamis"

    # Browsers on other origins (web maps, notebooks) send credentials and read COGs by range.
    cors_headers: Annotated[Sequence[str], BeforeValidator(str_to_list), NoDecode] = (
        "Content-Type",
        "Authorization",
        "X-API-Key",
        "Range",
    )

    tiler_url: str = Field(default_factory=lambda: get_settings().tiler_url)
    """Public URL of the tiler, for the links every item carries to its tiles and web map."""

    collections_dir: Path = Field(default_factory=lambda: get_settings().collections_dir)
    """The collection JSON files, whose browse images (thumbnails) the API serves."""
