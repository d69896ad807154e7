"""An ingest killed with SIGKILL while writing its COG, then a second run that completes."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from dinamis.settings import REPO_ROOT, Settings
from ingest.load import get_item
from ingest.pipeline import ingest_paths
from ingest.storage import PARTIAL
from ingest.testing import make_dimap2_product
from tests.ingest.helpers import acquisition

CHILD = """
import sys
from pathlib import Path
from dinamis.settings import Settings
from ingest.pipeline import ingest_paths
url, storage, product = sys.argv[1:]
settings = Settings(data_dir=Path(storage).parent, storage_root=Path(storage))
ingest_paths([Path(product)], settings, url, progress=False)
"""


def wait_for_partial_cog(storage: Path, process: subprocess.Popen, timeout: float = 60) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        partial = [p for p in storage.rglob(f"{PARTIAL}*/*") if p.is_file()]
        if partial:
            return partial[0]
        time.sleep(0.005)
    raise AssertionError("the ingest never started writing its COG")


def test_killed_ingest_leaves_no_item_and_next_run_cleans_up(
    tmp_path: Path,
    ingest_settings: Settings,
    database_url: str,
    collection_ids: list[str],
) -> None:
    volume = make_dimap2_product(
        tmp_path, width=2000, height=2000, tiles=(2, 2), acquired=acquisition()
    )
    storage = ingest_settings.storage
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, database_url, str(storage), str(volume)],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    partial_file = wait_for_partial_cog(storage, child)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    item_folder = partial_file.parent.parent
    item_id = item_folder.name
    assert get_item(database_url, "pleiades", item_id) is None
    assert not (item_folder / f"{item_id}.tif").exists()
    assert partial_file.parent.exists()  # the killed run's leftovers, until the next run

    report = ingest_paths([volume], ingest_settings, database_url, progress=False)
    assert [o.item_id for o in report.ingested] == [item_id]
    assert not list(storage.rglob(f"{PARTIAL}*"))
    item = get_item(database_url, "pleiades", item_id)
    assert all(Path(a["href"]).is_file() for a in item["assets"].values())
