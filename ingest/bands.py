"""Band definitions of the collections, and the canonical band order of the COGs.

The collections list their bands red, green, blue, nir, then extras, and their ``renders``
address bands by position; ordering every COG like its collection keeps those renders right.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.collections import collection_json
from ingest.model import Band, IngestError, Product

# Band ids that products spell differently from the collections.
ALIASES = {"PAN": "P"}


@dataclass(frozen=True)
class CanonicalBand:
    band: Band
    definition: dict[str, Any]
    """The collection's summary of this band (name, eo:common_name, wavelengths...)."""


def canonical_bands(
    product: Product, collection: str, collections_dir: Path
) -> list[CanonicalBand]:
    definitions = collection_json(collections_dir, collection).get("summaries", {}).get("bands", ())
    position = {d["name"]: (i, d) for i, d in enumerate(definitions)}
    ordered = []
    for band in product.bands:
        name = ALIASES.get(band.id, band.id)
        if name not in position:
            raise IngestError(f"band {band.id} is not a band of collection {collection}")
        index, definition = position[name]
        ordered.append((index, CanonicalBand(band, definition)))
    return [canonical for _, canonical in sorted(ordered, key=lambda pair: pair[0])]
