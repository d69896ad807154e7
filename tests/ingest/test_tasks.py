"""The COG of a catalogue-first item, made by the project's procrastinate App (the jobs
package's, with this blueprint under the ``ingest`` namespace) on the test database, its worker
run until the queue is empty.
"""

import asyncio
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import procrastinate
import psycopg
import pytest
from typer.testing import CliRunner

from dinamis.settings import Settings
from ingest.cli import swh
from ingest.item import CATALOGUED, ORIGINAL, RELAY_PROPERTY
from ingest.load import get_item
from ingest.relay import relay_paths
from ingest.tasks import QUEUE, TASK, defer_cog
from ingest.testing import make_dimap1_product
from jobs.queue import worker_queue
from tests.ingest.helpers import acquisition

COLLECTION = "spot-world-heritage"


@pytest.fixture(scope="session")
def queue_url(database_url: str) -> str:
    """The test database, holding procrastinate's schema (from `dinamis db migrate`)."""
    return database_url


@pytest.fixture
def app(queue_url: str) -> Iterator[procrastinate.App]:
    with worker_queue(queue_url, 2) as app:
        yield app


def _run_worker(app: procrastinate.App) -> None:
    """Run the queue's jobs, then stop (wait=False: the worker returns once it is empty)."""

    async def run() -> None:
        async with app.open_async():
            await app.run_worker_async(
                queues=[QUEUE], wait=False, install_signal_handlers=False, listen_notify=False
            )

    asyncio.run(run())


def _jobs(queue_url: str) -> list[tuple[str, dict, str]]:
    with psycopg.connect(queue_url) as conn:
        rows = conn.execute(
            "SELECT task_name, args, status::text FROM procrastinate_jobs"
            " WHERE queue_name = %s ORDER BY id",
            (QUEUE,),
        ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def _catalogue(folder: Path, settings: Settings, database_url: str, count: int) -> list[str]:
    scenes = [
        make_dimap1_product(folder / str(n), level="1A", acquired=acquisition().replace(year=2003))
        for n in range(count)
    ]
    report = relay_paths(scenes, settings, database_url, progress=False)
    assert report.ok and len(report.ingested) == count, report.failed
    return [o.item_id for o in report.ingested if o.item_id is not None]


def test_worker_gives_a_catalogued_item_its_cog(
    tmp_path: Path,
    environment: Settings,
    database_url: str,
    app: procrastinate.App,
    queue_url: str,
) -> None:
    item_id, spoilt = _catalogue(tmp_path, environment, database_url, 2)
    catalogued = get_item(database_url, COLLECTION, item_id)
    assert catalogued is not None and "data" not in catalogued["assets"]
    # A scene whose image is unreadable once catalogued: its job fails, its item stays as is.
    before = get_item(database_url, COLLECTION, spoilt)
    assert before is not None
    Path(before["assets"]["image"]["href"]).write_bytes(b"not a TIFF")

    with app.open():
        assert defer_cog(app, COLLECTION, item_id)
        assert not defer_cog(app, COLLECTION, item_id)  # queued already
        assert defer_cog(app, COLLECTION, "no_such_item")
        assert defer_cog(app, COLLECTION, spoilt)
    _run_worker(app)

    item = get_item(database_url, COLLECTION, item_id)
    assert item is not None
    assert RELAY_PROPERTY not in item["properties"]
    cog = Path(urlsplit(item["assets"]["data"]["href"]).path)
    assert cog.is_file() and cog.is_relative_to(environment.storage)
    assert item["assets"]["data"]["roles"] == ["data"]
    assert "renders" in item["properties"] and "thumbnail" in item["assets"]
    # The delivered image stays downloadable as it was; the item keeps its first publication.
    assert item["assets"]["image"] == catalogued["assets"]["image"]
    assert ORIGINAL in item["assets"]["image"]["roles"]
    assert item["properties"]["created"] == catalogued["properties"]["created"]
    statuses = {args["item_id"]: status for _, args, status in _jobs(queue_url)}
    assert statuses[item_id] == "succeeded"
    assert statuses["no_such_item"] == statuses[spoilt] == "failed"
    assert get_item(database_url, COLLECTION, spoilt) == before
    assert not list(environment.storage.glob(f"{COLLECTION}/{spoilt}*"))


def test_operator_batch_queues_each_item_once(
    tmp_path: Path,
    environment: Settings,
    database_url: str,
    app: procrastinate.App,
    queue_url: str,
) -> None:
    ids = _catalogue(tmp_path, environment, database_url, 3)
    converted = {args["item_id"] for _, args, status in _jobs(queue_url) if status == "succeeded"}
    runner = CliRunner()
    result = runner.invoke(swh, ["cog", "--collection", COLLECTION, "--limit", "100"])
    assert result.exit_code == 0, result.output
    queued = [
        args["item_id"]
        for name, args, status in _jobs(queue_url)
        if status == "todo" and name == TASK
    ]
    # Items whose conversion failed stay catalogued and are queued again; converted ones not.
    assert set(ids) <= set(queued) and not converted & set(queued)
    again = runner.invoke(swh, ["cog", "--collection", COLLECTION, "--limit", "100"])
    assert again.exit_code == 0, again.output
    assert "queued 0 COG job(s)" in again.output
    _run_worker(app)
    for item_id in ids:
        item = get_item(database_url, COLLECTION, item_id)
        assert item is not None and "data" in item["assets"]
        assert item["properties"].get(RELAY_PROPERTY) != CATALOGUED
