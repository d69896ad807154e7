"""Footprints across the antimeridian: cut there into a MultiPolygon, as RFC 7946 says."""

import itertools
from pathlib import Path

import httpx
import pytest

from dinamis.settings import Settings
from ingest.footprint import bbox, footprint, geometry
from ingest.load import get_item
from ingest.model import IngestError
from ingest.pipeline import ingest_paths
from ingest.testing import make_dimap2_product
from tests.ingest.helpers import acquisition, as_loaded
from tests.stac_schemas import validate

# Corners of a scene astride 180° as a DIM lists them (east first, then west of the line).
ASTRIDE = [(179.95, -16.1), (-179.9, -16.1), (-179.9, -16.25), (179.95, -16.25)]


def test_scene_astride_the_antimeridian_is_cut_there() -> None:
    ring = footprint(ASTRIDE, "DIM.XML")
    shape = geometry(ring)
    assert shape["type"] == "MultiPolygon"
    east, west = (polygon[0] for polygon in shape["coordinates"])
    assert {round(lon, 9) for lon, _ in east} == {179.95, 180.0}
    assert {round(lon, 9) for lon, _ in west} == {-180.0, -179.9}
    for part in (east, west):
        assert part[0] == part[-1]
        # RFC 7946: exterior rings counter-clockwise (positive shoelace area).
        area = sum(a[0] * b[1] - b[0] * a[1] for a, b in itertools.pairwise(part))
        assert area > 0
    # RFC 7946 section 5.2: west edge greater than east edge.
    assert bbox(ring) == pytest.approx([179.95, -16.25, -179.9, -16.1])


def test_ordinary_scene_stays_a_polygon() -> None:
    ring = footprint([(5.0, 43.0), (5.1, 43.0), (5.1, 43.1), (5.0, 43.1)], "DIM.XML")
    assert geometry(ring)["type"] == "Polygon"
    assert bbox(ring) == [5.0, 43.0, 5.1, 43.1]


def test_scene_spanning_half_the_world_is_still_refused() -> None:
    with pytest.raises(IngestError, match="not a scene"):
        footprint([(-60.0, 0.0), (60.0, 0.0), (60.0, 1.0), (-60.0, 1.0)], "DIM.XML")


def test_pacific_product_is_ingested_and_found_from_both_sides(
    tmp_path: Path, ingest_settings: Settings, database_url: str, api_url: str
) -> None:
    volume = make_dimap2_product(
        tmp_path, level="SEN", center=(179.99, -16.2), gsd=20.0, acquired=acquisition()
    )
    report = ingest_paths([volume], ingest_settings, database_url, progress=False)
    [done] = report.ingested
    item = get_item(database_url, "pleiades", done.item_id)
    assert item["geometry"]["type"] == "MultiPolygon"
    west, south, east, north = item["bbox"]
    assert west > 179 and east < -179 and south < north
    validate(as_loaded(database_url, api_url, "pleiades", done.item_id))
    for side in ([179.5, -17.0, 180.0, -15.0], [-180.0, -17.0, -179.5, -15.0]):
        found = httpx.get(
            f"{api_url}/search", params={"bbox": ",".join(map(str, side)), "limit": 100}
        ).json()["features"]
        assert done.item_id in {f["id"] for f in found}, side
