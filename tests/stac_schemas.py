"""Offline validation of STAC items and collections against their JSON schemas.

The core STAC 1.1 schemas come from pystac's bundled copies, the extension schemas from the
files vendored in tests/schemas/ (sources in its README). The registry has no retrieval
function, so a ``$ref`` to anything else fails instead of reaching for the network.
"""

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import best_match
from pystac.validation.local_validator import get_local_schema_cache
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

SCHEMAS = Path(__file__).parent / "schemas"
CORE = {
    "Feature": "https://schemas.stacspec.org/v1.1.0/item-spec/json-schema/item.json",
    "Collection": "https://schemas.stacspec.org/v1.1.0/collection-spec/json-schema/collection.json",
}


class SchemaViolationError(AssertionError):
    """A STAC object breaks one of its schemas (an assertion, so pytest shows it plainly)."""


class SchemaNotVendoredError(LookupError):
    """A STAC object declares an extension whose schema is not in tests/schemas/."""


@cache
def vendored() -> dict[str, dict[str, Any]]:
    """Extension schemas by the URL that ``stac_extensions`` uses: their ``$id``, whose
    trailing empty fragment (``#``) some extensions publish and declarations leave out."""
    schemas = (json.loads(path.read_text()) for path in sorted(SCHEMAS.glob("*.json")))
    return {schema["$id"].removesuffix("#"): schema for schema in schemas}


@cache
def registry() -> Registry:
    documents = {**get_local_schema_cache(), **vendored()}
    return Registry().with_resources(
        (uri, Resource.from_contents(schema, default_specification=DRAFT7))
        for uri, schema in documents.items()
    )


def schema_uris(stac: dict[str, Any]) -> list[str]:
    """The core schema of ``stac``'s type, then every extension schema it declares."""
    if stac.get("stac_version") != "1.1.0" or stac.get("type") not in CORE:
        raise SchemaNotVendoredError(
            f"no core schema for {stac.get('type')!r} at STAC {stac.get('stac_version')!r}"
        )
    declared = stac.get("stac_extensions", [])
    missing = [uri for uri in declared if uri not in vendored()]
    if missing:
        raise SchemaNotVendoredError(f"extension schemas not vendored in {SCHEMAS}: {missing}")
    return [CORE[stac["type"]], *declared]


def validate(stac: dict[str, Any]) -> None:
    """Raise ``SchemaViolationError`` unless ``stac`` (an item or a collection, as JSON) is valid
    against its core schema and against every extension schema it declares."""
    for uri in schema_uris(stac):
        validator = Draft7Validator({"$ref": uri}, registry=registry())
        error = best_match(validator.iter_errors(stac))
        if error is not None:
            message = f"{stac.get('id')} breaks {uri} at {error.json_path}: {error.message}"
            raise SchemaViolationError(message)
