"""Which file an asset names: the one resolver behind every file the servers open (tiles) or
send (downloads).

An item's files live in its collection's folder of a storage root, ``<root>/<collection>/``
(where ingest writes them), so an item of an open collection cannot name the file of a
licensed one. Relative hrefs are relative to that folder. Symbolic links and ``..`` are
resolved first, so what is checked is what will be opened.
"""

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit


def real_roots(roots: Iterable[str | Path]) -> tuple[str, ...]:
    """The roots as ``collection_file`` compares them (a root that is a symlink, by its target)."""
    return tuple(os.path.realpath(root) for root in roots)


def local_path(href: str) -> str | None:
    """The path a local href names (a plain path or a ``file://`` URL), else ``None``."""
    parts = urlsplit(href)
    if parts.scheme.lower() == "file":
        return unquote(parts.path)
    return None if parts.scheme else href


def _within(path: str, folder: str) -> bool:
    return os.path.commonpath([path, folder]) == folder


def collection_file(path: str, collection: str, roots: Sequence[str]) -> str | None:
    """The real path of ``path`` when it lies in ``collection``'s folder of one of ``roots``
    (from ``real_roots``), else ``None``.

    A relative ``path`` is looked for in that folder of each root in turn (the first where it
    exists, else the first root's).
    """
    if not collection or "\x00" in path or collection in (".", "..") or "/" in collection:
        return None
    folders = [os.path.realpath(os.path.join(root, collection)) for root in roots]
    if os.path.isabs(path):
        real = os.path.realpath(path)
        return real if any(_within(real, folder) for folder in folders) else None
    candidates = [
        real
        for folder in folders
        if _within(real := os.path.realpath(os.path.join(folder, path)), folder)
    ]
    return next((c for c in candidates if os.path.exists(c)), candidates[0] if candidates else None)
