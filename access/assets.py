"""From a STAC asset to the file it names."""

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
