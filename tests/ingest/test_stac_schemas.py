"""The offline schema validation the ingest tests rely on: it accepts a valid item, rejects
broken extension fields, and never lets an extension go unchecked."""

import copy
import json
import re
from typing import Any

import pytest
from referencing.exceptions import Unresolvable

from dinamis.settings import REPO_ROOT
from ingest.item import EXTENSIONS, RENDER_EXTENSION
from tests.stac_schemas import SchemaNotVendoredError, SchemaViolationError, validate, vendored

ITEM: dict[str, Any] = {
    "type": "Feature",
    "stac_version": "1.1.0",
    "stac_extensions": [EXTENSIONS["eo"], EXTENSIONS["view"], EXTENSIONS["proj"]],
    "id": "phr1a_20200101000000_ms_ort",
    "geometry": {"type": "Point", "coordinates": [5.37, 43.29]},
    "bbox": [5.37, 43.29, 5.37, 43.29],
    "properties": {
        "datetime": "2020-01-01T00:00:00Z",
        "eo:cloud_cover": 3.0,
        "view:incidence_angle": 8.0,
    },
    "links": [],
    "assets": {
        "data": {
            "href": "data.tif",
            "bands": [{"name": "B2", "eo:common_name": "red"}],
            "eo:bands": [{"name": "B2", "common_name": "red"}],
            "proj:code": "EPSG:32631",
            "proj:epsg": 32631,
        }
    },
}


def broken(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    item = copy.deepcopy(ITEM)
    *parents, key = path
    target = item
    for parent in parents:
        target = target[parent]
    target[key] = value
    return item


def test_a_valid_item_passes() -> None:
    validate(ITEM)


@pytest.mark.parametrize(
    ("path", "value", "schema"),
    [
        (("properties", "eo:cloud_cover"), 140, "eo"),
        (("properties", "view:incidence_angle"), "x", "view"),
        (("assets", "data", "proj:code"), 32631, "projection"),
        (("assets", "data", "proj:epsg"), "EPSG:32631", "projection"),
        (("properties", "eo:cloudiness"), 3.0, "eo"),  # unknown field under a known prefix
        (("assets", "data", "eo:bands", 0, "common_name"), "infrared", "eo"),
        (("properties", "datetime"), None, "item-spec"),  # core: no datetime, no range
    ],
)
def test_a_wrong_field_fails(path: tuple[Any, ...], value: Any, schema: str) -> None:
    with pytest.raises(SchemaViolationError, match=f"/{schema}/"):
        validate(broken(path, value))


def test_an_extension_without_a_vendored_schema_fails_loudly() -> None:
    item = copy.deepcopy(ITEM)
    item["stac_extensions"].append("https://stac-extensions.github.io/sar/v1.0.0/schema.json")
    with pytest.raises(SchemaNotVendoredError, match=re.escape("sar/v1.0.0")):
        validate(item)


def test_a_ref_outside_the_vendored_schemas_is_not_fetched() -> None:
    # projection v1.2.0 points proj:projjson at proj.org, which is not vendored.
    item = broken(("assets", "data", "proj:projjson"), {"type": "GeographicCRS"})
    with pytest.raises(Unresolvable, match=re.escape("proj.org")):
        validate(item)


def test_every_declared_extension_is_vendored() -> None:
    collections = (json.loads(p.read_text()) for p in (REPO_ROOT / "collections").glob("*.json"))
    declared = {*EXTENSIONS.values(), RENDER_EXTENSION}
    declared |= {uri for collection in collections for uri in collection["stac_extensions"]}
    assert declared <= set(vendored())
