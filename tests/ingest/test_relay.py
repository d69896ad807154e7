"""``dinamis swh relay``: SWH scenes catalogued from their metadata, found apart by processing
level, cloud cover, mission, instrument, mode and angles; broken scenes reported; re-runs idle."""

import shutil
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from dinamis.serve import free_port
from dinamis.settings import Settings, get_settings
from ingest.cli import swh
from ingest.item import CATALOGUED, ORIGINAL, RELAY_PROPERTY
from ingest.load import get_item
from ingest.relay import relay_paths
from ingest.swh_archive import generate_archive
from ingest.testing import make_dimap1_product
from tests.ingest.helpers import acquisition, as_loaded
from tests.stac_schemas import validate

COLLECTION = "spot-world-heritage"


def _broken(root: Path) -> tuple[Path, Path]:
    """A scene whose XML is cut short and one whose image was never delivered."""
    cut = root / "cut" / "METADATA.DIM"
    cut.parent.mkdir(parents=True)
    cut.write_text("<Dimap_Document><Metadata_Id>")
    [lost] = generate_archive(root / "lost", 1, seed=99)
    (lost.parent / "IMAGERY.TIF").unlink()
    return cut, lost


def test_catalogue_from_metadata_with_broken_scenes(
    tmp_path: Path, ingest_settings: Settings, database_url: str, api_url: str
) -> None:
    scenes = generate_archive(tmp_path / "archive", 7, seed=1)
    cut, lost = _broken(tmp_path / "archive" / "broken")
    report = relay_paths(
        [tmp_path / "archive"], ingest_settings, database_url, workers=2, batch_size=3
    )
    failed = {o.product: o.message for o in report.failed}
    assert failed == {
        str(cut): failed[str(cut)],
        str(lost): "missing image file IMAGERY.TIF",
    }
    assert "not well-formed XML" in failed[str(cut)]
    assert len(report.ingested) == len(scenes) and not report.skipped
    outcome = next(o for o in report.ingested if o.product == str(scenes[0]))
    assert outcome.item_id is not None
    item = get_item(database_url, COLLECTION, outcome.item_id)
    assert item is not None
    properties = item["properties"]
    assert properties[RELAY_PROPERTY] == CATALOGUED
    assert properties["processing:level"] == "1A"
    assert properties["platform"] in {f"SPOT{n}" for n in range(1, 6)}
    assert properties["instruments"][0] in {"HRV", "HRVIR", "HRG"}
    assert properties["product:type"] in {"P", "X", "M", "I", "A", "J"}
    assert 0 <= properties["eo:cloud_cover"] <= 100
    assert {"view:incidence_angle", "view:off_nadir", "view:sun_elevation"} <= set(properties)
    # The delivered files are the assets, where they lie: nothing copied, no COG yet.
    image = item["assets"]["image"]
    assert image["href"] == str(scenes[0].parent / "IMAGERY.TIF")
    assert ORIGINAL in image["roles"]
    assert item["assets"]["metadata"]["href"] == str(scenes[0])
    assert "data" not in item["assets"] and "thumbnail" not in item["assets"]
    assert not ingest_settings.storage.exists() or not any(ingest_settings.storage.iterdir())
    validate(as_loaded(database_url, api_url, COLLECTION, outcome.item_id))


def test_rerun_changes_nothing_and_exits_non_zero_on_failures(
    tmp_path: Path, environment: Settings, database_url: str
) -> None:
    archive = tmp_path / "archive"
    scenes = generate_archive(archive, 4, seed=2)
    cut, _ = _broken(archive / "broken")
    runner = CliRunner()
    first = runner.invoke(swh, ["relay", str(archive), "--no-progress"])
    assert first.exit_code == 1, first.output
    assert f"FAILED {cut}: not well-formed XML" in first.output
    assert "ingested 4, skipped 0, failed 2" in first.output
    report = relay_paths(scenes, environment, database_url, progress=False)
    ids = [o.item_id for o in report.skipped]
    assert len(ids) == 4 and not report.ingested
    assert {o.message for o in report.skipped} == {"already catalogued"}
    before = {i: get_item(database_url, COLLECTION, i) for i in ids if i is not None}
    again = runner.invoke(swh, ["relay", *map(str, scenes), "--workers", "2"])
    assert again.exit_code == 0, again.output
    assert "ingested 0, skipped 4, failed 0" in again.output
    assert {i: get_item(database_url, COLLECTION, i) for i in before} == before


def test_raw_and_ortho_are_searched_apart(
    tmp_path: Path, ingest_settings: Settings, database_url: str, api_url: str
) -> None:
    """One collection, split by the `processing:level` queryable; cloud cover, mission,
    instrument and angles filter with CQL2 through the API."""
    when = acquisition().replace(year=1999)
    raw = make_dimap1_product(
        tmp_path / "raw", level="1A", acquired=when, cloud_cover=5.0, center=(-20.5, 10.2)
    )
    ortho = make_dimap1_product(
        tmp_path / "ortho", level="ORT", acquired=when, cloud_cover=60.0, center=(-20.5, 10.2)
    )
    report = relay_paths([raw, ortho], ingest_settings, database_url, progress=False)
    assert report.ok and len(report.ingested) == 2, report.failed

    def found(filter_: dict) -> list[str]:
        body = {
            "collections": [COLLECTION],
            "bbox": [-21, 9.5, -20, 11],
            "datetime": f"{when:%Y-%m-%d}T00:00:00Z/{when:%Y-%m-%d}T23:59:59Z",
            "filter": filter_,
            "filter-lang": "cql2-json",
        }
        response = httpx.post(f"{api_url}/search", json=body, timeout=60)
        assert response.status_code == 200, response.text
        return sorted(f["properties"]["processing:level"] for f in response.json()["features"])

    def equals(name: str, value: object) -> dict:
        return {"op": "=", "args": [{"property": name}, value]}

    assert found(equals("processing:level", "1A")) == ["1A"]
    assert found(equals("processing:level", "ORT")) == ["ORT"]
    assert found({"op": "<", "args": [{"property": "eo:cloud_cover"}, 10]}) == ["1A"]
    assert found(equals("platform", "SPOT4")) == ["1A", "ORT"]
    assert found({"op": "a_contains", "args": [{"property": "instruments"}, ["HRVIR"]]}) == [
        "1A",
        "ORT",
    ]
    assert found({"op": ">", "args": [{"property": "view:incidence_angle"}, 9]}) == []
    queryables = httpx.get(f"{api_url}/queryables", timeout=60).json()["properties"]
    assert {"processing:level", "eo:cloud_cover", "platform", "instruments"} <= set(queryables)
    assert {"product:type", "view:incidence_angle", "view:off_nadir"} <= set(queryables)


def test_a_scene_delivered_twice_is_one_item(
    tmp_path: Path, ingest_settings: Settings, database_url: str, collection_ids: list[str]
) -> None:
    first, second = generate_archive(tmp_path / "archive", 2, seed=4)
    copy = tmp_path / "again" / first.parent.name
    shutil.copytree(first.parent, copy)
    report = relay_paths(
        [tmp_path / "archive", copy / "METADATA.DIM"], ingest_settings, database_url
    )
    assert sorted(o.product for o in report.ingested) == sorted([str(first), str(second)])
    [twice] = report.skipped
    assert (twice.product, twice.message) == (str(copy / "METADATA.DIM"), f"same scene as {first}")


def test_a_database_that_does_not_answer_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate_archive(tmp_path, 1, seed=5)
    monkeypatch.setenv("DINAMIS_DATABASE_URL", f"postgresql://nobody@127.0.0.1:{free_port()}/x")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(swh, ["relay", str(tmp_path), "--no-progress"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert result.output.startswith("cannot connect to the catalogue database: ")
    assert "Traceback" not in result.output and len(result.output.splitlines()) == 1
