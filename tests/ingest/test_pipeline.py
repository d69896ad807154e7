"""Whole ingests into the real pgSTAC: items, files, search, idempotence and bad input."""

import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
import rasterio

from dinamis.settings import Settings
from ingest.item import COG_MEDIA_TYPE
from ingest.load import get_item
from ingest.pipeline import ingest_paths
from ingest.storage import PARTIAL
from ingest.testing import make_dimap1_product, make_dimap2_product
from tests.ingest.helpers import acquisition, as_loaded
from tests.stac_schemas import validate


def ingest(paths: list[Path], settings: Settings, url: str, **options: Any):
    return ingest_paths(paths, settings, url, progress=False, **options)


@pytest.fixture
def delivery(tmp_path: Path) -> dict[str, Path]:
    """A folder of several deliveries of every family."""
    root = tmp_path / "deliveries"
    return {
        "phr": make_dimap2_product(
            root / "phr",
            width=260,
            height=200,
            tiles=(2, 2),
            cloud_cover=3.0,
            incidence=8.0,
            acquired=acquisition(),
        ),
        "pneo": make_dimap2_product(
            root / "pneo",
            mission="PNEO",
            spectral="MS-FS",
            level="SEN",
            tile_format="JP2",
            cloud_cover=40.0,
            incidence=25.0,
            acquired=acquisition(),
        ),
        "spot": make_dimap2_product(
            root / "spot", mission="SPOT", spectral="P", level="PRJ", acquired=acquisition()
        ),
        "swh": make_dimap1_product(root / "swh", acquired=acquisition()),
        "root": root,
    }


def test_folder_of_deliveries_is_ingested(
    delivery: dict[str, Path],
    ingest_settings: Settings,
    database_url: str,
    api_url: str,
) -> None:
    report = ingest([delivery["root"]], ingest_settings, database_url)
    assert report.failed == [] and report.skipped == []
    assert len(report.ingested) == 4
    by_collection = {o.message.removeprefix("into "): o.item_id for o in report.ingested}
    assert set(by_collection) == {"pleiades", "pleiades-neo", "spot-6-7", "spot-world-heritage"}
    for collection, item_id in by_collection.items():
        item = get_item(database_url, collection, item_id)
        assert item is not None
        # PHR MS ORT, PNEO MS-FS SEN, SPOT P PRJ and SWH 1A: each kind of item ingest builds.
        validate(as_loaded(database_url, api_url, collection, item_id))
        data = item["assets"]["data"]
        assert data["type"] == COG_MEDIA_TYPE
        cog = Path(data["href"])
        assert cog == ingest_settings.storage / collection / item_id / f"{item_id}.tif"
        assert cog.is_file() and data["file:size"] == cog.stat().st_size
        for asset in item["assets"].values():
            assert Path(asset["href"]).is_file()
            assert Path(asset["href"]).is_relative_to(ingest_settings.storage)
        with rasterio.open(cog) as src:
            assert src.count == len(data["bands"])
    pneo = get_item(database_url, "pleiades-neo", by_collection["pleiades-neo"])
    props = pneo["properties"]
    assert props["dinamis:geometry"] == "sensor" and props["processing:level"] == "SEN"
    assert "rpc" in pneo["assets"]
    assert [b["eo:common_name"] for b in pneo["assets"]["data"]["bands"]] == [
        "red",
        "green",
        "blue",
        "nir",
        "rededge",
        "coastal",
    ]
    assert props["renders"]["true-color"]["asset_bidx"] == "data|1,2,3"
    assert props["renders"]["false-color"]["asset_bidx"] == "data|4,1,2"
    assert props["eo:cloud_cover"] == 40.0 and props["view:incidence_angle"] == 25.0
    assert props["start_datetime"] < props["end_datetime"]
    phr = get_item(database_url, "pleiades", by_collection["pleiades"])
    assert phr["assets"]["data"]["proj:code"] == "EPSG:32631"
    assert phr["properties"]["gsd"] == 2.0
    assert phr["assets"]["data"]["raster:bits_per_sample"] == 12
    with rasterio.open(phr["assets"]["data"]["href"]) as src:
        assert src.tags(1, ns="IMAGE_STRUCTURE")["NBITS"] == "12"
    # The generator looks from 95.5°: Pléiades Neo says so, Pléiades through its incidences.
    assert props["view:azimuth"] == pytest.approx(95.5)
    assert phr["properties"]["view:azimuth"] == pytest.approx(95.5)
    spot = get_item(database_url, "spot-6-7", by_collection["spot-6-7"])
    assert list(spot["properties"]["renders"]) == ["grey"]
    swh = get_item(database_url, "spot-world-heritage", by_collection["spot-world-heritage"])
    assert swh["properties"]["dinamis:geometry"] == "sensor"
    assert swh["properties"]["renders"]["false-color"]["asset_bidx"] == "data|3,1,2"


def test_served_licensed_item_validates_with_its_auth_fields(
    tmp_path: Path, ingest_settings: Settings, database_url: str, api_url: str
) -> None:
    volume = make_dimap2_product(tmp_path, acquired=acquisition())
    [done] = ingest([volume], ingest_settings, database_url).ingested
    served = httpx.get(f"{api_url}/collections/pleiades/items/{done.item_id}", timeout=30).json()
    assert "auth:schemes" in served["properties"]
    validate(served)


def test_search_by_cloud_cover_and_incidence(
    delivery: dict[str, Path],
    ingest_settings: Settings,
    database_url: str,
    api_url: str,
) -> None:
    report = ingest([delivery["root"]], ingest_settings, database_url)
    ids = {o.item_id for o in report.ingested}
    search = {
        "filter-lang": "cql2-json",
        "filter": {
            "op": "and",
            "args": [
                {"op": "<=", "args": [{"property": "eo:cloud_cover"}, 10]},
                {"op": "<=", "args": [{"property": "view:incidence_angle"}, 10]},
            ],
        },
        "limit": 100,
    }
    found = httpx.post(f"{api_url}/search", json=search, timeout=30).json()["features"]
    matching = {f["id"] for f in found} & ids
    phr_id = next(o.item_id for o in report.ingested if o.message == "into pleiades")
    assert matching == {phr_id}
    spot_id = next(o.item_id for o in report.ingested if o.message == "into spot-6-7")
    search["filter"]["args"][1]["args"][1] = 30
    found = httpx.post(f"{api_url}/search", json=search, timeout=30).json()["features"]
    assert {f["id"] for f in found} & ids == {phr_id, spot_id}  # PNEO is at 40 % cloud
    search["filter"]["args"][0]["args"][1] = 50
    found = httpx.post(f"{api_url}/search", json=search, timeout=30).json()["features"]
    pneo_id = next(o.item_id for o in report.ingested if o.message == "into pleiades-neo")
    assert {phr_id, pneo_id} <= {f["id"] for f in found}


def test_reingest_is_a_noop_and_force_rebuilds(
    tmp_path: Path,
    ingest_settings: Settings,
    database_url: str,
    collection_ids: list[str],
) -> None:
    volume = make_dimap2_product(tmp_path, acquired=acquisition())
    first = ingest([volume], ingest_settings, database_url)
    [done] = first.ingested
    cog = ingest_settings.storage / "pleiades" / done.item_id / f"{done.item_id}.tif"
    mtime = cog.stat().st_mtime_ns
    second = ingest([volume], ingest_settings, database_url)
    assert [o.item_id for o in second.skipped] == [done.item_id] and not second.ingested
    assert cog.stat().st_mtime_ns == mtime
    forced = ingest([volume], ingest_settings, database_url, force=True)
    assert [o.item_id for o in forced.ingested] == [done.item_id]
    assert cog.stat().st_mtime_ns != mtime
    # A changed delivery (new cloud figure) is rebuilt without --force.
    dim = next(volume.parent.glob("PROD_*/DIM_*.XML"))
    dim.write_text(dim.read_text().replace(">5.0</CLOUD_COVERAGE>", ">6.5</CLOUD_COVERAGE>"))
    changed = ingest([volume], ingest_settings, database_url)
    assert [o.item_id for o in changed.ingested] == [done.item_id]
    item = get_item(database_url, "pleiades", done.item_id)
    assert item["properties"]["eo:cloud_cover"] == 6.5


def test_dry_run_writes_nothing(
    tmp_path: Path,
    ingest_settings: Settings,
    database_url: str,
    collection_ids: list[str],
) -> None:
    volume = make_dimap2_product(tmp_path, acquired=acquisition())
    report = ingest([volume], ingest_settings, database_url, dry_run=True)
    [planned] = report.ingested
    assert report.summary().startswith("would ingest 1")
    assert get_item(database_url, "pleiades", planned.item_id) is None
    assert not any(ingest_settings.storage.rglob("*.tif"))


def test_bad_inputs_fail_alone_with_one_line_each(
    tmp_path: Path,
    ingest_settings: Settings,
    database_url: str,
    collection_ids: list[str],
) -> None:
    good = make_dimap2_product(tmp_path / "good", acquired=acquisition())
    corrupt = make_dimap2_product(tmp_path / "corrupt", volume=False, acquired=acquisition())
    corrupt.write_text(corrupt.read_text()[:300])
    missing = make_dimap2_product(tmp_path / "missing", volume=False, acquired=acquisition())
    next(missing.parent.glob("IMG_*_R2C1.TIF")).unlink()
    unreadable = make_dimap2_product(
        tmp_path / "jp2", volume=False, tile_format="JP2", acquired=acquisition()
    )
    next(unreadable.parent.glob("IMG_*_R1C2.JP2")).write_bytes(b"not a jpeg 2000 file")
    nonsense = make_dimap2_product(tmp_path / "nonsense", volume=False, acquired=acquisition())
    nonsense.write_text(nonsense.read_text().replace("<LON>5.", "<LON>-195.", 1))
    unknown = tmp_path / "notes.txt"
    unknown.write_text("hello")
    broken_zip = tmp_path / "delivery.zip"
    broken_zip.write_bytes(b"PK\x03\x04 truncated")
    report = ingest(
        [good, corrupt, missing, unreadable, nonsense, unknown, broken_zip],
        ingest_settings,
        database_url,
        workers=2,
    )
    assert len(report.ingested) == 1
    causes = {Path(o.product).name: o.message for o in report.failed}
    assert len(causes) == 6
    assert "not well-formed XML" in causes[corrupt.name]
    assert "missing image file" in causes[missing.name] and "R2C1" in causes[missing.name]
    assert "unreadable image" in causes[unreadable.name]
    assert "is not lon/lat" in causes[nonsense.name]
    assert "unknown format" in causes["notes.txt"]
    assert "cannot unpack" in causes["delivery.zip"]
    assert all("\n" not in message for message in causes.values())
    assert report.summary() == "ingested 1, skipped 0, failed 6"
    assert not report.ok


def test_one_item_id_twice_in_a_batch_keeps_the_first_product(
    tmp_path: Path, ingest_settings: Settings, database_url: str, collection_ids: list[str]
) -> None:
    when = acquisition()
    first = make_dimap2_product(tmp_path / "first", acquired=when, cloud_cover=5.0)
    shutil.copytree(tmp_path / "first", tmp_path / "again")
    other = make_dimap2_product(tmp_path / "other", acquired=when, cloud_cover=9.0)
    report = ingest([first, tmp_path / "again" / first.name, other], ingest_settings, database_url)
    [done], [again], [refused] = report.ingested, report.skipped, report.failed
    assert again.message == f"the same product as {next(first.parent.glob('PROD_*/DIM_*'))}"
    assert refused.product.startswith(str(tmp_path / "other"))
    assert refused.message.startswith(f"item id {done.item_id} is already ")
    item = get_item(database_url, "pleiades", done.item_id)
    assert item is not None and item["properties"]["eo:cloud_cover"] == 5.0


def test_an_item_id_whose_first_product_failed_is_free_for_the_next(
    tmp_path: Path, ingest_settings: Settings, database_url: str, collection_ids: list[str]
) -> None:
    when = acquisition()
    broken = make_dimap2_product(tmp_path / "broken", acquired=when, volume=False)
    broken.write_text(broken.read_text().replace("<NCOLS>200<", "<NCOLS>201<"))
    fixed = make_dimap2_product(tmp_path / "fixed", acquired=when, cloud_cover=9.0)
    report = ingest([broken, fixed], ingest_settings, database_url)
    [failed], [done] = report.failed, report.ingested
    assert "metadata says 201x160" in failed.message
    assert done.product.startswith(str(tmp_path / "fixed"))


def test_archive_delivery_and_no_leftovers(
    tmp_path: Path,
    ingest_settings: Settings,
    database_url: str,
    api_url: str,
) -> None:
    folder = tmp_path / "delivery"
    scene = make_dimap1_product(folder, level="2A", sensor="M", acquired=acquisition())
    archive = Path(shutil.make_archive(str(tmp_path / "delivery"), "zip", folder))
    report = ingest([archive], ingest_settings, database_url)
    [done] = report.ingested
    # Named where it is in the delivery, not in the folder it was unpacked into for the run.
    assert done.product == f"{archive}/{scene.relative_to(folder)}"
    item = get_item(database_url, "spot-world-heritage", done.item_id)
    validate(as_loaded(database_url, api_url, "spot-world-heritage", done.item_id))
    assert item["assets"]["data"]["proj:code"] == "EPSG:32631"
    assert Path(item["assets"]["thumbnail"]["href"]).is_file()
    assert not list(ingest_settings.storage.rglob(f"{PARTIAL}*"))


def test_collection_override(
    tmp_path: Path,
    ingest_settings: Settings,
    database_url: str,
    collection_ids: list[str],
) -> None:
    volume = make_dimap2_product(tmp_path, acquired=acquisition())
    moved = ingest([volume], ingest_settings, database_url, collection="spot-6-7")
    [done] = moved.ingested
    assert get_item(database_url, "spot-6-7", done.item_id) is not None
    refused = ingest([volume], ingest_settings, database_url, collection="pleiades-neo")
    [failure] = refused.failed
    assert failure.message == "band B2 is not a band of collection pleiades-neo"


def test_placeholder_rpc_is_a_warning_not_a_failure(
    tmp_path: Path,
    samples: Path,
    ingest_settings: Settings,
    database_url: str,
    collection_ids: list[str],
) -> None:
    dim = make_dimap2_product(tmp_path, level="SEN", volume=False, acquired=acquisition())
    placeholder = samples / "gdal-autotest/dimap2/single_component/RPC_foo.XML"
    rpc_file = next(dim.parent.glob("RPC_*.XML"))
    rpc_file.write_bytes(placeholder.read_bytes())
    report = ingest([dim], ingest_settings, database_url)
    [done] = report.ingested
    assert report.warnings == [
        f"{rpc_file.name}: HEIGHT_OFF is not a number ('HEIGHT_OFF'); ingested without RPC"
    ]
    item = get_item(database_url, "pleiades", done.item_id)
    assert "rpc" not in item["assets"]
    assert item["properties"]["dinamis:geometry"] == "sensor"
    with rasterio.open(item["assets"]["data"]["href"]) as src:
        assert src.rpcs is None
