"""Links from items to the tiler: the shape the STAC API publishes, and that they resolve."""

import httpx

from tests.tiler.samples import UTM_ORIGIN, pixel_centre, tile_and_pixel
from tiler.links import item_links


def test_item_links_point_at_the_public_url() -> None:
    links = item_links("https://tiles.example.org/", "pleiades", "PHR 1/A")
    rels = {link["rel"]: link for link in links}
    assert set(rels) == {"tilesets-map", "xyz", "wmts", "preview", "viewer"}
    base = "https://tiles.example.org/collections/pleiades/items/PHR%201%2FA"
    assert rels["tilesets-map"]["href"] == (
        f"{base}/WebMercatorQuad/tilejson.json?tile_format=png&tilesize=256"
    )
    assert rels["wmts"]["href"] == f"{base}/WMTSCapabilities.xml"
    assert rels["xyz"]["templated"] is True
    assert all(link["href"].startswith("https://tiles.example.org/") for link in links)


def test_item_links_resolve_on_the_tiler(tiler_url: str, entitled: httpx.Client) -> None:
    links = {link["rel"]: link["href"] for link in item_links(tiler_url, "pleiades", "PHR_UTM")}
    for rel in ("tilesets-map", "wmts", "preview"):
        response = entitled.get(links[rel], timeout=60)
        assert response.status_code == 200, (rel, response.text)
    tile, _, _ = tile_and_pixel(*pixel_centre("EPSG:32631", UTM_ORIGIN, 256, 256), 16)
    response = entitled.get(links["xyz"].format(z=tile.z, x=tile.x, y=tile.y), timeout=60)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/")
