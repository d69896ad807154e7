"""Helpers shared by the ingest tests: offline item validation, distinct acquisitions."""

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
from pystac.validation import JsonSchemaSTACValidator
from pystac.validation.stac_validator import STACObjectType

SCHEMAS = Path(__file__).parent / "schemas"

_acquisitions = itertools.count()


def validate_item(item: dict) -> None:
    """Core STAC 1.1 item schema (bundled with pystac) and the vendored view extension."""
    JsonSchemaSTACValidator().validate_core(item, STACObjectType.ITEM, "1.1.0")
    jsonschema.validate(item, json.loads((SCHEMAS / "view-v1.0.0.json").read_text()))


def acquisition() -> datetime:
    """A distinct acquisition time per call: item ids derive from it, tests share one pgSTAC."""
    return datetime(2020, 1, 1, tzinfo=UTC) + timedelta(hours=next(_acquisitions))
