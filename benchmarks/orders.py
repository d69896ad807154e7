"""What a request costs the STAC API: order submission and dry-run quotes under concurrent
clients, against the bare stac-fastapi ping of the same server.

    python -m benchmarks.orders --requests 200

Starts a throwaway embedded database and the real STAC API (requests mounted under /stapi)
in its own process, with an entitled lab user. Measures, with 1 and 8 concurrent clients:

- ``GET /_mgmt/ping``: stac-fastapi's own health route (the bare server: no work);
- ``GET /stapi/products``: stapi-fastapi's router alone (five products and their schemas);
- ``POST …/pleiades-tasking/quote``: authentication, policy, AOI checks, geodesic area, quote;
- ``POST …/pleiades-tasking/orders``: the same, then the order, its status and its mail;
- ``POST …/spot-tasking/orders`` beyond the free attempts: every submission also takes
  attempts from the one balance row of the entity, the lock concurrent requests queue on.

Prints p50/p95 (ms), requests/s and the ratio of p50 to the bare ping.
"""

import argparse
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
from shapely.geometry import box, mapping

from benchmarks.harness import served
from benchmarks.tiles import CLIENTS, Result, bench, entitled_key, measure
from dinamis.settings import Settings
from orders import store
from orders.rules import load_rules


def aoi(index: int, half: float) -> dict:
    """A different square near Toulouse for each request (no cache helps)."""
    lon, lat = 1.0 + (index % 40) * 0.02, 43.3 + (index // 40 % 20) * 0.02
    return mapping(box(lon - half, lat - half * 0.72, lon + half, lat + half * 0.72))


def client_call(
    method: str, url: str, headers: dict[str, str], body: Callable[[int], dict] | None
) -> Callable[[int], bytes]:
    local = threading.local()

    def call(index: int) -> bytes:
        if not hasattr(local, "client"):
            local.client = httpx.Client(timeout=120, headers=headers)
        response = local.client.request(method, url, json=body(index) if body else None)
        if response.status_code >= 400:
            raise RuntimeError(f"{url}: {response.status_code} {response.text[:200]}")
        return response.content

    return call


def main() -> None:
    bench(__doc__, run, requests=200, size=0)


def run(url: str, settings: Settings, args: argparse.Namespace) -> None:
    key = entitled_key(url)
    headers = {"Authorization": f"Bearer {key}"}
    rules = load_rules()
    with psycopg.connect(url) as conn:
        store.ensure_rules(conn, rules)
        (entity_id,) = conn.execute(
            "SELECT entity_id FROM dinamis_access.\"user\" WHERE email = 'bench@dinamis.test'"
        ).fetchone()
        # Enough tranches for every SPOT submission of the run (2 attempts each).
        for _ in range(len(CLIENTS) * (args.requests + 50) * 2 // 50 + 1):
            store.buy_tranche(conn, entity_id, 50, rules)
    start = datetime.now(UTC) + timedelta(days=5)
    when = f"{start.isoformat()}/{(start + timedelta(days=30)).isoformat()}"

    def pleiades(index: int) -> dict:
        return {"datetime": when, "geometry": aoi(index, 0.25), "order_parameters": {}}

    def spot(index: int) -> dict:
        # ~3,200 km² (one scene) in stereo, 6 tries: 12 attempts, 10 free, 2 from the tranche.
        return {
            "datetime": when,
            "geometry": aoi(index, 0.35),
            "order_parameters": {"view": "stereo", "attempts": 6},
        }

    with served("stac_api.app:create_app", "/_mgmt/ping", url, settings) as api:
        products = f"{api}/stapi/products"
        cases = {
            "GET ping (bare)": client_call("GET", f"{api}/_mgmt/ping", headers, None),
            "GET products": client_call("GET", products, headers, None),
            "POST quote (Pléiades)": client_call(
                "POST", f"{products}/pleiades-tasking/quote", headers, pleiades
            ),
            "POST order (Pléiades)": client_call(
                "POST", f"{products}/pleiades-tasking/orders", headers, pleiades
            ),
            "POST order (SPOT, tranche)": client_call(
                "POST", f"{products}/spot-tasking/orders", headers, spot
            ),
        }
        work = list(range(args.requests))
        print(f"{args.requests} requests per row; latency in ms; x = p50 / bare ping p50")
        print(f"{'case':<28}{'clients':>8}{'p50':>8}{'p95':>8}{'req/s':>8}{'x':>7}")
        for clients in CLIENTS:
            baseline: Result | None = None
            for name, call in cases.items():
                result = measure(call, work[:8], args.requests, clients)
                baseline = baseline or result
                print(
                    f"{name:<28}{clients:>8}{result.p50:>8.1f}{result.p95:>8.1f}"
                    f"{result.rate:>8.1f}{result.p50 / baseline.p50:>7.2f}"
                )
        with psycopg.connect(url) as conn:
            left = store.balance(conn, entity_id)
            (orders,) = conn.execute('SELECT count(*) FROM dinamis_orders."order"').fetchone()
        print(f"{orders} orders recorded; entity balance {left} attempts (never negative)")


if __name__ == "__main__":
    main()
