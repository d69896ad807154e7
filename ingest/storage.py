"""Where ingested files live, and how they get there without ever being seen half-written.

Everything an ingest writes goes first into a ``.partial-<pid>-<n>`` folder next to its final
place and is renamed into place once complete; a run cleans the partial folders of dead
processes, so a killed ingest leaves nothing behind after the next one.
"""

import hashlib
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

PARTIAL = ".partial-"


def item_folder(storage: Path, collection: str, item_id: str) -> Path:
    return storage / collection / item_id


@contextmanager
def partial_folder(parent: Path) -> Iterator[Path]:
    """A fresh work folder in ``parent``, removed on exit with the folders made for it that
    nothing was published into (a failed first ingest leaves no empty item folder)."""
    created = [p for p in (parent, *parent.parents) if not p.exists()]
    try:
        parent.mkdir(parents=True, exist_ok=True)
        work = parent / f"{PARTIAL}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        work.mkdir()
        try:
            yield work
        finally:
            shutil.rmtree(work, ignore_errors=True)
    finally:
        for folder in created:  # deepest first
            try:
                folder.rmdir()
            except OSError:
                break  # not empty (published into, or shared with another product): keep


def publish(work: Path, folder: Path) -> list[Path]:
    """Move each finished file of ``work`` into ``folder`` (atomic per file)."""
    published = []
    for file in sorted(work.iterdir()):
        if file.is_file():
            os.replace(file, folder / file.name)
            published.append(folder / file.name)
    return published


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(storage: Path) -> list[Path]:
    """Remove the partial folders left by processes that no longer run."""
    removed = []
    candidates = [*storage.glob(f"{PARTIAL}*"), *storage.glob(f"*/*/{PARTIAL}*")]
    for folder in candidates:
        pid = folder.name.removeprefix(PARTIAL).split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def sha256(file: Path) -> str:
    with file.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def multihash(file: Path) -> str:
    """file:checksum form: sha2-256 multihash (code 0x12, length 0x20) in hex."""
    return f"1220{sha256(file)}"


def source_checksum(files: Iterable[Path]) -> str:
    """One digest over the names and bytes of every delivered file of a product."""
    digest = hashlib.sha256()
    for file in sorted(files, key=lambda p: p.name):
        digest.update(file.name.encode())
        digest.update(sha256(file).encode())
    return digest.hexdigest()
