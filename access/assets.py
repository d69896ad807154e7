"""From a STAC asset to the file it names."""

from pathlib import Path
from urllib.parse import unquote, urlsplit

from dinamis.storage import real_roots, resolve_within


def local_path(href: str, roots: list[Path]) -> Path | None:
    """The real file behind ``href`` when it lies under one of ``roots``, else ``None``.

    Symbolic links and ``..`` are resolved first, so an item cannot point the download
    endpoint at, say, /etc/passwd.
    """
    parts = urlsplit(href)
    if parts.scheme == "file":
        path = Path(unquote(parts.path))
    elif parts.scheme:  # http(s), s3...: not a file this server holds
        return None
    else:
        path = Path(href)
    if not path.is_absolute():
        if not roots:
            return None
        path = roots[0] / path
    real = resolve_within(path, real_roots(roots))
    return Path(real) if real and Path(real).is_file() else None
