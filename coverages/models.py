"""What a coverage is, as the store reads it."""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")


@dataclass(frozen=True)
class Pyramid:
    """The low-resolution COG of a coverage, aligned on the Web Mercator tiles of ``zoom``."""

    path: str
    zoom: int
    bounds: tuple[float, float, float, float]
    """West, south, east, north, in degrees."""
    fingerprint: str
    """The content hash of the items it was built from."""
    item_count: int
    built_at: datetime
    build_seconds: float


@dataclass(frozen=True)
class Coverage:
    id: str
    title: str
    search: dict[str, Any]
    """The pgSTAC search whose items make the coverage."""
    search_hash: str
    collections: tuple[str, ...]
    """Collections the search is limited to; empty when any may match."""
    asset: str
    pyramid: Pyramid | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Coverage":
        pyramid = None
        if row["pyramid_path"]:
            pyramid = Pyramid(
                path=row["pyramid_path"],
                zoom=row["pyramid_zoom"],
                bounds=tuple(row["pyramid_bounds"]),  # type: ignore[arg-type]
                fingerprint=row["fingerprint"],
                item_count=row["item_count"],
                built_at=row["built_at"],
                build_seconds=row["build_seconds"],
            )
        return cls(
            id=row["id"],
            title=row["title"],
            search=row["search"],
            search_hash=row["search_hash"],
            collections=tuple(row["collections"]),
            asset=row["asset"],
            pyramid=pyramid,
        )
