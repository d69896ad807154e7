"""Level-1 products located by RPCs only are warped in place."""

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import rasterio

from tests.tiler.samples import (
    BLUE,
    BOTTOM,
    LEFT,
    RIGHT,
    TOP,
    make_item,
    quadrants,
    sensor_lonlat,
    tile_and_pixel,
    write_sensor_image,
)


@pytest.fixture(scope="session")
def sensor_item(storage: Path, load_items: Callable[..., None]) -> str:
    image = write_sensor_image(storage / "pleiades" / "level1" / "sensor.tif", quadrants())
    item = make_item("PHR_SENSOR", "pleiades", str(image), processing_level="SEN")
    west, south = sensor_lonlat(0, 512)
    east, north = sensor_lonlat(512, 0)
    item["bbox"] = [west, south, east, north]
    item["geometry"] = {
        "type": "Polygon",
        "coordinates": [
            [[west, south], [east, south], [east, north], [west, north], [west, south]]
        ],
    }
    load_items(item)
    return item["id"]


@pytest.mark.parametrize(
    ("col", "row", "red", "green"),
    [
        (128, 128, LEFT, TOP),
        (384, 128, RIGHT, TOP),
        (128, 384, LEFT, BOTTOM),
        (384, 384, RIGHT, BOTTOM),
    ],
)
def test_rpc_image_tiles_land_where_the_model_puts_them(
    tiler_url: str,
    entitled: httpx.Client,
    sensor_item: str,
    col: int,
    row: int,
    red: int,
    green: int,
) -> None:
    tile, x, y = tile_and_pixel(*sensor_lonlat(col, row), 16)
    response = entitled.get(
        f"{tiler_url}/collections/pleiades/items/{sensor_item}/tiles/WebMercatorQuad/"
        f"{tile.z}/{tile.x}/{tile.y}.tif",
        timeout=60,
    )
    assert response.status_code == 200, response.text
    with rasterio.MemoryFile(response.content) as memfile, memfile.open() as tif:
        data = tif.read()
    assert list(data[:3, y, x]) == [red, green, BLUE]
