"""Declaring and building coverages: the operator's commands, rebuilds when the items change
(and only then), the previous pyramid replaced, and refusals that say why."""

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import morecantile
import psycopg
import pytest
import rasterio

from coverages import store
from coverages.build import build
from coverages.settings import CoverageSettings
from dinamis.settings import Settings, get_settings
from tests.coverages.conftest import GSD, SIZE, STEP
from tests.coverages.scenes import scene
from tests.coverages.test_tiles import decoded, mosaic_in_process, tile_url
from tests.entitlements import People, bearer
from tiler.storage import StorageGuard

TMS = morecantile.tms.get("WebMercatorQuad")
# The machine may be busy: a tile is slow, not lost.
get = partial(httpx.get, timeout=60)
YEAR = 2018
# Another part of Brittany than the session's coverage.
ORIGIN = (470_000.0, 5_320_000.0)


@pytest.fixture
def make_scene(scene_folder: Path, load: Callable[..., None]) -> Callable[..., dict[str, Any]]:
    def make(index: int, column: int, row: int, year: int = YEAR) -> dict[str, Any]:
        item = scene(
            scene_folder,
            index,
            column,
            row,
            size=SIZE,
            gsd=GSD,
            step=STEP,
            year=year,
            origin=ORIGIN,
        )
        load(item)
        return item

    return make


@pytest.fixture
def invoke(
    invoke: Callable[..., str], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., str]:
    """``dinamis coverage ...`` as an operator's shell runs it."""
    monkeypatch.setenv("DINAMIS_COVERAGES_FOLDER", str(settings.data_dir / "coverages"))
    monkeypatch.setenv("DINAMIS_TILER_STORAGE_ROOTS", str(settings.storage))
    get_settings.cache_clear()
    return lambda *args, code=0: invoke("coverage", *args, code=code)


def test_an_operator_declares_builds_lists_and_drops_a_coverage(
    invoke: Callable[..., str], make_scene: Callable[..., dict[str, Any]], settings: Settings
) -> None:
    make_scene(100, 0, 0, year=2016)
    make_scene(101, 1, 0, year=2016)
    assert "--year" in invoke("declare", "--help")
    declared = invoke(
        "declare", "cli-2016", "--title", "SPOT 6/7 2016", "--collection", "spot-6-7",
        "--year", "2016",
    )  # fmt: skip
    assert "coverage cli-2016 declared" in declared
    assert "not built" in invoke("list")
    built = invoke("build", "cli-2016")
    assert "cli-2016: pyramid of 2 items" in built
    assert "cli-2016: up to date" in invoke("build", "cli-2016")
    assert "cli-2016: pyramid of 2 items" in invoke("build", "cli-2016", "--force")
    line = next(line for line in invoke("list").splitlines() if line.startswith("cli-2016"))
    assert "2 items" in line and "spot-6-7" in line
    # A CQL2 filter, text, on the same scenes.
    invoke(
        "declare", "cli-filter", "--title", "SPOT 7 2016", "--collection", "spot-6-7",
        "--filter", "platform = 'SPOT7' AND datetime >= TIMESTAMP('2016-01-01T00:00:00Z') "
        "AND datetime < TIMESTAMP('2017-01-01T00:00:00Z')",
    )  # fmt: skip
    assert "cli-filter: pyramid of 1 items" in invoke("build", "cli-filter")
    for coverage_id in ("cli-2016", "cli-filter"):
        assert f"coverage {coverage_id} dropped" in invoke("drop", coverage_id)
        assert not (settings.data_dir / "coverages" / coverage_id).exists()
    assert "cli-2016" not in invoke("list")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["Bad Id", "--title", "t", "--collection", "spot-6-7", "--year", "2020"], "lower-case"),
        (["x-2020", "--title", "t", "--collection", "nope", "--year", "2020"], "unknown coll"),
        (["x-2020", "--title", "t", "--year", "2020"], "exactly one --collection"),
        (["x-2020", "--title", "t", "--collection", "spot-6-7", "--year", "1066"], "out of range"),
        (["x-2020", "--title", "t", "--filter", "cloud <<< 3"], "not valid"),
        (["x-2020", "--title", "t", "--search", "0123abcd"], "no registered search"),
        (["x-2020", "--title", "t"], "say which items"),
    ],
)
def test_declaring_refuses_bad_input_and_says_why(
    invoke: Callable[..., str], args: list[str], words: str
) -> None:
    assert words in invoke("declare", *args, code=1)


def test_building_an_unknown_coverage_is_refused(invoke: Callable[..., str]) -> None:
    assert "no coverage 'nothing-here'" in invoke("build", "nothing-here", code=1)


def test_an_unbuilt_coverage_says_so_below_the_mosaic_zooms(
    invoke: Callable[..., str], coverage_tiler: str, people: People
) -> None:
    invoke("declare", "unbuilt-2015", "--title", "t", "--collection", "spot-6-7", "--year", "2015")
    # No item in 2015: its build fails, said for it alone.
    assert "unbuilt-2015: error: no item" in invoke("build", "unbuilt-2015", code=1)
    tile = f"{coverage_tiler}/coverages/unbuilt-2015/tiles/WebMercatorQuad/5/15/11.png"
    response = get(tile, headers=bearer(people.entitled))
    assert response.status_code == 404
    assert "no pyramid yet" in response.json()["detail"]
    invoke("drop", "unbuilt-2015")


def test_the_pyramid_is_rebuilt_when_the_items_change_and_replaced_whole(
    database_url: str,
    coverage_settings: CoverageSettings,
    guard: StorageGuard,
    make_scene: Callable[..., dict[str, Any]],
    load: Callable[..., None],
    coverage_tiler: str,
    people: People,
) -> None:
    items = [make_scene(200, 0, 0), make_scene(201, 1, 0)]
    with psycopg.connect(database_url) as conn:
        store.declare(conn, "rebuild-2018", "SPOT 6/7 2018", store.year_search("spot-6-7", YEAR))
    first = build(database_url, "rebuild-2018", coverage_settings, storage=guard).pyramid
    assert first is not None and first.item_count == 2
    assert build(database_url, "rebuild-2018", coverage_settings, storage=guard).pyramid is None

    west, south, east, north = first.bounds
    tile = TMS.tile(west + (east - west) * 0.2, (south + north) / 2, first.zoom)
    with psycopg.connect(database_url) as conn:
        url = tile_url(coverage_tiler, store.get(conn, "rebuild-2018"), tile)
    before = decoded(get(url, headers=bearer(people.entitled)).content)

    # A newer scene over the first: drawn on top in the new pyramid.
    items.append(make_scene(202, 0, 0))
    second = build(database_url, "rebuild-2018", coverage_settings, storage=guard).pyramid
    assert second is not None and second.item_count == 3
    # A new file: the one it replaces is kept until the next build, for tiles in flight.
    assert second.path != first.path and Path(first.path).exists()
    after = get(url, headers=bearer(people.entitled))
    assert after.headers["x-coverage-source"] == "pyramid"
    served = decoded(after.content)
    assert (served != before).any()
    expected = mosaic_in_process(items, tile)
    both = ~served.mask[0] & ~expected.mask[0]
    assert abs(served.data[:, both].astype(int) - expected.data[:, both]).mean() < 3
    with rasterio.open(second.path) as cog:
        assert cog.crs.to_epsg() == 3857 and cog.overviews(1)

    # An edited item (its metadata only) changes the content hash: rebuilt too.
    load({**items[0], "properties": {**items[0]["properties"], "eo:cloud_cover": 12.5}})
    third = build(database_url, "rebuild-2018", coverage_settings, storage=guard).pyramid
    assert third is not None and third.fingerprint != second.fingerprint
    assert not Path(first.path).exists() and Path(second.path).exists()


def test_an_item_whose_file_is_missing_is_left_out_not_fatal(
    database_url: str,
    coverage_settings: CoverageSettings,
    guard: StorageGuard,
    make_scene: Callable[..., dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    kept, lost = make_scene(300, 0, 2, year=2014), make_scene(301, 1, 2, year=2014)
    Path(lost["assets"]["data"]["href"]).unlink()
    with psycopg.connect(database_url) as conn:
        store.declare(conn, "missing-2014", "SPOT 6/7 2014", store.year_search("spot-6-7", 2014))
    pyramid = build(database_url, "missing-2014", coverage_settings, storage=guard).pyramid
    assert pyramid is not None
    assert f"spot-6-7/{lost['id']} left out" in caplog.text
    with rasterio.open(pyramid.path) as cog:
        assert cog.read(1, masked=True).count() > 0  # the kept scene is drawn
    assert kept["id"] not in caplog.text
