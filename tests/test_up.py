"""`dinamis up` as a new user runs it: one command, then the catalogue answers with real items."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pystac_client import Client

from dinamis.serve import free_port


@pytest.fixture(scope="module")
def running(samples: Path) -> Iterator[dict[str, str]]:
    data_dir = Path(tempfile.mkdtemp(prefix="dinamis-up-", dir="/tmp"))
    data_dir.chmod(0o755)
    env = {
        **os.environ,
        "DINAMIS_DATA_DIR": str(data_dir),
        "DINAMIS_PG_PORT": str(free_port()),
        "DINAMIS_API_PORT": str(free_port()),
        "DINAMIS_TILER_PORT": str(free_port()),
        "DINAMIS_PORTAL_PORT": str(free_port()),
        "DINAMIS_SAMPLES_DIR": str(samples),
    }
    for variable in ("DATABASE_URL", "PGHOST"):
        env.pop(variable, None)
    urls = {
        "api": f"http://127.0.0.1:{env['DINAMIS_API_PORT']}",
        "tiler": f"http://127.0.0.1:{env['DINAMIS_TILER_PORT']}",
        "portal": f"http://127.0.0.1:{env['DINAMIS_PORTAL_PORT']}",
    }
    log = data_dir / "up.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "dinamis", "up"], env=env, stdout=output, stderr=output
        )
    try:
        deadline = time.monotonic() + 240
        while not all(
            _answers(url) for url in (urls["api"], f"{urls['tiler']}/healthz", urls["portal"])
        ):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"dinamis up did not come up:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield {**urls, "log": str(log)}
    finally:
        process.terminate()
        process.wait(timeout=30)
        subprocess.run([sys.executable, "-m", "dinamis", "db", "stop"], env=env, check=False)
        shutil.rmtree(data_dir, ignore_errors=True)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def test_up_says_where_everything_is(running: dict[str, str]) -> None:
    log = Path(running["log"]).read_text()
    assert running["api"] in log and f"{running['tiler']}/viewer" in log
    assert running["portal"] in log
    assert "ingested 2" in log


def test_pystac_client_finds_the_sample_products(running: dict[str, str]) -> None:
    client = Client.open(running["api"])
    found = {item.collection_id: item for item in client.search(max_items=50).items()}
    assert set(found) == {"pleiades-neo", "spot-world-heritage"}
    assert found["spot-world-heritage"].properties["platform"] == "SPOT4"


def test_tiler_renders_the_open_sample(running: dict[str, str]) -> None:
    client = Client.open(running["api"])
    item = next(client.search(collections=["spot-world-heritage"]).items())
    preview = next(link.href for link in item.links if link.rel == "preview")
    assert preview.startswith(running["tiler"])
    response = httpx.get(preview, timeout=60)
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"\x89PNG")


def test_web_map_is_served(running: dict[str, str]) -> None:
    page = httpx.get(f"{running['tiler']}/viewer")
    assert page.status_code == 200
    assert "maplibre" in page.text.lower()


def test_portal_searches_the_samples(running: dict[str, str]) -> None:
    page = httpx.get(f"{running['portal']}/catalogue?collection=spot-world-heritage")
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text and "1 image trouvée" in page.text
