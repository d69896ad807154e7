"""What an ingested item says besides its pixels: its collection's licence, when it was created
and updated, its quicklooks, and band and projection metadata in the forms clients read."""

import copy
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from dinamis.settings import Settings
from ingest.item import EO_BAND_FIELDS, EXTENSIONS
from ingest.load import get_item
from ingest.pipeline import ingest_paths
from ingest.testing import make_dimap1_product, make_dimap2_product
from tests.ingest.helpers import acquisition, as_loaded
from tests.stac_schemas import validate

EO_V2 = "https://stac-extensions.github.io/eo/v2.0.0/schema.json"


def _ingest(path: Path, settings: Settings, url: str, **options: Any) -> dict[str, Any]:
    report = ingest_paths([path], settings, url, progress=False, **options)
    [done] = report.ingested
    collection = done.message.removeprefix("into ")
    item = get_item(url, collection, done.item_id)
    assert item is not None
    return item


def _collection(settings: Settings, collection_id: str) -> dict[str, Any]:
    return json.loads((settings.collections_dir / f"{collection_id}.json").read_text())


def test_items_take_their_collections_licence_links_and_providers(
    tmp_path: Path, ingest_settings: Settings, database_url: str, collection_ids: list[str]
) -> None:
    swh = _ingest(
        make_dimap1_product(tmp_path / "swh", level="2A", sensor="M", acquired=acquisition()),
        ingest_settings,
        database_url,
    )
    phr = _ingest(
        make_dimap2_product(tmp_path / "phr", volume=False, acquired=acquisition()),
        ingest_settings,
        database_url,
    )
    for item in (swh, phr):
        collection = _collection(ingest_settings, item["collection"])
        assert item["properties"]["license"] == collection["license"]
        assert item["properties"]["providers"] == collection["providers"]
        licence_links = [link for link in collection["links"] if link["rel"] == "license"]
        assert [link for link in item["links"] if link["rel"] == "license"] == licence_links
    assert swh["properties"]["license"] == "etalab-2.0"
    assert "etalab" in swh["links"][0]["href"]
    assert phr["properties"]["license"] == "other"


def test_created_is_kept_and_updated_moves_on_reingest(
    tmp_path: Path, ingest_settings: Settings, database_url: str, collection_ids: list[str]
) -> None:
    dim = make_dimap2_product(tmp_path, volume=False, acquired=acquisition())
    first = _ingest(dim, ingest_settings, database_url)["properties"]
    assert first["created"] == first["updated"]
    assert first["created"].endswith("Z")
    again = _ingest(dim, ingest_settings, database_url, force=True)["properties"]
    assert again["created"] == first["created"]
    assert datetime.fromisoformat(again["updated"]) > datetime.fromisoformat(first["updated"])


def test_quicklooks_ours_and_the_producers(
    tmp_path: Path, ingest_settings: Settings, database_url: str, collection_ids: list[str]
) -> None:
    dim = make_dimap2_product(tmp_path, volume=False, acquired=acquisition())
    item = _ingest(dim, ingest_settings, database_url)
    assets = item["assets"]
    assert assets["thumbnail"]["type"] == "image/png"
    assert assets["thumbnail"]["roles"] == ["thumbnail"]
    assert Path(assets["thumbnail"]["href"]).read_bytes().startswith(b"\x89PNG")
    assert Path(assets["overview"]["href"]).name.startswith("PREVIEW_")
    assert assets["overview"]["roles"] == ["overview"]
    assert Path(assets["icon"]["href"]).name.startswith("ICON_")
    assert assets["icon"]["roles"] == ["thumbnail"]
    for key in ("thumbnail", "overview", "icon"):
        assert Path(assets[key]["href"]).parent == Path(assets["data"]["href"]).parent
    # A delivery without the producer's quicklooks still gets ours.
    bare = make_dimap2_product(tmp_path / "bare", volume=False, acquired=acquisition())
    for name in ("PREVIEW_", "ICON_"):
        next(bare.parent.glob(f"{name}*.JPG")).unlink()
    item = _ingest(bare, ingest_settings, database_url)
    assert {"thumbnail", "data"} <= set(item["assets"])
    assert not {"overview", "icon"} & set(item["assets"])


def test_band_and_projection_metadata_for_every_client(
    tmp_path: Path,
    ingest_settings: Settings,
    database_url: str,
    api_url: str,
    collection_ids: list[str],
) -> None:
    dim = make_dimap2_product(tmp_path, volume=False, acquired=acquisition())
    item = _ingest(dim, ingest_settings, database_url)
    data = item["assets"]["data"]
    # GDAL 3.6's STACIT and stackstac read proj:epsg; STAC 1.1 clients proj:code.
    assert data["proj:epsg"] == 32631 and data["proj:code"] == "EPSG:32631"
    assert len(data["proj:shape"]) == 2 and len(data["proj:transform"]) == 6
    assert not any(key.startswith("proj:") for key in item["properties"])
    # odc-stac and GDAL read eo:bands, STAC 1.1 clients bands: the same bands.
    assert [b["common_name"] for b in data["eo:bands"]] == ["red", "green", "blue", "nir"]
    for eo_band, band in zip(data["eo:bands"], data["bands"], strict=True):
        assert eo_band["name"] == band["name"]
        for field in EO_BAND_FIELDS:
            assert eo_band.get(field) == band.get(f"eo:{field}")
    loaded = as_loaded(database_url, api_url, item["collection"], item["id"])
    validate(loaded)
    # The STAC 1.1 bands are valid eo v2.0.0 too, once the eo v1.1 copy is left out.
    as_v2 = copy.deepcopy(loaded)
    del as_v2["assets"]["data"]["eo:bands"]
    extensions = as_v2["stac_extensions"]
    extensions[extensions.index(EXTENSIONS["eo"])] = EO_V2
    validate(as_v2)
