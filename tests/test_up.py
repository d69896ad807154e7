"""`dinamis up` as a new user runs it on an empty data folder: one command, then a catalogue of
demo products in every collection, pictures for each, and what to try next."""

import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import morecantile
import numpy as np
import pytest
from pystac_client import Client
from rasterio.io import MemoryFile

from dinamis.serve import free_port, wait_until_answering

COLLECTIONS = {"pleiades", "pleiades-neo", "spot-6-7", "spot-world-heritage"}
PLATFORMS = {
    "PHR1A",
    "PHR1B",
    "PNEO3",
    "PNEO4",
    "SPOT6",
    "SPOT7",
    "SPOT1",
    "SPOT2",
    "SPOT3",
    "SPOT4",
    "SPOT5",
}
MEMBER = "first.member@example.org"


@pytest.fixture(scope="module")
def running() -> Iterator[dict[str, Any]]:
    data_dir = Path(tempfile.mkdtemp(prefix="dinamis-up-"))
    data_dir.chmod(0o755)
    env = {
        **os.environ,
        "DINAMIS_DATA_DIR": str(data_dir),
        "DINAMIS_PG_PORT": str(free_port()),
        "DINAMIS_API_PORT": str(free_port()),
        "DINAMIS_TILER_PORT": str(free_port()),
        "DINAMIS_PORTAL_PORT": str(free_port()),
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
        health = (urls["api"], f"{urls['tiler']}/healthz", urls["portal"])
        if not wait_until_answering(health, process, timeout=300, interval=0.5):
            pytest.fail(f"dinamis up did not come up:\n{log.read_text()[-3000:]}")
        yield {**urls, "log": log, "env": env}
    finally:
        process.terminate()
        process.wait(timeout=30)
        subprocess.run([sys.executable, "-m", "dinamis", "db", "stop"], env=env, check=False)
        shutil.rmtree(data_dir, ignore_errors=True)


def dinamis(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "dinamis", *args], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def items(running: dict[str, Any]) -> list[Any]:
    return list(Client.open(running["api"]).search(max_items=200).items())


@pytest.fixture(scope="module")
def member_key(running: dict[str, Any]) -> str:
    """A first member account and key, made with the commands `dinamis up` prints."""
    log = running["log"].read_text()
    commands = [
        line.strip().removeprefix("dinamis ").replace("me@example.org", MEMBER)
        for line in log.splitlines()
        if line.strip().startswith("dinamis ") and "db stop" not in line
    ]
    assert commands and commands[-1].startswith("key issue"), log
    for command in commands:
        output = dinamis(running["env"], *shlex.split(command))
    key = re.search(r"dnm_\S+", output)
    assert key is not None, output
    return key.group(0)


def test_up_says_where_everything_is_and_what_to_try(running: dict[str, Any]) -> None:
    log = running["log"].read_text()
    assert running["api"] in log and f"{running['tiler']}/viewer" in log
    assert running["portal"] in log
    # The ingest's own lines, whole, when one is missing (the log is long and others interleave).
    ingest = [line for line in log.splitlines() if "ingested" in line or "FAILED" in line]
    assert "ingested 16, skipped 0, failed 0" in log, ingest
    assert f'Client.open("{running["api"]}")' in log
    assert f"STAC > New, URL {running['api']}" in log
    viewer = re.search(rf"{re.escape(running['tiler'])}/viewer\?collection=(\S+)&item=(\S+)", log)
    assert viewer is not None, log
    # The item the web map opens is one anyone may see: no key needed for its pixels.
    assert viewer.group(1) == "spot-world-heritage"
    page = httpx.get(viewer.group(0), timeout=30)
    assert page.status_code == 200 and "maplibre" in page.text.lower()
    item = httpx.get(f"{running['api']}/collections/{viewer.group(1)}/items/{viewer.group(2)}")
    assert item.status_code == 200


def test_demo_covers_every_collection_and_platform(items: list[Any]) -> None:
    assert {item.collection_id for item in items} == COLLECTIONS
    assert {item.properties["platform"] for item in items} == PLATFORMS
    geometries = {(i.collection_id, i.properties["dinamis:geometry"]) for i in items}
    assert geometries == {(c, g) for c in COLLECTIONS for g in ("map", "sensor")}
    swh_raw = [i for i in items if i.properties["processing:level"] == "1A"]
    assert swh_raw and all(i.properties["dinamis:geometry"] == "sensor" for i in swh_raw)
    clouds = {i.properties["eo:cloud_cover"] for i in items if "eo:cloud_cover" in i.properties}
    assert len(clouds) >= 5
    assert len({i.datetime.year for i in items}) >= 10
    # Multispectral and panchromatic (ids end with the spectral processing and the level).
    assert {i.id.split("_")[2] for i in items} >= {"ms", "p", "x", "i", "j"}


def test_pystac_client_finds_demo_products_by_place(running: dict[str, Any]) -> None:
    client = Client.open(running["api"])
    camargue = list(client.search(bbox=[4.3, 43.4, 4.5, 43.5], max_items=50).items())
    assert {i.collection_id for i in camargue} >= {"pleiades", "spot-6-7", "spot-world-heritage"}


def _centre_tile(item: Any) -> morecantile.Tile:
    west, south, east, north = item.bbox
    # A tile half as wide as the scene, at its centre: inside the image whatever its geometry.
    zoom = math.ceil(math.log2(720 / (east - west)))
    tms = morecantile.tms.get("WebMercatorQuad")
    return tms.tile((west + east) / 2, (south + north) / 2, zoom)


def _picture(response: httpx.Response) -> np.ndarray:
    assert response.status_code == 200, response.text
    with MemoryFile(response.content) as memory, memory.open() as image:
        return image.read()


def test_one_item_of_each_collection_tiles_into_a_picture(
    running: dict[str, Any], items: list[Any], member_key: str
) -> None:
    headers = {"Authorization": f"Bearer {member_key}"}
    for collection in sorted(COLLECTIONS):
        item = min(
            (i for i in items if i.collection_id == collection),
            key=lambda i: (i.properties.get("eo:cloud_cover", 0), i.id),
        )
        tile = _centre_tile(item)
        url = (
            f"{running['tiler']}/collections/{collection}/items/{item.id}"
            f"/tiles/WebMercatorQuad/{tile.z}/{tile.x}/{tile.y}.png"
        )
        if collection != "spot-world-heritage":  # licensed: no pixels without a key
            assert httpx.get(url, timeout=60).status_code in (401, 403)
        picture = _picture(httpx.get(url, headers=headers, timeout=60))
        # Grey or colour, with the alpha band of the image's valid pixels.
        assert picture.shape[0] in (2, 4), picture.shape
        values, alpha = picture[:-1].astype(float), picture[-1]
        assert (alpha > 0).mean() > 0.95, f"{item.id}: blank tile"
        assert values.std() > 10 and len(np.unique(values)) > 50, f"{item.id}: uniform tile"


def test_a_second_run_does_not_regenerate(running: dict[str, Any], items: list[Any]) -> None:
    output = dinamis(running["env"], "demo")
    assert f"catalogue holds {len(items)} items: demo products not generated" in output
    assert len(list(Client.open(running["api"]).search(max_items=200).items())) == len(items)


def test_portal_searches_the_demo_catalogue(running: dict[str, Any], items: list[Any]) -> None:
    swh = sum(1 for item in items if item.collection_id == "spot-world-heritage")
    page = httpx.get(f"{running['portal']}/catalogue?collection=spot-world-heritage")
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text and f"{swh} images trouvées" in page.text
