"""The relay's deferred COGs run by the project's own worker: a raw SWH scene catalogued from
its metadata, queued by the operator's `dinamis swh cog` or by the tiler serving it first,
converted by a `dinamis worker` process taking jobs from every package's blueprints."""

import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import morecantile
import psycopg
import pytest
from typer.testing import CliRunner

from access.settings import AccessSettings
from dinamis.serve import BackgroundServer, free_port
from dinamis.settings import Settings, get_settings
from ingest.cli import swh
from ingest.item import RELAY_PROPERTY
from ingest.load import get_item
from ingest.relay import relay_paths
from ingest.tasks import TASK
from ingest.testing import make_dimap1_product
from tests.ingest.helpers import acquisition
from tests.jobs.conftest import CENTRE, Workers
from tiler.app import create_app
from tiler.settings import TilerSettings

COLLECTION = "spot-world-heritage"


def test_the_worker_gives_a_relayed_scene_its_cog(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    database_url: str,
    api_url: str,
    workers: Workers,
) -> None:
    # The command line reads its settings from the environment, as the worker does.
    for name, value in workers.env.items():
        if name.startswith("DINAMIS_"):
            monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    scene = make_dimap1_product(
        tmp_path / "relayed", level="1A", center=CENTRE, acquired=acquisition()
    )
    report = relay_paths([scene], settings, database_url, progress=False)
    (outcome,) = report.ingested
    catalogued = get_item(database_url, COLLECTION, outcome.item_id)
    assert catalogued is not None
    assert "data" not in catalogued["assets"] and "image" in catalogued["assets"]

    queued = CliRunner().invoke(
        swh,
        ["cog", "--collection", COLLECTION, "--limit", "1000"],
    )
    get_settings.cache_clear()
    assert queued.exit_code == 0, queued.output
    workers.start()

    deadline = time.monotonic() + 240
    while (
        "data" not in (item := get_item(database_url, COLLECTION, outcome.item_id) or {})["assets"]
    ):
        assert time.monotonic() < deadline, f"no COG after 240 s: {item['assets']}"
        time.sleep(0.5)
    # Searchable and served like any ingested item.
    served = httpx.get(f"{api_url}/collections/{COLLECTION}/items/{outcome.item_id}")
    assert served.status_code == 200 and "data" in served.json()["assets"]
    assert RELAY_PROPERTY not in item["properties"]
    assert Path(urlsplit(item["assets"]["data"]["href"]).path).is_file()
    assert item["assets"]["image"]["href"] == catalogued["assets"]["image"]["href"]
    assert _cog_jobs(database_url, outcome.item_id) == ["succeeded"]


def test_serving_a_relayed_scene_queues_its_cog_once(
    tmp_path: Path,
    settings: Settings,
    database_url: str,
    access: AccessSettings,
    workers: Workers,
) -> None:
    scene = make_dimap1_product(
        tmp_path / COLLECTION / "first-use", level="1A", center=CENTRE, acquired=acquisition()
    )
    report = relay_paths([scene], settings, database_url, progress=False)
    (outcome,) = report.ingested
    # The delivered files where they lie, and the COGs where the worker writes them.
    roots = [tmp_path, settings.storage]
    tiler_settings = TilerSettings(storage_roots=roots, catalogue_cache_seconds=0)
    server = BackgroundServer(create_app(database_url, tiler_settings, access), free_port())
    server.start()
    try:
        info = f"{server.url}/collections/{COLLECTION}/items/{outcome.item_id}/info"
        # Its delivered file has no location of its own: refused with the reason until the COG
        # is made; asked for twice, queued once.
        for _ in range(2):
            answer = httpx.get(info, timeout=60)
            assert answer.status_code == 409, answer.text
            assert "once its COG is made" in answer.json()["detail"]
        deadline = time.monotonic() + 30
        while not _cog_jobs(database_url, outcome.item_id):
            assert time.monotonic() < deadline, "no COG job queued after 30 s"
            time.sleep(0.2)
        assert httpx.get(info, timeout=60).status_code == 409
        # A collection mosaic over it skips it (logged) rather than failing the tile.
        tile = morecantile.tms.get("WebMercatorQuad").tile(*CENTRE, 10)
        mosaic = httpx.get(
            f"{server.url}/collections/{COLLECTION}/tiles/WebMercatorQuad/"
            f"{tile.z}/{tile.x}/{tile.y}.png",
            timeout=60,
        )
        # (drawn from the other suites' COGs there, if any; empty otherwise).
        assert mosaic.status_code in (200, 204), mosaic.text
        time.sleep(1)
        assert len(_cog_jobs(database_url, outcome.item_id)) == 1
        workers.start()
        deadline = time.monotonic() + 240
        while "data" not in (get_item(database_url, COLLECTION, outcome.item_id) or {})["assets"]:
            assert time.monotonic() < deadline, "no COG after 240 s"
            time.sleep(0.5)
        assert _cog_jobs(database_url, outcome.item_id) == ["succeeded"]
        # Then served in place, from its COG.
        answer = httpx.get(info, timeout=60)
        assert answer.status_code == 200, answer.text
    finally:
        server.stop()


def _cog_jobs(database_url: str, item_id: str) -> list[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT status::text FROM procrastinate_jobs WHERE task_name = %s"
            " AND args->>'item_id' = %s",
            (TASK, item_id),
        ).fetchall()
    return [status for (status,) in rows]
