"""STAC API settings: stac-fastapi-pgstac's own, with this programme's defaults."""

from stac_fastapi.pgstac.config import Settings


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
