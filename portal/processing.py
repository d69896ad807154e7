"""The processing the portal offers on the catalogue's items (the API's processes, on the
queue the API and the workers share)."""

from typing import Any

from jobs.processes import Process
from portal.web import Web

ORTHO = "orthorectify"


def processes(page: Web) -> dict[str, Process]:
    return page.request.app.state.jobs.processes


def ortho_form(page: Web, item: dict[str, Any]) -> dict[str, Any] | None:
    """What a raw scene's page offers to ortho-rectify it, for a signed-in reader: the DEMs
    (the one used when none is chosen first) and the scene's own resolution; ``None`` for a
    map-projected item."""
    process = processes(page).get(ORTHO)
    raw = item.get("properties", {}).get("dinamis:geometry") == "sensor"
    if process is None or not raw or page.principal is None:
        return None
    return {"dems": process.choices().get("dem", []), "gsd": item["properties"].get("gsd")}
