"""Acquisition times as DIMAP writes them, always returned timezone-aware in UTC."""

from datetime import UTC, datetime

from ingest.model import IngestError


def parse_time(value: str, source: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise IngestError(f"{source}: {value!r} is not a date-time") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
