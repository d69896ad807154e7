"""collections/*.json: valid STAC collections whose licences and renders hold together."""

import re

import pystac
import pytest

from dinamis.catalog import read_collections
from dinamis.settings import REPO_ROOT
from tests.stac_schemas import validate

COLLECTIONS = {c["id"]: c for c in read_collections(REPO_ROOT / "collections")}
COG = "image/tiff; application=geotiff; profile=cloud-optimized"


def test_product_lines_are_all_there() -> None:
    assert set(COLLECTIONS) == {"pleiades", "pleiades-neo", "spot-6-7", "spot-world-heritage"}


def test_no_python_package_in_collections() -> None:
    # collections/__init__.py would shadow the standard library's collections module.
    assert not (REPO_ROOT / "collections" / "__init__.py").exists()


@pytest.mark.parametrize("collection_id", sorted(COLLECTIONS))
def test_collection_parses_as_stac_1_1(collection_id: str) -> None:
    collection = pystac.Collection.from_dict(COLLECTIONS[collection_id])
    assert collection.to_dict()["stac_version"] == "1.1.0"
    assert collection.summaries.get_list("platform")
    assert collection.summaries.get_list("gsd")


@pytest.mark.parametrize("collection_id", sorted(COLLECTIONS))
def test_collection_validates_against_its_schemas(collection_id: str) -> None:
    # Core STAC 1.1 (item_assets included) and every extension the collection declares.
    validate(COLLECTIONS[collection_id])


@pytest.mark.parametrize("collection_id", sorted(COLLECTIONS))
def test_licence_matches_the_provider_terms(collection_id: str) -> None:
    collection = COLLECTIONS[collection_id]
    providers = {p["name"] for p in collection["providers"]}
    assert "DINAMIS" in providers
    if collection_id == "spot-world-heritage":
        assert collection["license"] == "etalab-2.0"
        assert "CNES" in providers
    else:
        assert collection["license"] == "other"
        assert "Airbus Defence and Space" in providers
    assert any(link["rel"] == "license" for link in collection["links"])


@pytest.mark.parametrize("collection_id", sorted(COLLECTIONS))
def test_renders_read_existing_bands_of_the_cog(collection_id: str) -> None:
    collection = COLLECTIONS[collection_id]
    data = collection["item_assets"]["data"]
    assert data["type"] == COG
    # The COG holds every band but the panchromatic one (a pan product is a single band).
    spectral = [b for b in data["bands"] if b["eo:common_name"] != "pan"]
    assert collection["renders"]
    for render in collection["renders"].values():
        assert render["assets"] == ["data"]
        indexes = [int(i) for i in re.findall(r"\d+", render["asset_bidx"].split("|")[1])]
        assert indexes and max(indexes) <= len(spectral)
        assert len(render["rescale"]) == len(indexes)


@pytest.mark.parametrize("collection_id", ["pleiades", "pleiades-neo", "spot-6-7"])
def test_true_colour_is_red_green_blue(collection_id: str) -> None:
    collection = COLLECTIONS[collection_id]
    bands = collection["item_assets"]["data"]["bands"]
    render = collection["renders"]["true-color"]
    indexes = [int(i) for i in render["asset_bidx"].split("|")[1].split(",")]
    assert [bands[i - 1]["eo:common_name"] for i in indexes] == ["red", "green", "blue"]
