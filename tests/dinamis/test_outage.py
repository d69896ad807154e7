"""Database outage (issue 8), on both apps as deployed (uvicorn --factory in processes of their
own) over a cluster of this module's own, whose postmaster the test kills and restarts: never
the session's cluster, which other tests use.

During the outage: 503 JSON with Retry-After within bounded time, no driver message, health
endpoints not 200, and no licensed pixel or file served once the access cache's TTL is over.
After the restart: the very first requests succeed (no dead pooled connection meets them)."""

import contextlib
import os
import signal
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import morecantile
import pytest

from dinamis import database
from dinamis.catalog import load_collections
from dinamis.embedded import port_in_use
from dinamis.serve import free_port
from dinamis.settings import Settings
from tests.entitlements import BOUNDS, Items, People, bearer, load_items, register_people
from tests.processes import Served, app_env, uvicorn_process

CACHE_TTL = 2
RETRY_AFTER = 7
# Each answer during the outage must come within the connect and pool timeouts (1 s each
# here), with a margin for a loaded machine; before the fix some requests hung for 30 s.
BOUNDED_S = 6
TILE = morecantile.tms.get("WebMercatorQuad").tile(
    (BOUNDS[0] + BOUNDS[2]) / 2, (BOUNDS[1] + BOUNDS[3]) / 2, 15
)
PICTURE = {"assets": "image", "rescale": "0,250"}


@dataclass(frozen=True)
class Outage:
    settings: Settings
    url: str
    people: People
    items: Items
    api: Served
    tiler: Served

    def postmaster_pid(self) -> int:
        return int((self.settings.pgdata / "postmaster.pid").read_text().splitlines()[0])

    def kill(self) -> None:
        """SIGKILL the postmaster and its backends: the database dies as in a crash."""
        pid = self.postmaster_pid()
        children = [
            int(stat.parent.name)
            for stat in Path("/proc").glob("[0-9]*/stat")
            if _parent(stat) == pid
        ]
        for victim in (pid, *children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while port_in_use(self.settings.pg_port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def restart(self) -> None:
        database.embedded_cluster(self.settings).start()


def _parent(stat: Path) -> int | None:
    try:
        return int(stat.read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


@pytest.fixture(scope="module")
def outage() -> Iterator[Outage]:
    data_dir = Path(tempfile.mkdtemp(prefix="dinamis-outage-"))
    data_dir.chmod(0o755)  # the cluster's account must enter it
    settings = Settings(
        data_dir=data_dir,
        database_url=None,
        pg_port=free_port(),
        api_port=free_port(),
        tiler_port=free_port(),
    )
    url = database.start(settings)
    try:
        load_collections(url, settings.collections_dir)
        people = register_people(url)
        items = load_items(url, settings)
        env = {
            **app_env(url, settings),
            "DINAMIS_ACCESS_CACHE_TTL": str(CACHE_TTL),
            "DINAMIS_DB_CONNECT_TIMEOUT": "1",
            "DINAMIS_DB_POOL_TIMEOUT": "1",
            "DINAMIS_DB_RETRY_AFTER": str(RETRY_AFTER),
        }
        with (
            uvicorn_process("stac_api.app:create_app", "/_mgmt/ping", env) as api,
            uvicorn_process("tiler.app:create_app", "/healthz", env) as tiler,
        ):
            yield Outage(settings, url, people, items, api, tiler)
    finally:
        database.embedded_cluster(settings).destroy()


def requests(o: Outage) -> dict[str, tuple[str, str, dict, dict]]:
    """What the apps serve from the database: name → (method, url, params, headers)."""
    licensed_item = f"collections/{o.items.licensed[0]}/items/{o.items.licensed[1]}"
    entitled = bearer(o.people.entitled)
    return {
        "search": ("GET", f"{o.api.url}/search", {"limit": "1"}, {}),
        "item": ("GET", f"{o.api.url}/{licensed_item}", {}, {}),
        "download": ("GET", f"{o.api.url}/{licensed_item}/assets/image/download", {}, entitled),
        "token": ("POST", f"{o.api.url}/auth/token", {}, entitled),
        "tile": (
            "GET",
            f"{o.tiler.url}/{licensed_item}/tiles/WebMercatorQuad/{TILE.z}/{TILE.x}/{TILE.y}.png",
            PICTURE,
            entitled,
        ),
        "open tile": (
            "GET",
            f"{o.tiler.url}/collections/{o.items.open[0]}/items/{o.items.open[1]}/tiles/"
            f"WebMercatorQuad/{TILE.z}/{TILE.x}/{TILE.y}.png",
            PICTURE,
            {},
        ),
        "api health": ("GET", f"{o.api.url}/_mgmt/health", {}, {}),
        "tiler health": ("GET", f"{o.tiler.url}/healthz", {}, {}),
    }


def call(method: str, url: str, params: dict, headers: dict) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = httpx.request(method, url, params=params, headers=headers, timeout=60)
    return response, time.monotonic() - started


def test_outage_and_recovery(outage: Outage) -> None:
    cases = requests(outage)
    for name, request in cases.items():
        response, _ = call(*request)
        assert response.status_code == 200, (name, response.text)

    outage.kill()
    # Past the access cache's lifetime: no decision may come from it without the database.
    time.sleep(CACHE_TTL + 0.5)
    for name, request in cases.items():
        response, elapsed = call(*request)
        assert response.status_code == 503, (name, response.status_code, response.text)
        assert elapsed < BOUNDED_S, (name, elapsed)
        if name != "api health":  # stac-fastapi's own health body
            assert response.headers["retry-after"] == str(RETRY_AFTER), name
            assert response.json()["code"] == "DatabaseUnavailable", name
        body = response.text.lower()
        for leak in ("postgres", "psycopg", "asyncpg", "errno", str(outage.settings.pg_port)):
            assert leak not in body, (name, leak, response.text)

    outage.restart()
    # The first request of each kind, and the ones after, succeed: no dead connection left.
    for _ in range(3):
        for name, request in cases.items():
            response, _ = call(*request)
            assert response.status_code == 200, (name, response.status_code, response.text)
