"""The real sample products of tests/data, ingested end to end."""

from pathlib import Path

import numpy as np
import rasterio

from dinamis.settings import Settings
from ingest.load import get_item
from ingest.pipeline import ingest_paths
from tests.ingest.helpers import as_loaded
from tests.ingest.samples import sample_paths
from tests.stac_schemas import validate


def test_sample_paths_lists_ingestible_samples(samples: Path, tmp_path: Path) -> None:
    paths = sample_paths(samples, staging_dir=tmp_path)
    assert [p.name for p in paths] == ["VOL_PNEO.XML", "METADATA.DIM"]
    staged = paths[1].parent
    assert staged.is_relative_to(tmp_path)
    with rasterio.open(staged / "IMAGERY.TIF") as src:  # the VRT now finds rgbsmall.tif
        assert src.read(1, window=((0, 50), (0, 50))).any()


def test_samples_are_ingested(
    samples: Path,
    tmp_path: Path,
    ingest_settings: Settings,
    database_url: str,
    api_url: str,
) -> None:
    report = ingest_paths(
        sample_paths(samples, staging_dir=tmp_path),
        ingest_settings,
        database_url,
        force=True,
        progress=False,
    )
    assert report.failed == []
    assert {o.item_id for o in report.ingested} == {
        "pneo4_20170412110602_ms-fs_ort",
        "spot4_20011129103043_m_1a",
    }
    [absent] = report.skipped
    assert absent.message == "listed in VOL_PNEO.XML but not delivered"
    for done in report.ingested:  # a real PNEO MS-FS ORT and a real SPOT 4 1A (DIMAP v1)
        validate(as_loaded(database_url, api_url, done.message.removeprefix("into "), done.item_id))

    pneo = get_item(database_url, "pleiades-neo", "pneo4_20170412110602_ms-fs_ort")
    assert pneo["properties"]["eo:cloud_cover"] == 77.98127298818147
    with rasterio.open(pneo["assets"]["data"]["href"]) as src:
        # The sample's files hold constant bands R=1 G=2 B=3 | NIR=4 RE=5 DB=6.
        assert [int(src.read(i, window=((0, 1), (0, 1)))[0, 0]) for i in range(1, 7)] == [
            1,
            2,
            3,
            4,
            5,
            6,
        ]
        assert src.crs.to_epsg() == 4326
    spot = get_item(database_url, "spot-world-heritage", "spot4_20011129103043_m_1a")
    assert spot["properties"]["dinamis:geometry"] == "sensor"
    with rasterio.open(spot["assets"]["data"]["href"]) as src:
        assert len(src.gcps[0]) == 4
        assert src.shape == (6000, 6000)
        with rasterio.open(samples / "gdal-autotest/rgbsmall.tif") as rgb:
            np.testing.assert_array_equal(src.read(1, window=((0, 50), (0, 50))), rgb.read(1))
