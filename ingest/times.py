"""Acquisition times as DIMAP writes them, always returned timezone-aware in UTC."""

from datetime import UTC, datetime, timedelta

from ingest.model import IngestError

# SPOT 1, the first satellite of every collection, imaged from February 1986.
FIRST_ACQUISITION = datetime(1986, 1, 1, tzinfo=UTC)


def parse_time(value: str, source: str) -> datetime:
    """The UTC time ``value`` says; IngestError when it is none, or not one a satellite of the
    catalogue can have imaged at (a year 1 or 9999 would be published as it is)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise IngestError(f"{source}: {value!r} is not a date-time") from None
    if not FIRST_ACQUISITION <= parsed <= datetime.now(UTC) + timedelta(days=1):
        raise IngestError(f"{source}: {value!r} is before 1986 or in the future")
    return parsed
