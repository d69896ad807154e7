"""Tiles as an XYZ / TileJSON client takes them: from the item's links, in the size and media
type the links declare, over the zooms the data's resolution supports (sensor geometry too)."""

from typing import Any

import httpx
import morecantile
import pytest
import rasterio
from pypgstac.load import Loader, Methods

from dinamis.database import pgstac_db
from dinamis.settings import Settings
from tests.clients.conftest import Deployment
from tests.tiler.samples import (
    RPC_SPAN,
    SIZE,
    UTM_ORIGIN,
    make_item,
    quadrants,
    sensor_lonlat,
    write_cog,
    write_sensor_image,
)

WEB_MERCATOR = morecantile.tms.get("WebMercatorQuad")


@pytest.fixture(scope="module")
def tiled_items(settings: Settings, database_url: str, collection_ids: list[str]) -> dict:
    folder = settings.storage / "pleiades" / "CLIENTS-TILES"
    cog = write_cog(folder / "ortho.tif", quadrants(), "EPSG:32631", UTM_ORIGIN)
    sensor = write_sensor_image(folder / "sensor.tif", quadrants())
    ortho_item = make_item("CLIENTS-ORTHO", "pleiades", str(cog), cog)
    sensor_item = make_item("CLIENTS-SENSOR", "pleiades", str(sensor), processing_level="SEN")
    west, south = sensor_lonlat(0, SIZE)
    east, north = sensor_lonlat(SIZE, 0)
    sensor_item["bbox"] = [west, south, east, north]
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    sensor_item["geometry"] = {"type": "Polygon", "coordinates": [ring]}
    with pgstac_db(database_url) as db:
        Loader(db).load_items(iter([ortho_item, sensor_item]), insert_mode=Methods.upsert)
    return {"ortho": ortho_item, "sensor": sensor_item}


def links(deployment: Deployment, item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    served = httpx.get(f"{deployment.public}/collections/pleiades/items/{item['id']}").json()
    return {link["rel"]: link for link in served["links"]}


def fill(template: str, tile: morecantile.Tile) -> str:
    return (
        template.replace("{z}", str(tile.z)).replace("{x}", str(tile.x)).replace("{y}", str(tile.y))
    )


def centre_tile(tilejson: dict[str, Any], zoom: int) -> morecantile.Tile:
    west, south, east, north = tilejson["bounds"]
    return WEB_MERCATOR.tile((west + east) / 2, (south + north) / 2, zoom)


def read_tile(response: httpx.Response) -> tuple[int, int]:
    with rasterio.MemoryFile(response.content) as memfile, memfile.open() as image:
        return image.width, image.height


@pytest.mark.parametrize("kind", ["ortho", "sensor"])
def test_xyz_and_tilejson_tiles_are_256_px_of_the_declared_type(
    deployment: Deployment,
    entitled: httpx.Client,
    tiled_items: dict,
    kind: str,
) -> None:
    rels = links(deployment, tiled_items[kind])
    tilejson = entitled.get(rels["tilesets-map"]["href"]).json()
    zoom = tilejson["maxzoom"]
    tile = centre_tile(tilejson, zoom)
    from_tilejson = entitled.get(fill(tilejson["tiles"][0], tile))
    assert from_tilejson.status_code == 200, from_tilejson.text
    assert from_tilejson.headers["content-type"] == "image/png"
    assert read_tile(from_tilejson) == (256, 256)
    xyz = rels["xyz"]
    from_xyz = entitled.get(fill(xyz["href"], tile))
    assert from_xyz.status_code == 200, from_xyz.text
    assert from_xyz.headers["content-type"] == xyz["type"] == "image/png"
    assert read_tile(from_xyz) == (256, 256)


def zoom_for(resolution_m: float) -> int:
    return WEB_MERCATOR.zoom_for_res(resolution_m)


def test_zooms_follow_the_data_resolution(
    deployment: Deployment, entitled: httpx.Client, tiled_items: dict
) -> None:
    # The ortho image: 2 m pixels in UTM at 43.6°N.
    ortho = entitled.get(links(deployment, tiled_items["ortho"])["tilesets-map"]["href"]).json()
    # The sensor image spans 2 * RPC_SPAN[0] degrees of longitude in SIZE columns.
    sensor_res = 2 * RPC_SPAN[0] / SIZE * WEB_MERCATOR.matrix(0).cellSize * 256 / 360
    sensor = entitled.get(links(deployment, tiled_items["sensor"])["tilesets-map"]["href"]).json()
    assert sensor["maxzoom"] == zoom_for(sensor_res)
    assert 0 < sensor["minzoom"] < sensor["maxzoom"] < 24
    assert ortho["minzoom"] < ortho["maxzoom"] < 24
