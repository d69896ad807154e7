"""What a PATH given to ``dinamis ingest`` holds: which product files of which format."""

import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from ingest import dimap2
from ingest.model import IngestError

ARCHIVES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")


class Format(StrEnum):
    dimap1 = "DIMAP v1"
    dimap2 = "DIMAP v2"


@dataclass(frozen=True)
class Found:
    """A product metadata file to ingest, or one a volume lists but that was not delivered."""

    path: Path
    format: Format
    missing_from: Path | None = None


def is_archive(path: Path) -> bool:
    return path.name.lower().endswith(ARCHIVES)


def extract(archive: Path, destination: Path) -> Path:
    """Unpack a delivery archive, refusing members that would land outside ``destination``."""
    try:
        if archive.name.lower().endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(destination)
        else:
            with tarfile.open(archive) as tf:
                tf.extractall(destination, filter="data")
    except (zipfile.BadZipFile, tarfile.TarError, OSError) as error:
        raise IngestError(f"{archive.name}: cannot unpack ({error})") from None
    return destination


def _kind(file: Path) -> Format | None:
    name = file.name.upper()
    if name.startswith("DIM_") and name.endswith(".XML"):
        return Format.dimap2
    if name.endswith(".DIM"):
        return Format.dimap1
    return None


def find_products(path: Path, scratch: Callable[[], Path]) -> list[Found]:
    """Product files under ``path`` (a file, an archive or a folder of any depth).

    Archives are unpacked into folders that ``scratch`` provides. Products a volume lists
    are taken through the volume so that a DIM file is never ingested twice; those missing
    from the delivery are reported rather than ignored.
    """
    if not path.exists():
        raise IngestError(f"{path}: no such file or folder")
    if is_archive(path):
        return find_products(extract(path, scratch()), scratch)
    if path.is_file():
        if path.name.upper().startswith("VOL_"):
            return _from_volume(path)
        if (kind := _kind(path)) is not None:
            return [Found(path, kind)]
        raise IngestError(
            f"{path.name}: unknown format (expected VOL_*.XML, DIM_*.XML, *.DIM or an archive)"
        )
    found: list[Found] = []
    listed: set[Path] = set()
    for volume in sorted(path.rglob("VOL_*.XML")):
        from_volume = _from_volume(volume)
        found.extend(from_volume)
        listed.update(f.path.resolve() for f in from_volume)
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        kind = _kind(file)
        if kind is not None and file.resolve() not in listed:
            found.append(Found(file, kind))
        elif is_archive(file):
            found.extend(find_products(file, scratch))
    if not found:
        raise IngestError(f"{path}: no DIMAP product found (no VOL_*.XML, DIM_*.XML, *.DIM)")
    return found


def _from_volume(volume: Path) -> list[Found]:
    return [
        Found(dim, Format.dimap2, None if dim.is_file() else volume)
        for dim in dimap2.volume_components(volume)
    ]
