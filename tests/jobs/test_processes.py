"""The OGC API - Processes documents, and requests refused at submission with the reason."""

import json
import shutil
from pathlib import Path

import httpx
import pytest
import rasterio

from dinamis.settings import Settings
from ingest.load import get_item, upsert_item
from jobs.models import CONFORMANCE
from jobs.settings import JobsSettings
from tests.entitlements import People, bearer
from tests.jobs.conftest import Dems, submit


def test_processes_are_described_and_conformance_declared(api_url: str, dems: Dems):
    processes = httpx.get(f"{api_url}/processes").json()
    (process,) = [p for p in processes["processes"] if p["id"] == "orthorectify"]
    assert process["jobControlOptions"] == ["async-execute", "dismiss"]
    description = httpx.get(f"{api_url}/processes/orthorectify").json()
    assert set(description["inputs"]) == {"item", "crs", "resolution", "dem", "resampling"}
    assert description["inputs"]["item"]["minOccurs"] == 1
    assert description["inputs"]["resolution"]["schema"]["exclusiveMinimum"] == 0
    assert description["inputs"]["dem"]["schema"]["enum"] == [*vars(dems), "none"]
    assert "ortho" in description["outputs"]
    conformance = httpx.get(f"{api_url}/conformance").json()["conformsTo"]
    assert set(CONFORMANCE) <= set(conformance)
    missing = httpx.get(f"{api_url}/processes/nothing")
    assert missing.status_code == 404
    assert missing.json()["type"].endswith("/no-such-process")


def test_only_signed_in_users_with_their_key_submit(api_url: str, raw_item: str, people: People):
    body = {"inputs": {"item": f"spot-world-heritage/{raw_item}"}}
    anonymous = httpx.post(f"{api_url}/processes/orthorectify/execution", json=body)
    assert anonymous.status_code == 401
    token = httpx.post(f"{api_url}/auth/token", headers=bearer(people.entitled)).json()
    with_token = httpx.post(
        f"{api_url}/processes/orthorectify/execution",
        json=body,
        params={"access_token": token["access_token"]},
    )
    assert with_token.status_code == 401
    assert httpx.get(f"{api_url}/jobs").status_code == 401


def test_a_job_page_past_the_offset_limit_is_refused(alice: httpx.Client) -> None:
    # Past 64 bits the database refused the offset (found by probing the API: a 500).
    for offset in (JobsSettings().max_offset + 1, 2**63):
        response = alice.get("/jobs", params={"offset": offset})
        assert response.status_code == 400, response.text
        assert "offset" in response.text and "less than or equal" in response.text


def _refused(client: httpx.Client, inputs: dict, status: int, words: str) -> None:
    response = submit(client, inputs)
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["status"] == status and problem["type"].startswith("http://www.opengis.net/")
    assert words in problem["detail"], problem["detail"]


def test_bad_requests_are_refused_with_the_reason(
    alice: httpx.Client, raw_item: str, dems: Dems, people: People, access_items
):
    item = f"spot-world-heritage/{raw_item}"
    before = alice.get("/jobs").json()["jobs"]
    _refused(alice, {"item": "spot-world-heritage/NOPE"}, 404, "no item 'NOPE'")
    _refused(alice, {"item": "not an item"}, 400, "item")
    _refused(alice, {"item": item, "resolution": 0.001}, 400, "finer than")
    _refused(alice, {"item": item, "resolution": 1e6}, 400, "larger than the scene")
    _refused(alice, {"item": item, "resolution": -3}, 400, "greater than 0")
    _refused(alice, {"item": item, "dem": "far"}, 400, "does not cover the scene")
    _refused(alice, {"item": item, "dem": "moon"}, 400, "no elevation model 'moon'")
    _refused(alice, {"item": item, "crs": "EPSG:4326"}, 400, "not a projected CRS in metres")
    _refused(alice, {"item": item, "crs": "EPSG:999999"}, 400, "unknown coordinate")
    _refused(alice, {"item": item, "resampling": "magic"}, 400, "resampling")
    _refused(alice, {"item": item, "colour": "red"}, 400, "colour")
    # A map-projected item has nothing to rectify.
    _refused(alice, {"item": "/".join(access_items.open)}, 400, "already map-projected")
    # A licensed item the user may not read is refused before anything is queued.
    with httpx.Client(base_url=str(alice.base_url), headers=bearer(people.no_licence)) as bob:
        response = submit(bob, {"item": "/".join(access_items.licensed)})
        assert response.status_code == 403, response.text
        assert "licence" in response.json()["detail"]
    malformed = alice.post("/processes/orthorectify/execution", content=b"{not json")
    assert malformed.status_code == 400
    assert alice.get("/jobs").json()["jobs"] == before, "a refused request made a job"


def test_a_dem_whose_heights_cannot_be_made_ellipsoidal_is_refused(
    alice: httpx.Client, raw_item: str, dems: Dems, monkeypatch: pytest.MonkeyPatch
):
    """Heights above EGM2008, whose grid Debian's PROJ data lacks: GDAL would read them as
    above the ellipsoid without a word, tens of metres off, so the request is refused."""
    item = f"spot-world-heritage/{raw_item}"
    before = alice.get("/jobs").json()["jobs"]
    monkeypatch.setenv("DINAMIS_ORTHO_DEM_CRS", json.dumps({"alps": "EPSG:4326+3855"}))
    _refused(alice, {"item": item, "dem": "alps"}, 400, "grid is not installed")
    monkeypatch.setenv("DINAMIS_ORTHO_DEM_CRS", json.dumps({"alps": "EPSG:4326+1"}))
    _refused(alice, {"item": item, "dem": "alps"}, 400, "not understood")
    assert alice.get("/jobs").json()["jobs"] == before, "a refused request made a job"


def test_a_raw_scene_without_tie_points_is_refused(
    alice: httpx.Client, raw_item: str, dems: Dems, database_url: str, settings: Settings
):
    item = get_item(database_url, "spot-world-heritage", raw_item)
    assert item is not None
    source = item["assets"]["data"]["href"]
    bare = settings.storage / "spot-world-heritage" / "NO-GCP" / "image.tif"
    bare.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(source) as src:
        profile = {**src.profile, "driver": "GTiff"}
        profile.pop("gcps", None)
        data = src.read()
    with rasterio.open(bare, "w", **profile) as dst:
        dst.write(data)
    item = {**item, "id": "NO-GCP"}
    item["assets"] = {**item["assets"], "data": {**item["assets"]["data"], "href": str(bare)}}
    upsert_item(database_url, item)
    _refused(alice, {"item": "spot-world-heritage/NO-GCP"}, 400, "no tie points")


def _copied(
    database_url: str, settings: Settings, raw_item: str, item_id: str, collection: str, folder: str
) -> Path:
    """The raw scene catalogued again as ``collection``/``item_id``, its image copied into
    the storage folder of the collection ``folder``; the copy's path."""
    item = get_item(database_url, "spot-world-heritage", raw_item)
    assert item is not None
    image = settings.storage / folder / item_id / "image.tif"
    image.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(item["assets"]["data"]["href"], image)
    item = {**item, "id": item_id, "collection": collection}
    item["assets"] = {**item["assets"], "data": {**item["assets"]["data"], "href": str(image)}}
    upsert_item(database_url, item)
    return image


def test_a_licensed_scene_is_not_rectified_into_the_open_collection(
    alice: httpx.Client, raw_item: str, dems: Dems, database_url: str, settings: Settings
):
    # A raw scene of a licensed collection, which alice may read: its rectified pixels would be
    # published in the open collection, for everyone.
    licensed = _copied(database_url, settings, raw_item, "RAW-LICENSED", "pleiades", "pleiades")
    before = alice.get("/jobs").json()["jobs"]
    _refused(alice, {"item": "pleiades/RAW-LICENSED"}, 400, "only scenes of open collections")
    assert alice.get("/jobs").json()["jobs"] == before, "a refused request made a job"
    # Her right to the scene itself is untouched.
    download = alice.get("/collections/pleiades/items/RAW-LICENSED/assets/data/download")
    assert download.status_code == 200
    assert download.content == licensed.read_bytes()


def test_a_scene_naming_another_collections_file_is_not_read(
    alice: httpx.Client, raw_item: str, dems: Dems, database_url: str, settings: Settings
):
    # An open item whose href names a licensed collection's file: rectifying it would publish
    # that file's pixels in the open collection.
    _copied(database_url, settings, raw_item, "RAW-ELSEWHERE", "spot-world-heritage", "pleiades")
    _refused(alice, {"item": "spot-world-heritage/RAW-ELSEWHERE"}, 400, "not available")
    # Ingested scenes keep their files in their own collection's folder, where they are read.
    raw = get_item(database_url, "spot-world-heritage", raw_item)
    assert raw is not None
    assert raw["assets"]["data"]["href"].startswith(str(settings.storage / "spot-world-heritage"))
