"""A full disk: the ingest says so in words and leaves nothing behind.

The storage root is a real, tiny file system (a 64 KiB tmpfs mounted over it), so the COG
write hits ENOSPC as it would in production; mounting needs root, as the CI runs.
"""

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dinamis.settings import Settings
from ingest.load import get_item
from ingest.pipeline import ingest_paths
from ingest.testing import make_dimap2_product
from tests.ingest.helpers import acquisition


@pytest.fixture
def full_storage(ingest_settings: Settings) -> Iterator[Settings]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tiny file system needs root")
    storage = ingest_settings.storage
    storage.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,mode=755", "tmpfs", str(storage)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield ingest_settings
    finally:
        subprocess.run(["umount", str(storage)], check=True)


def test_full_disk_is_named_and_leaves_no_folder(
    tmp_path: Path, full_storage: Settings, database_url: str, collection_ids: list[str]
) -> None:
    volume = make_dimap2_product(
        tmp_path, width=1200, height=1000, tiles=(1, 1), acquired=acquisition()
    )
    report = ingest_paths([volume], full_storage, database_url, progress=False)
    [failure] = report.failed
    assert failure.message == f"no space left on {full_storage.storage}"
    assert list(full_storage.storage.iterdir()) == [], "no empty or partial folder is left"
    [dim] = volume.parent.glob("PROD_*/DIM_*.XML")
    from ingest import dimap2
    from ingest.pipeline import item_id

    assert get_item(database_url, "pleiades", item_id(dimap2.read_product(dim))) is None


def test_full_disk_while_unpacking_an_archive(
    tmp_path: Path, full_storage: Settings, database_url: str, collection_ids: list[str]
) -> None:
    folder = tmp_path / "delivery"
    make_dimap2_product(folder, width=800, height=800, tiles=(1, 1), acquired=acquisition())
    archive = Path(shutil.make_archive(str(tmp_path / "delivery"), "zip", folder))
    report = ingest_paths([archive], full_storage, database_url, progress=False)
    [failure] = report.failed
    assert failure.message == f"delivery.zip: no space left on {full_storage.storage}"
    assert list(full_storage.storage.iterdir()) == []
