"""Authorisation must not slow tiles: with warm caches it costs no database round trip."""

import statistics
import time

import httpx


def timed_ms(client: httpx.Client, url: str, headers: dict[str, str]) -> float:
    start = time.perf_counter()
    assert client.get(url, headers=headers).status_code == 200
    return (time.perf_counter() - start) * 1000


def test_guarded_tile_overhead_is_small(server_url, items, people) -> None:
    collection, item = items.licensed
    guarded = f"{server_url}/collections/{collection}/items/{item}/tiles/15/1/2"
    unguarded = guarded.replace("/tiles/", "/unguarded/")
    headers = {"Authorization": f"Bearer {people.entitled}"}
    bare, authorised = [], []
    with httpx.Client() as client:
        client.get(guarded, headers=headers)  # warm the key and licence caches
        # Interleaved, so that the load of the machine weighs on both alike.
        for _ in range(300):
            bare.append(timed_ms(client, unguarded, {}))
            authorised.append(timed_ms(client, guarded, headers))
    overhead = statistics.median(authorised) - statistics.median(bare)
    print(
        f"median: unguarded {statistics.median(bare):.2f} ms, "
        f"guarded {statistics.median(authorised):.2f} ms, overhead {overhead:+.2f} ms"
    )
    # A real titiler tile takes tens of milliseconds: 1 ms is the 5 % budget of a 20 ms tile.
    assert overhead < 1.0
