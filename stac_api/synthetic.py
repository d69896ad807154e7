"""Synthetic Pléiades-like items over France, for catalogue tests and search benchmarks.

Deterministic for a seed, so a failing test or a benchmark figure can be reproduced.
"""

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

COG_TYPE = "image/tiff; application=geotiff; profile=cloud-optimized"
# Metropolitan France, where most of the programme's coverages are.
LON_RANGE = (-4.5, 7.5)
LAT_RANGE = (42.5, 50.5)
START = datetime(2012, 1, 1, tzinfo=UTC)
DAYS = 14 * 365


def synthetic_item(index: int, rng: random.Random, collection: str = "pleiades") -> dict[str, Any]:
    lon = rng.uniform(*LON_RANGE)
    lat = rng.uniform(*LAT_RANGE)
    size = rng.uniform(0.1, 0.3)  # a Pléiades scene is ~20 km wide
    when = START + timedelta(days=rng.uniform(0, DAYS))
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    item_id = f"synthetic-{collection}-{index:07d}"
    return {
        "type": "Feature",
        "stac_version": "1.1.0",
        "stac_extensions": [
            "https://stac-extensions.github.io/eo/v2.0.0/schema.json",
            "https://stac-extensions.github.io/view/v1.0.0/schema.json",
        ],
        "id": item_id,
        "collection": collection,
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "bbox": [lon, lat, lon + size, lat + size],
        "properties": {
            "datetime": when.isoformat().replace("+00:00", "Z"),
            "platform": rng.choice(["PHR1A", "PHR1B"]),
            "constellation": "pleiades",
            "instruments": ["PHR"],
            "gsd": 0.5,
            "eo:cloud_cover": round(rng.uniform(0, 100), 2),
            "view:incidence_angle": round(rng.uniform(0, 30), 2),
            "view:sun_elevation": round(rng.uniform(15, 65), 2),
            "processing:level": rng.choice(["SEN", "PRJ", "ORT"]),
            "product:type": rng.choice(["P", "MS", "PMS"]),
        },
        "assets": {
            "data": {"href": f"synthetic/{item_id}.tif", "type": COG_TYPE, "roles": ["data"]},
        },
        "links": [],
    }


def synthetic_items(count: int, seed: int = 0, collection: str = "pleiades") -> Iterator[dict]:
    rng = random.Random(seed)
    for index in range(count):
        yield synthetic_item(index, rng, collection)
