"""The tiler opens only catalogue assets under the storage roots: crafted hrefs are refused (403).

Each case is a real item in pgSTAC whose `data` asset points where it must not.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.tiler.samples import UTM_ORIGIN, make_item, quadrants, write_cog
from tiler.errors import ForbiddenAssetError
from tiler.storage import StorageGuard

COLLECTION = "pleiades-neo"


@pytest.fixture(scope="session")
def outside_cog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A perfectly good COG, but not under any storage root."""
    return write_cog(
        tmp_path_factory.mktemp("outside") / "secret.tif", quadrants(), "EPSG:32631", UTM_ORIGIN
    )


@pytest.fixture(scope="session")
def crafted(storage: Path, outside_cog: Path, load_items: Callable[..., None]) -> dict[str, str]:
    """Item id -> the href it carries."""
    link = storage / COLLECTION / "evil" / "link.tif"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.is_symlink():
        link.symlink_to(outside_cog)
    vrt = storage / COLLECTION / "evil" / "passwd.vrt"
    vrt.write_text(
        '<VRTDataset rasterXSize="1" rasterYSize="1"><VRTRasterBand dataType="Byte" band="1">'
        f"<SimpleSource><SourceFilename>{outside_cog}</SourceFilename></SimpleSource>"
        "</VRTRasterBand></VRTDataset>"
    )
    hrefs = {
        "ETC_PASSWD": "/etc/passwd",
        "OUTSIDE_COG": str(outside_cog),
        "TRAVERSAL": f"{storage}/../../../../etc/passwd",
        "TRAVERSAL_TO_COG": f"{storage}/{'../' * len(storage.parts)}{str(outside_cog).lstrip('/')}",
        "RELATIVE": "../../../../../../etc/passwd",
        "FILE_URL": "file:///etc/passwd",
        "FILE_URL_ENCODED": f"file://{storage}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "VSICURL": "/vsicurl/http://169.254.169.254/latest/meta-data/",
        "VSIZIP": f"/vsizip/{storage}/{COLLECTION}/evil/archive.zip/secret.tif",
        "METADATA_SERVICE": "http://169.254.169.254/latest/meta-data/iam",
        "LOCALHOST": "http://127.0.0.1:5432/x.tif",
        "PRIVATE": "http://10.0.0.1/x.tif",
        "PUBLIC_NOT_ALLOWED": "https://example.com/x.tif",
        "S3": "s3://bucket/key.tif",
        "SYMLINK_OUT": str(link),
        "VRT": str(vrt),
    }
    load_items(*(make_item(item_id, COLLECTION, href) for item_id, href in hrefs.items()))
    return hrefs


ENDPOINTS = [
    "/info",
    "/tiles/WebMercatorQuad/14/8256/5983.png",
    "/preview.png",
    "/point/1.41,43.59",
    "/bbox/1.405,43.585,1.41,43.59.tif",
    "/WebMercatorQuad/tilejson.json",
]


def check_refused(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 403, (response.status_code, response.text)
    assert response.headers["content-type"] == "application/json"
    return response.json()


@pytest.mark.parametrize(
    "item_id",
    [
        "ETC_PASSWD",
        "OUTSIDE_COG",
        "TRAVERSAL",
        "TRAVERSAL_TO_COG",
        "RELATIVE",
        "FILE_URL",
        "FILE_URL_ENCODED",
        "VSICURL",
        "VSIZIP",
        "METADATA_SERVICE",
        "LOCALHOST",
        "PRIVATE",
        "PUBLIC_NOT_ALLOWED",
        "S3",
        "SYMLINK_OUT",
        "VRT",
    ],
)
def test_crafted_href_is_refused(
    tiler_url: str, entitled: httpx.Client, crafted: dict[str, str], item_id: str
) -> None:
    base = f"{tiler_url}/collections/{COLLECTION}/items/{item_id}"
    for endpoint in ENDPOINTS:
        body = check_refused(entitled.get(base + endpoint, params={"assets": "data"}, timeout=60))
        assert item_id in body["detail"], endpoint
        # The href is a storage path (or an inside address): never told to the caller.
        assert crafted[item_id] not in body["detail"], endpoint


def test_refusal_says_why(tiler_url: str, entitled: httpx.Client, crafted: dict[str, str]) -> None:
    base = f"{tiler_url}/collections/{COLLECTION}/items"
    detail = check_refused(entitled.get(f"{base}/ETC_PASSWD/info"))["detail"]
    assert detail == (
        "asset 'data' of item 'ETC_PASSWD' is not served: "
        f"its file is not in collection '{COLLECTION}''s storage folder"
    )
    detail = check_refused(entitled.get(f"{base}/LOCALHOST/info"))["detail"]
    assert "not under an allowed URL prefix" in detail
    detail = check_refused(entitled.get(f"{base}/VRT/info"))["detail"]
    assert "only GeoTIFF" in detail


def test_mosaic_over_a_crafted_item_draws_nothing_of_it_and_logs_why(
    tiler_url: str,
    entitled: httpx.Client,
    crafted: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    search = entitled.post(
        f"{tiler_url}/searches/register",
        json={"collections": [COLLECTION], "ids": ["ETC_PASSWD"]},
        timeout=60,
    ).json()
    # The crafted footprint (1.40-1.42E, 43.58-43.60N) at zoom 14.
    response = entitled.get(
        f"{tiler_url}/searches/{search['id']}/tiles/WebMercatorQuad/14/8256/5983.png",
        params={"assets": "data"},
        timeout=60,
    )
    # The item is skipped as unreadable (other items of a mosaic would still be drawn).
    assert response.status_code == 204, response.text
    assert f"item {COLLECTION}/ETC_PASSWD skipped" in caplog.text
    assert "storage folder" in caplog.text


def test_no_endpoint_takes_a_url(tiler_url: str, entitled: httpx.Client) -> None:
    openapi = entitled.get(f"{tiler_url}/api", timeout=60).json()
    for path, operations in openapi["paths"].items():
        assert not path.startswith(("/cog", "/external", "/stac", "/mosaicjson")), path
        assert "/assets/{asset_id}" not in path, path
        for operation in operations.values():
            names = {p["name"] for p in operation.get("parameters", [])}
            assert "url" not in names, path
    assert (
        entitled.get(f"{tiler_url}/external/info", params={"url": "/etc/passwd"}).status_code == 404
    )
    assert entitled.get(f"{tiler_url}/cog/info", params={"url": "/etc/passwd"}).status_code == 404


def test_guard_allows_only_roots_and_public_prefixes(tmp_path: Path) -> None:
    root = tmp_path / "storage"
    (root / "a").mkdir(parents=True)
    guard = StorageGuard.from_settings([root], ["https://example.com/cogs/"])
    real = str((root / "a" / "x.tif").resolve())
    assert guard.check(str(root / "a" / "x.tif"), "a") == real
    assert guard.check(f"file://{root}/a/x.tif", "a") == real
    assert guard.check("x.tif", "a") == real  # relative to its collection's folder
    for href in (
        f"{root}/../x.tif",
        f"{root}2/a/x.tif",
        str(root / "b" / "x.tif"),  # another collection's folder
        "../b/x.tif",
        "https://example.com/other/x.tif",
        "https://example.com.evil.org/cogs/x.tif",
        "/vsis3/bucket/x.tif",
        "x\x00.tif",
    ):
        with pytest.raises(ForbiddenAssetError):
            guard.check(href, "a")
    # A GDAL driver prefix is only one at the start: what GDAL gets is a name in the folder.
    confined = guard.check("GTIFF_DIR:1:/etc/passwd", "a")
    assert confined.startswith(f"{(root / 'a').resolve()}/"), confined
