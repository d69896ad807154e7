"""What access control costs a tile: the same COG, tiled by the real tiler app, with and
without credentials.

    python -m benchmarks.auth --requests 300

Starts a throwaway embedded database, writes one Pléiades-like COG and catalogues it twice:
in Spot World Heritage (open: requests carry no credential, the guard lets them through on the
cached licence table) and in Pléiades (licensed: requests carry an entitled user's API key, or a
short-lived access_token as web maps do). The tiler runs in its own process; every request names
the same render, so the pictures are identical and only authorisation differs. Prints p50/p95 per
case with 1 and 8 concurrent clients, and the ratio to the open case (target: <= 1.05 once the
key, token and licence caches are warm, which ``measure`` ensures before timing).
"""

import argparse
import time
from collections.abc import Callable
from urllib.parse import urlencode

import morecantile
import psycopg
from pypgstac.load import Loader, Methods
from rio_tiler.io import Reader

from access import store
from access.settings import access_settings
from access.tokens import issue_token
from benchmarks.tiles import (
    CLIENTS,
    ORIGIN,
    bench,
    entitled_key,
    measure,
    over_http,
    pleiades_like,
    served_tiler,
    stac_item,
    tiles_over,
    write_cog,
)
from dinamis import database
from dinamis.settings import Settings

ITEM = "BENCH_AUTH"
RENDER = urlencode(
    [("assets", "data|bidx=1,2,3"), *[("rescale", "0,3000")] * 3, ("resampling", "bilinear")]
)


def case(
    tiler: str, collection: str, token: str | None = None
) -> Callable[[morecantile.Tile], str]:
    base = f"{tiler}/collections/{collection}/items/{ITEM}/tiles/WebMercatorQuad"
    query = f"{RENDER}&access_token={token}" if token else RENDER
    return lambda tile: f"{base}/{tile.z}/{tile.x}/{tile.y}.png?{query}"


def access_token(url: str, settings: Settings, key: str) -> str:
    """A token as the STAC API's POST /auth/token issues it: the deployment's shared secret
    (in the data folder the tiler also reads), naming the key."""
    secret = access_settings(settings).secret_key
    assert secret is not None  # access_settings always provides one
    with psycopg.connect(url) as conn:
        principal = store.resolve_key(conn, key)
    assert principal is not None and principal.key_id is not None
    return issue_token(secret.get_secret_value(), principal.key_id, 3600, ["pleiades"])[0]


def main() -> None:
    bench(__doc__, run, requests=300, size=2048)


def run(url: str, settings: Settings, args: argparse.Namespace) -> None:
    data = pleiades_like(args.size, args.size, 7)
    # The same image in both collections: each item's file must lie in its collection's folder.
    cog = write_cog(settings.storage / "pleiades" / "auth.tif", data, ORIGIN)
    open_cog = write_cog(settings.storage / "spot-world-heritage" / "auth.tif", data, ORIGIN)
    open_item = {**stac_item(ITEM, open_cog), "collection": "spot-world-heritage"}
    with database.pgstac_db(url) as db:
        Loader(db).load_items(iter([stac_item(ITEM, cog), open_item]), insert_mode=Methods.upsert)
    key = entitled_key(url)
    with Reader(str(cog)) as src:
        zoom = src.maxzoom
    tiles = tiles_over([cog], zoom, 64)

    with served_tiler(url, settings) as server:
        tiler = server.url
        cases = {
            "open, no credential": (case(tiler, "spot-world-heritage"), None),
            "licensed, API key": (case(tiler, "pleiades"), {"Authorization": f"Bearer {key}"}),
            "licensed, access_token": (
                case(tiler, "pleiades", access_token(url, settings, key)),
                None,
            ),
        }
        print(
            f"{args.requests} PNG tiles (256 px) of one {args.size}x{args.size} COG at zoom {zoom}"
            " per row; latency in ms; ratio = case / open"
        )
        print(f"{'case':<26}{'clients':>8}{'p50':>8}{'p95':>8}{'p50 x':>8}{'p95 x':>8}")
        for clients in CLIENTS:
            baseline = None
            for name, (url_for, headers) in cases.items():
                result = measure(over_http(url_for, headers), tiles, args.requests, clients)
                baseline = baseline or result
                print(
                    f"{name:<26}{clients:>8}{result.p50:>8.1f}{result.p95:>8.1f}"
                    f"{result.p50 / baseline.p50:>8.3f}{result.p95 / baseline.p95:>8.3f}"
                )
                time.sleep(0.5)


if __name__ == "__main__":
    main()
