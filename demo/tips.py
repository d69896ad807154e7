"""What ``dinamis up`` suggests trying once it serves: a search, a picture, QGIS, a key."""

from dataclasses import dataclass
from urllib.parse import urlencode

import psycopg

from access.store import licences_by_collection
from dinamis.settings import Settings


@dataclass(frozen=True)
class Showcase:
    collection: str
    item: str
    bbox: tuple[float, float, float, float]


def showcase_item(database_url: str) -> Showcase | None:
    """The latest item anyone may see the pixels of (else the latest item at all)."""
    with psycopg.connect(database_url) as conn:
        licensed = list(licences_by_collection(conn))
        row = conn.execute(
            "SELECT collection, id, ST_XMin(geometry), ST_YMin(geometry), ST_XMax(geometry),"
            " ST_YMax(geometry) FROM pgstac.items"
            " ORDER BY collection = ANY(%s), datetime DESC LIMIT 1",
            (licensed,),
        ).fetchone()
    if row is None:
        return None
    return Showcase(row[0], row[1], tuple(round(float(v), 3) for v in row[2:]))


def next_steps(settings: Settings, database_url: str) -> str:
    api, tiler = settings.api_url, settings.tiler_url
    shown = showcase_item(database_url)
    bbox = list(shown.bbox) if shown else [-180, -90, 180, 90]
    lines = [
        "[bold]Three things to try[/bold]",
        "  1. Search with pystac-client (in .venv/bin/python, or pip install pystac-client):",
        "       from pystac_client import Client",
        f'       catalogue = Client.open("{api}")',
        f"       for item in catalogue.search(bbox={bbox}, max_items=20).items():",
        '           print(item.collection_id, item.id, item.properties.get("eo:cloud_cover"))',
    ]
    if shown:
        query = urlencode({"collection": shown.collection, "item": shown.item})
        lines.append(f"  2. Open an item on the web map: {tiler}/viewer?{query}")
    else:
        lines.append(f"  2. Browse the web map: {tiler}/viewer")
    lines += [
        f"  3. In QGIS: Layer > Data Source Manager > STAC > New, URL {api}",
        "",
        "[bold]See the licensed collections[/bold] (Pléiades, Pléiades Neo, SPOT 6/7): "
        "create a member and an API key",
        '  dinamis entity create "My lab" --category french-research',
        '  dinamis user create me@example.org --entity 1 --name "Me" --role referent',
        "  dinamis user activate me@example.org",
        "  dinamis entity charter 1 --version 2024 --by me@example.org",
        "  dinamis licence accept airbus-dinamis --entity 1 --by me@example.org",
        "  dinamis licence acknowledge airbus-dinamis --user me@example.org",
        "  dinamis entity activate 1",
        "  dinamis key issue me@example.org --days 365",
        "then paste the key (dnm_…) in the web map's form, or send it as "
        "`Authorization: Bearer dnm_…`.",
    ]
    return "\n".join(lines)
