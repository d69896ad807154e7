"""The provider's archive as a metadata-only collection: footprints the operator loads
(acquisition date, cloud cover, incidence angle, no pixels), which archive orders pick by id."""

import json
from pathlib import Path
from typing import Any

from pypgstac.load import Loader, Methods
from shapely.geometry import shape

from dinamis.catalog import read_collections
from dinamis.database import pgstac_db

COLLECTIONS = Path(__file__).with_name("collections")
EXTENSIONS = [
    "https://stac-extensions.github.io/eo/v2.0.0/schema.json",
    "https://stac-extensions.github.io/view/v1.0.0/schema.json",
]
REQUIRED = ("id", "datetime", "platform", "eo:cloud_cover", "view:incidence_angle")
CONSTELLATIONS = {"PHR": "pleiades", "PNE": "pleiades-neo", "SPO": "spot"}


class ArchiveError(ValueError):
    """A footprint file that cannot be loaded; the message names the feature."""


def archive_item(feature: dict[str, Any], collection: str) -> dict[str, Any]:
    """The STAC item of one archive footprint (a GeoJSON feature whose properties hold
    ``id`` (or the feature's id), ``datetime``, ``platform``, ``eo:cloud_cover`` and
    ``view:incidence_angle``)."""
    properties = dict(feature.get("properties") or {})
    properties.setdefault("id", feature.get("id"))
    missing = [key for key in REQUIRED if properties.get(key) in (None, "")]
    if missing:
        raise ArchiveError(f"feature {properties.get('id')!r} lacks {', '.join(missing)}.")
    try:
        geometry = shape(feature["geometry"])
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ArchiveError(f"feature {properties['id']!r} has no readable footprint.") from error
    if geometry.is_empty or not geometry.is_valid:
        raise ArchiveError(f"feature {properties['id']!r} has an invalid footprint.")
    item_id = str(properties.pop("id"))
    platform = str(properties["platform"])
    properties.setdefault("constellation", CONSTELLATIONS.get(platform[:3].upper(), "unknown"))
    return {
        "type": "Feature",
        "stac_version": "1.1.0",
        "stac_extensions": EXTENSIONS,
        "id": item_id,
        "collection": collection,
        "geometry": feature["geometry"],
        "bbox": list(geometry.bounds),
        "properties": properties,
        "links": [],
        "assets": {},
    }


def load_archive(database_url: str, path: Path, collection: str = "airbus-archive") -> int:
    """Upsert the archive collection and the footprints of the GeoJSON FeatureCollection at
    ``path``; the number of items loaded."""
    try:
        document = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ArchiveError(f"{path}: not a readable GeoJSON file ({error}).") from error
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(features, list):
        raise ArchiveError(f"{path}: expected a GeoJSON FeatureCollection.")
    items = [archive_item(feature, collection) for feature in features]
    # The checked-in description, under the configured collection id.
    [description] = read_collections(COLLECTIONS)
    with pgstac_db(database_url) as db:
        loader = Loader(db)
        loader.load_collections(iter([{**description, "id": collection}]), Methods.upsert)
        loader.load_items(iter(items), insert_mode=Methods.upsert)
    return len(items)
