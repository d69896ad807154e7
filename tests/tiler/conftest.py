"""Real COGs on disk, items pointing at them in pgSTAC, and the tiler served over HTTP."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pypgstac.load import Loader, Methods

from access.settings import AccessSettings
from dinamis.database import pgstac_db
from dinamis.serve import BackgroundServer
from dinamis.settings import Settings
from tests.processes import Served, app_env, uvicorn_process
from tests.tiler.samples import (
    L93_ORIGIN,
    RES,
    SIZE,
    UTM_ORIGIN,
    make_item,
    quadrants,
    ramp,
    write_cog,
)
from tiler.settings import TilerSettings


@pytest.fixture(scope="session")
def storage(settings: Settings) -> Path:
    root = settings.storage
    root.mkdir(parents=True, exist_ok=True)
    return root


@pytest.fixture(scope="session")
def load_items(database_url: str, collection_ids: list[str]) -> Callable[..., None]:
    def load(*items: dict[str, Any]) -> None:
        with pgstac_db(database_url) as db:
            Loader(db).load_items(iter(items), insert_mode=Methods.upsert)

    return load


@pytest.fixture(scope="session")
def cogs(storage: Path) -> dict[str, Path]:
    return {
        "utm": write_cog(storage / "pleiades" / "utm.tif", quadrants(), "EPSG:32631", UTM_ORIGIN),
        "l93": write_cog(storage / "pleiades" / "l93.tif", quadrants(), "EPSG:2154", L93_ORIGIN),
        # Two images side by side on one grid (the second starts where the first ends).
        "west": write_cog(storage / "spot-6-7" / "west.tif", ramp(0), "EPSG:32631", UTM_ORIGIN),
        "east": write_cog(
            storage / "spot-6-7" / "east.tif",
            ramp(SIZE),
            "EPSG:32631",
            (UTM_ORIGIN[0] + SIZE * RES, UTM_ORIGIN[1]),
        ),
        "further-east": write_cog(
            storage / "spot-6-7" / "further-east.tif",
            ramp(2 * SIZE),
            "EPSG:32631",
            (UTM_ORIGIN[0] + 2 * SIZE * RES, UTM_ORIGIN[1]),
        ),
    }


@pytest.fixture(scope="session")
def items(cogs: dict[str, Path], load_items: Callable[..., None]) -> dict[str, dict[str, Any]]:
    items = {
        "utm": make_item("PHR_UTM", "pleiades", str(cogs["utm"]), cogs["utm"]),
        "l93": make_item("PHR_L93", "pleiades", str(cogs["l93"]), cogs["l93"]),
        "own-render": make_item(
            "PHR_OWN_RENDER",
            "pleiades",
            str(cogs["utm"]),
            cogs["utm"],
            renders={
                "nir": {
                    "title": "NIR",
                    "assets": ["data"],
                    "asset_bidx": "data|4",
                    "rescale": [[0, 4000]],
                }
            },
        ),
        "west": make_item("SPOT_WEST", "spot-6-7", str(cogs["west"]), cogs["west"]),
        "east": make_item("SPOT_EAST", "spot-6-7", str(cogs["east"]), cogs["east"]),
        "further-east": make_item(
            "SPOT_FURTHER_EAST", "spot-6-7", str(cogs["further-east"]), cogs["further-east"]
        ),
    }
    load_items(*items.values())
    return items


@pytest.fixture(scope="session")
def tiler_settings(storage: Path) -> TilerSettings:
    return TilerSettings(
        storage_roots=[storage],
        max_crop_km2=2.0,
        max_pixels=1_100_000,
        mosaic_min_zoom=12,
        mosaic_max_items=2,
        catalogue_cache_seconds=1,
        public_url=None,
    )


@pytest.fixture(scope="session")
def tiler_url(
    database_url: str,
    tiler_settings: TilerSettings,
    settings: Settings,
    access: AccessSettings,
    items: dict[str, dict[str, Any]],
) -> Iterator[str]:
    from tiler.app import create_app

    app = create_app(database_url, tiler_settings, access)
    server = BackgroundServer(app, settings.tiler_port)
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def tiler_process(
    database_url: str, settings: Settings, access_items: Any, storage: Path
) -> Iterator[Served]:
    """The tiler with its default limits, as docker-compose.yml serves it, in a process of its
    own under an address-space cap: for its memory, and so that a missed limit kills it, not
    the machine."""
    with uvicorn_process(
        "tiler.app:create_app", "/healthz", app_env(database_url, settings), memory_cap_mb=4000
    ) as served:
        yield served
