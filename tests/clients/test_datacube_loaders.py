"""Scientists' data-cube loaders select bands by common name on a catalogue search: odc-stac
reads the assets' `eo:bands` (through pystac's eo extension) and the STAC 1.1 `bands` (data
type, nodata). The open collection anonymously, a licensed one through pystac-client with
signed hrefs (access.client.sign_modifier)."""

import numpy as np
import pystac
import pytest
import rasterio
import stackstac
from odc.stac import load
from pystac_client import Client

from access.client import sign_modifier
from tests.clients.scenes import Scenes
from tests.entitlements import People

COMMON_NAMES = ["red", "nir"]


def _items(api_url: str, scenes: Scenes, key: str | None) -> list[pystac.Item]:
    modifier = sign_modifier(api_url, key) if key else None
    catalogue = Client.open(api_url, modifier=modifier)
    items = list(catalogue.search(**scenes.query()).items())
    assert sorted(i.id for i in items) == sorted(i["id"] for i in scenes.items)
    return items


@pytest.mark.parametrize("licensed", [False, True], ids=["open", "licensed"])
def test_odc_stac_loads_bands_by_common_name(
    request: pytest.FixtureRequest, api_url: str, people: People, licensed: bool
) -> None:
    scenes: Scenes = request.getfixturevalue("licensed_scenes" if licensed else "open_scenes")
    items = _items(api_url, scenes, people.entitled if licensed else None)
    if licensed:
        assert all("access_token=" in i.assets["data"].href for i in items)
    cube = load(items, bands=COMMON_NAMES, chunks=None, groupby="id")
    assert set(cube.data_vars) == set(COMMON_NAMES)
    assert cube.odc.crs.epsg == 32631
    data = scenes.items[0]["assets"]["data"]
    names = [b["eo:common_name"] for b in data["bands"]]
    assert str(cube["red"].dtype) == data["data_type"]
    for index, item in enumerate(scenes.items):
        for row, col in ((10, 10), (40, 90)):
            x, y = _pixel_center(scenes, index, row, col)
            for name in COMMON_NAMES:
                value = cube[name].sel(time=_time(item), x=x, y=y, method="nearest")
                expected = scenes.read(index, names.index(name) + 1)[row, col]
                assert int(value) == int(expected), (item["id"], name, row, col)


def _pixel_center(scenes: Scenes, index: int, row: int, col: int) -> tuple[float, float]:
    with rasterio.open(scenes.cog(index)) as src:
        return src.xy(row, col)


def _time(item: dict) -> np.datetime64:
    """The time slice of ``item`` (one per item: loaded with ``groupby="id"``)."""
    return np.datetime64(item["properties"]["datetime"].removesuffix("Z"))


def test_stackstac_reads_single_band_assets_and_names_their_band(
    api_url: str, people: People, panchromatic_scenes: Scenes
) -> None:
    """stackstac stacks assets, one band each, and takes the band's common name from the
    asset's `eo:bands` and its CRS from `proj:epsg`. It reads the raw pages of a search: pystac
    objects have been migrated to projection v2, which drops `proj:epsg`."""
    scenes = panchromatic_scenes
    catalogue = Client.open(api_url, modifier=sign_modifier(api_url, people.entitled))
    items = list(catalogue.search(**scenes.query()).items_as_dicts())
    stack = stackstac.stack(items, assets=["data"], resolution=2.0, xy_coords="center")
    assert stack.coords["common_name"].values.tolist() == "pan"
    assert stack.attrs["crs"] == "epsg:32631"
    for index, item in enumerate(scenes.items):
        for row, col in ((10, 10), (40, 90)):
            x, y = _pixel_center(scenes, index, row, col)
            value = stack.sel(id=item["id"], band="data").sel(x=x, y=y, method="nearest")
            assert int(value.compute()) == int(scenes.read(index, 1)[row, col])


def test_stackstac_refuses_multiband_assets_with_its_own_error(
    api_url: str, open_scenes: Scenes
) -> None:
    items = list(Client.open(api_url).search(**open_scenes.query()).items_as_dicts())
    stack = stackstac.stack(items, assets=["data"])
    with pytest.raises(RuntimeError, match="Assets must have exactly 1 band"):
        stack.compute()
