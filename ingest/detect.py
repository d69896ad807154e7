"""What a PATH given to ``dinamis ingest`` holds: which product files of which format."""

import errno
import shutil
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import NoReturn

from ingest import dimap2
from ingest.limits import IngestLimits, MiB, ingest_limits
from ingest.model import IngestError

ARCHIVES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")


class Format(StrEnum):
    dimap1 = "DIMAP v1"
    dimap2 = "DIMAP v2"


@dataclass(frozen=True)
class Found:
    """A product metadata file to ingest, one a volume lists but that was not delivered, or
    an archive or volume of a folder that was refused (``refused`` says why, ``format`` is
    None): the folder's other deliveries go on."""

    path: Path
    format: Format | None
    missing_from: Path | None = None
    refused: str | None = None
    within: str | None = None
    """Where the file is as delivered, when it was unpacked from an archive: the archive's
    path, then the file's path inside it (the unpacked copy goes at the end of the run)."""

    @property
    def shown(self) -> str:
        return self.within or str(self.path)

    def unpacked_from(self, archive: Path, folder: Path) -> "Found":
        inside = self.shown.removeprefix(f"{folder}/")
        return replace(self, within=f"{archive}/{inside}")


def is_archive(path: Path) -> bool:
    return path.name.lower().endswith(ARCHIVES)


def unsafe(name: str) -> bool:
    """A member name that points outside the folder it is unpacked into."""
    path = PurePosixPath(name.replace("\\", "/"))
    return path.is_absolute() or ".." in path.parts or PureWindowsPath(name).drive != ""


# zipfile builds an object of about 560 bytes per member of the central directory before
# anything can be checked: its size is bounded first, as a number of members of this size.
MEMBER_RECORD = 256
END_RECORD, END_SIGNATURE = 22, b"PK\x05\x06"
ZIP64_LOCATOR, ZIP64_END = b"PK\x06\x07", b"PK\x06\x06"


def central_directory_size(archive: Path) -> int:
    """The bytes of a zip's member list, as its end record says (0 when there is none: then
    zipfile says what is wrong). Found as zipfile finds it: at the very end of the file, or
    last in the 64 KiB of comment allowed after it."""
    with archive.open("rb") as stream:
        end = stream.seek(0, 2)
        stream.seek(max(0, end - END_RECORD - 0xFFFF))
        tail = stream.read()
        at = len(tail) - END_RECORD
        if tail[at : at + 4] != END_SIGNATURE or tail[-2:] != b"\0\0":
            at = tail.rfind(END_SIGNATURE)
        if at < 0 or len(tail) < at + END_RECORD:
            return 0
        size = int.from_bytes(tail[at + 12 : at + 16], "little")
        if at >= 20 and tail[at - 20 : at - 16] == ZIP64_LOCATOR:
            stream.seek(int.from_bytes(tail[at - 12 : at - 4], "little"))
            record = stream.read(56)
            if record[:4] == ZIP64_END:
                size = int.from_bytes(record[40:48], "little")
        return size


def _no_space(archive: Path, destination: Path) -> IngestError:
    return IngestError(f"{archive.name}: no space left on {destination.parent}")


class _Budget:
    """What an archive's members may take, checked on each member before it is written."""

    def __init__(self, archive: Path, destination: Path, limits: IngestLimits) -> None:
        self.archive, self.destination, self.limits = archive, destination, limits
        self.members, self.unpacked, self.packed = 0, 0, archive.stat().st_size
        self.room = min(limits.max_unpacked_bytes, shutil.disk_usage(destination).free)

    def take(self, size: int) -> None:
        limits, self.members, self.unpacked = self.limits, self.members + 1, self.unpacked + size
        if self.members > limits.max_members:
            self.refuse(f"more than {limits.max_members} members (DINAMIS_INGEST_MAX_MEMBERS)")
        # The whole archive's ratio, not a member's: a tile of nodata compresses like a bomb,
        # but imagery is most of a delivery and packs two or three times at most.
        ratio = limits.max_compression_ratio
        if self.unpacked > max(MiB, ratio * self.packed):
            self.refuse(
                f"unpacks to more than {ratio:g} times its size "
                "(DINAMIS_INGEST_MAX_COMPRESSION_RATIO)"
            )
        if self.unpacked > self.room and self.room < limits.max_unpacked_bytes:
            raise _no_space(self.archive, self.destination)
        if self.unpacked > self.room:
            self.refuse(
                f"unpacks to more than {limits.max_unpacked_bytes} bytes "
                "(DINAMIS_INGEST_MAX_UNPACKED_BYTES)"
            )

    def list_of(self, size: int) -> None:
        most = self.limits.max_members
        if size > most * MEMBER_RECORD:
            self.refuse(
                f"its member list takes {size} bytes, more than {most} members would "
                "(DINAMIS_INGEST_MAX_MEMBERS)"
            )

    def refuse(self, reason: str) -> NoReturn:
        raise IngestError(f"{self.archive.name}: refused, {reason}")


def extract(archive: Path, destination: Path) -> list[str]:
    """Unpack a delivery archive into ``destination``, skipping the members whose names lead
    outside it (``../``, absolute paths, links out): their names are returned.

    Each member's size counts against the ingest limits before it is written: an archive
    that breaks one is refused (the caller removes what was unpacked)."""
    skipped: list[str] = []
    destination.mkdir(parents=True, exist_ok=True)
    budget = _Budget(archive, destination, ingest_limits())
    try:
        if archive.name.lower().endswith(".zip"):
            budget.list_of(central_directory_size(archive))
            with zipfile.ZipFile(archive) as zf:
                for info in zf.infolist():
                    if unsafe(info.filename):
                        skipped.append(info.filename)
                    else:
                        budget.take(info.file_size)
                        zf.extract(info, destination)
        else:
            with tarfile.open(archive) as tf:
                for member in tf:
                    budget.take(member.size)
                    try:
                        # The data filter would move absolute names inside: skip them too.
                        if unsafe(member.name):
                            raise tarfile.AbsolutePathError(member)
                        tarfile.data_filter(member, str(destination))
                    except tarfile.FilterError:
                        skipped.append(member.name)
                        continue
                    tf.extract(member, destination, filter="data")
    except OSError as error:
        if error.errno == errno.ENOSPC:
            raise _no_space(archive, destination) from None
        raise IngestError(f"{archive.name}: cannot unpack ({error})") from None
    except (zipfile.BadZipFile, tarfile.TarError) as error:
        raise IngestError(f"{archive.name}: cannot unpack ({error})") from None
    return skipped


def _needed(name: str, found: list[Found]) -> bool:
    """Whether a product of the archive needs the file a skipped member holds: it is a
    metadata file itself, or a metadata file names it."""
    base = PurePosixPath(name.replace("\\", "/")).name
    if not base:
        return False
    if _kind(Path(base)) is not None or base.upper().startswith("VOL_"):
        return True
    # A metadata file over the limit is refused when parsed: not read whole into memory here.
    most = ingest_limits().max_metadata_bytes
    return any(
        base in f.path.read_text(errors="replace")
        for f in found
        if f.path.is_file() and f.path.stat().st_size <= most
    )


def _kind(file: Path) -> Format | None:
    name = file.name.upper()
    if name.startswith("DIM_") and name.endswith(".XML"):
        return Format.dimap2
    if name.endswith(".DIM"):
        return Format.dimap1
    return None


def find_products(
    path: Path, scratch: Callable[[], Path], warn: Callable[[str], None] = lambda _: None
) -> list[Found]:
    """Product files under ``path`` (a file, an archive or a folder of any depth).

    Archives are unpacked into folders that ``scratch`` provides, within the ingest limits;
    members with unsafe names are skipped with a ``warn``ing, and an archive whose product
    needs one is refused. Products a volume lists are taken through the volume so that a DIM file is
    never ingested twice; those missing from the delivery are reported rather than ignored.
    """
    limits = ingest_limits()

    def find(path: Path, depth: int) -> list[Found]:
        if not path.exists():
            raise IngestError(f"{path}: no such file or folder")
        if is_archive(path):
            if depth > limits.max_archive_depth:
                raise IngestError(
                    f"{path.name}: refused, archives nested more than "
                    f"{limits.max_archive_depth} deep (DINAMIS_INGEST_MAX_ARCHIVE_DEPTH)"
                )
            return unpacked(path, depth)
        if path.is_file():
            if path.name.upper().startswith("VOL_"):
                return _from_volume(path)
            if (kind := _kind(path)) is not None:
                return [Found(path, kind)]
            raise IngestError(
                f"{path.name}: unknown format (expected VOL_*.XML, DIM_*.XML, *.DIM or an archive)"
            )
        if not (found := walk(path, depth)):
            raise IngestError(f"{path}: no DIMAP product found (no VOL_*.XML, DIM_*.XML, *.DIM)")
        return found

    def walk(folder: Path, depth: int) -> list[Found]:
        found: list[Found] = []
        listed: set[Path] = set()
        for volume in sorted(folder.rglob("VOL_*.XML")):
            try:
                from_volume = _from_volume(volume)
            except IngestError as error:
                found.append(Found(volume, None, refused=str(error)))
                continue
            found.extend(from_volume)
            listed.update(f.path.resolve() for f in from_volume)
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            kind = _kind(file)
            if kind is not None and file.resolve() not in listed:
                found.append(Found(file, kind))
            elif is_archive(file):
                try:
                    found.extend(find(file, depth + 1))
                except IngestError as error:
                    found.append(Found(file, None, refused=str(error)))
        return found

    def unpacked(path: Path, depth: int) -> list[Found]:
        folder = scratch()
        try:
            skipped = extract(path, folder)
        except IngestError:
            # What a refused archive unpacked goes now, not at the end of the batch.
            shutil.rmtree(folder, ignore_errors=True)
            raise
        try:
            found = walk(folder, depth)
        except IngestError:
            if not skipped:
                raise
            found = []  # its metadata may be among the skipped members: say so below
        for name in skipped:
            if _needed(name, found):
                raise IngestError(
                    f"{path.name}: refused, its product needs {name!r}, a member whose name "
                    "leads outside the archive"
                )
        if skipped:
            warn(
                f"{path.name}: skipped {len(skipped)} member(s) whose name leads outside the "
                f"archive: {', '.join(repr(n) for n in skipped)}"
            )
        if not found:
            raise IngestError(f"{path.name}: no DIMAP product found in the archive")
        return [f.unpacked_from(path, folder) for f in found]

    return find(path, 0)


def _from_volume(volume: Path) -> list[Found]:
    return [
        Found(dim, Format.dimap2, None if dim.is_file() else volume)
        for dim in dimap2.volume_components(volume)
    ]
