"""Whether a file lies under the storage roots: the one check behind every file the servers
open (tiles) or send (downloads)."""

import os
from collections.abc import Iterable
from pathlib import Path


def real_roots(roots: Iterable[str | Path]) -> tuple[str, ...]:
    """The roots as ``resolve_within`` compares them (a root that is a symlink, by its target)."""
    return tuple(os.path.realpath(root) for root in roots)


def resolve_within(path: str | Path, roots: Iterable[str]) -> str | None:
    """The real path of ``path`` when it lies under one of ``roots`` (from ``real_roots``).

    Symbolic links and ``..`` are resolved first, so what is checked is what will be opened.
    """
    real = os.path.realpath(path)
    for root in roots:
        if os.path.commonpath([real, root]) == root:
            return real
    return None
