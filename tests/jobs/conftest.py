"""Ortho-rectification jobs end to end: raw SWH scenes ingested into the catalogue, DEMs,
real `dinamis worker` processes on the test database, the STAC API with /processes."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from dinamis.settings import REPO_ROOT, Settings
from ingest.pipeline import ingest_paths
from ingest.testing import make_dimap1_product
from ortho.testing import write_dem
from tests.entitlements import People, bearer
from tests.mail import SmtpServer

CENTRE = (6.3, 45.2)
FAR = (-3.0, 48.0)
TERMINAL = {"successful", "failed", "dismissed"}


@dataclass(frozen=True)
class Dems:
    alps: Path
    far: Path


@pytest.fixture(scope="session")
def dems(settings: Settings) -> Iterator[Dems]:
    """Two DEMs offered by the server (`alps` under the scenes, `far` elsewhere), in the
    settings the API reads at each request."""
    found = Dems(
        alps=write_dem(settings.data_dir / "dem" / "alps.tif", CENTRE),
        far=write_dem(settings.data_dir / "dem" / "far.tif", FAR),
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DINAMIS_ORTHO_DEMS", json.dumps({k: str(v) for k, v in vars(found).items()}))
        patch.setenv("DINAMIS_ORTHO_DEFAULT_DEM", "alps")
        yield found


def ingest_raw(settings: Settings, database_url: str, name: str, **product: Any) -> str:
    """A level-1A SWH product made and ingested (or found unchanged: the portal's suite
    shares these fixtures, made once more for it); its item id."""
    dim = make_dimap1_product(settings.data_dir / "deliveries" / name, center=CENTRE, **product)
    report = ingest_paths([dim], settings, database_url, progress=False)
    assert not report.failed, report.failed
    (outcome,) = report.ingested + report.skipped
    assert outcome.item_id
    return outcome.item_id


@pytest.fixture(scope="session")
def raw_item(settings: Settings, database_url: str, collection_ids: list[str]) -> str:
    return ingest_raw(settings, database_url, "small", mission_index=4, sensor="M", gsd=10.0,
                      width=400, height=300, incidence=-14.0)  # fmt: skip


@pytest.fixture(scope="session")
def big_raw_item(settings: Settings, database_url: str, collection_ids: list[str]) -> str:
    """Big enough that a worker can be killed while gdalwarp still runs."""
    return ingest_raw(settings, database_url, "big", mission_index=5, sensor="J", gsd=10.0,
                      width=2000, height=2000, incidence=19.0)  # fmt: skip


@pytest.fixture(scope="session")
def alice(people: People, api_url: str) -> Iterator[httpx.Client]:
    """An active user (alice@ign.test) with her API key."""
    with httpx.Client(base_url=api_url, headers=bearer(people.entitled), timeout=60) as client:
        yield client


@pytest.fixture(scope="session")
def rita(people: People, api_url: str) -> Iterator[httpx.Client]:
    """Another user of the same entity (a referent)."""
    with httpx.Client(base_url=api_url, headers=bearer(people.referent), timeout=60) as client:
        yield client


class Workers:
    """`dinamis worker` processes on the test database, stopped at the end."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.processes: list[subprocess.Popen] = []

    def start(self, **settings: str) -> subprocess.Popen:
        log = (self.logs / f"worker-{len(self.processes)}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "dinamis", "worker"],
            env={**self.env, **settings},
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def workers(
    settings: Settings, database_url: str, dems: Dems, smtp: SmtpServer, api_url: str,
    tmp_path: Path,
) -> Iterator[Workers]:  # fmt: skip
    env = {
        **os.environ,
        "DINAMIS_DATABASE_URL": database_url,
        "DINAMIS_DATA_DIR": str(settings.data_dir),
        "DINAMIS_STORAGE_ROOT": str(settings.storage),
        "DINAMIS_API_PUBLIC_URL": api_url,
        "DINAMIS_SMTP_HOST": "127.0.0.1",
        "DINAMIS_SMTP_PORT": str(smtp.controller.port),
        "DINAMIS_JOBS_HEARTBEAT_SECONDS": "1",
        "DINAMIS_JOBS_STALLED_SECONDS": "4",
        "DINAMIS_JOBS_RECOVERY_CRON": "* * * * * */2",
        "DINAMIS_ORTHO_THREADS": "1",
    }
    started = Workers(env, tmp_path)
    yield started
    started.stop_all()


def wait_for(
    client: httpx.Client,
    url: str,
    done: Callable[[dict[str, Any]], bool],
    timeout: float = 240,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status = client.get(url).raise_for_status().json()
        if done(status):
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"job still {status['status']} after {timeout} s: {status}")
        time.sleep(0.3)


def submit(client: httpx.Client, inputs: dict[str, Any]) -> httpx.Response:
    return client.post(
        "/processes/orthorectify/execution",
        json={"inputs": inputs},
        headers={"Prefer": "respond-async"},
    )


class Receiver:
    """An HTTP server on loopback keeping what is POSTed to it: a callback receiver."""

    def __init__(self) -> None:
        received: list[tuple[str, dict[str, Any]]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append((self.path, json.loads(body)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.received = received
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, path: str, timeout: float = 60) -> dict[str, Any]:
        """The first document POSTed to ``path``."""
        deadline = time.monotonic() + timeout
        while not (found := [doc for at, doc in self.received if at == path]):
            assert time.monotonic() < deadline, f"nothing POSTed to {path}: {self.received}"
            time.sleep(0.1)
        return found[0]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver()
    yield started
    started.server.shutdown()
    started.server.server_close()
