"""A batch ingest holds at most its pool's connections, whatever its length, and none after.

Watched from outside, in pg_stat_activity, while more products than the pool holds go through:
each product borrows a connection and gives it back (it used to keep one until the process
exited, and 120 products exhausted the server's connections).
"""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from dinamis.settings import Settings
from ingest.pipeline import ingest_paths
from ingest.relay import relay_paths
from ingest.swh_archive import generate_archive
from ingest.testing import make_dimap1_product
from tests.ingest.helpers import acquisition

# Client sessions of this database other than the watcher's own.
SESSIONS = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND backend_type = 'client backend'
  AND pid <> pg_backend_pid()
"""


class Watcher:
    """Samples the database's sessions every few milliseconds on a connection of its own."""

    def __init__(self, database_url: str) -> None:
        self.conn = psycopg.connect(database_url, autocommit=True)
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def count(self) -> int:
        row = self.conn.execute(SESSIONS).fetchone()
        assert row is not None
        return int(row[0])

    def settles_at(self, expected: int, timeout: float = 10.0) -> bool:
        """Whether the count comes back to ``expected``: a closed session's server process
        leaves pg_stat_activity a moment after the client has let it go."""
        deadline = time.monotonic() + timeout
        while self.count() != expected:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(self.count())
            time.sleep(0.005)

    @contextmanager
    def watching(self) -> Iterator[None]:
        self._thread.start()
        try:
            yield
        finally:
            self._stop.set()
            self._thread.join()

    def close(self) -> None:
        self.conn.close()


def test_batch_ingest_stays_within_its_pool(
    tmp_path: Path, ingest_settings: Settings, database_url: str, collection_ids: list[str]
) -> None:
    workers = 2
    products = [
        make_dimap1_product(tmp_path / str(n), level="2A", sensor="M", acquired=acquisition())
        for n in range(3 * workers + 1)
    ]
    watcher = Watcher(database_url)
    before = watcher.count()
    with watcher.watching():
        report = ingest_paths(
            products, ingest_settings, database_url, workers=workers, progress=False
        )
    assert len(report.ingested) == len(products), report.failed
    assert len(watcher.samples) > 10
    assert max(watcher.samples) - before <= workers
    assert max(watcher.samples) > before  # the watcher did see the ingest at work
    assert watcher.settles_at(before)
    watcher.close()


def test_relay_holds_one_connection(
    tmp_path: Path, ingest_settings: Settings, database_url: str, collection_ids: list[str]
) -> None:
    scenes = generate_archive(tmp_path, 40, seed=3)
    watcher = Watcher(database_url)
    before = watcher.count()
    with watcher.watching():
        report = relay_paths([tmp_path], ingest_settings, database_url, batch_size=5, workers=2)
    assert len(report.ingested) == len(scenes), report.failed
    assert max(watcher.samples) - before <= 1
    assert watcher.settles_at(before)
    watcher.close()
