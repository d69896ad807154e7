"""From a STAC asset to the file it names, and how many bytes a (ranged) read sends."""

from pathlib import Path

from dinamis.storage import collection_file, local_path, real_roots


def asset_path(href: str, collection: str, roots: list[Path]) -> Path | None:
    """The stored file behind ``href``, an asset of an item of ``collection``, when it exists
    in that collection's folder of one of ``roots`` (see ``dinamis.storage``), else ``None``.

    The tiler resolves hrefs the same way, so a download serves the very file tiles are made of.
    """
    path = local_path(href)
    real = collection_file(path, collection, real_roots(roots)) if path is not None else None
    return Path(real) if real and Path(real).is_file() else None


def served_bytes(range_header: str | None, size: int) -> int:
    """Bytes a response sends for ``Range: bytes=...`` (the whole file without a valid range)."""
    if not range_header or not range_header.startswith("bytes="):
        return size
    total = 0
    for spec in range_header.removeprefix("bytes=").split(","):
        start, _, end = spec.strip().partition("-")
        try:
            if not start:  # suffix range: the last N bytes
                total += min(int(end), size)
            else:
                last = min(int(end), size - 1) if end else size - 1
                total += max(0, last - int(start) + 1)
        except ValueError:
            return size
    return total
