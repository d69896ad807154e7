"""The whole life of an archive order and of a tasking order, from submission to delivered
items the requester downloads, operator steps by API and by `dinamis request`, every change
mailed; opportunities computed from the loaded orbits."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pytest
from pypgstac.load import Loader, Methods
from pystac_client import Client
from rasterio.transform import from_bounds
from typer.testing import CliRunner

from access.client import sign_modifier
from dinamis.cli import app
from dinamis.database import pgstac_db
from dinamis.settings import Settings, get_settings
from orders.opportunities import passes
from tests import cogs
from tests.mail import SmtpServer
from tests.orders.conftest import TOULOUSE, Requesters, mails_to, payload, square

# Delivered products far from the sample scenes, so other suites' searches never meet them.
DELIVERY_BOUNDS = (70.20, -49.30, 70.22, -49.28)


def ingest(
    database_url: str,
    settings: Settings,
    item_id: str,
    bounds: tuple[float, float, float, float] = DELIVERY_BOUNDS,
) -> Path:
    """A delivered product as ingest publishes it: a COG in the storage and its item."""
    data = (np.arange(3 * 256 * 256, dtype=np.uint16).reshape(3, 256, 256) % 4000).astype("uint16")
    cog = cogs.write_cog(
        settings.storage / "pleiades" / item_id / "data.tif",
        data,
        "EPSG:4326",
        from_bounds(*bounds, 256, 256),
    )
    item = cogs.cog_item(item_id, "pleiades", cog, platform="PHR1A")
    with pgstac_db(database_url) as db:
        Loader(db).load_items(iter([item]), insert_mode=Methods.upsert)
    return cog


@pytest.fixture
def request_cli(
    database_url: str, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., str]]:
    """``dinamis request ...`` as the operator runs it, on the test database and SMTP server."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DINAMIS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("DINAMIS_SMTP_PORT", str(smtp.controller.port))
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, ["request", *args])
        assert result.exit_code == code, result.output
        return result.output

    yield run
    get_settings.cache_clear()


def act(
    client: httpx.Client, stapi: str, order_id: str, action: str, headers, **body
) -> httpx.Response:
    return client.post(
        f"{stapi}/stapi/orders/{order_id}/actions/{action}", json=body or None, headers=headers
    )


def status_of(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return response.json()["properties"]["status"]["status_code"]


def test_an_archive_order_from_scenes_to_downloaded_items(
    stapi: str,
    client: httpx.Client,
    requesters: Requesters,
    archive: dict,
    database_url: str,
    settings: Settings,
    smtp: SmtpServer,
) -> None:
    lab, operator = requesters.lab, requesters.operator
    # The archive footprints are searchable like the rest of the catalogue.
    found = client.post(
        f"{stapi}/search", json={"collections": ["airbus-archive"], "bbox": [1.4, 43.5, 1.5, 43.7]}
    )
    assert {f["id"] for f in found.json()["features"]} >= {
        "PHR1A_ARCHIVE_TLS_2023",
        "SPOT7_ARCHIVE_TLS_2022",
    }
    assert all(f["assets"] == {} for f in found.json()["features"])

    url = f"{stapi}/stapi/products/pleiades-archive/orders"
    when = "2020-01-01T00:00:00Z/2025-01-01T00:00:00Z"
    aoi = square(600)
    for scenes, message in (
        (["SPOT7_ARCHIVE_TLS_2022"], "acquired by SPOT7"),
        (["PHR1A_ARCHIVE_BREST_2023"], "does not cross the area of interest"),
        (["PHR1A_ARCHIVE_TLS_2023", "PHR1A_ARCHIVE_TLS_2023"], "named twice"),
    ):
        refused = client.post(url, json=payload(aoi, when, scenes=scenes), headers=lab.headers)
        assert refused.status_code == 422 and message in refused.text
    refused = client.post(
        url,
        json=payload(
            aoi, "2024-01-01T00:00:00Z/2025-01-01T00:00:00Z", scenes=["PHR1A_ARCHIVE_TLS_2023"]
        ),
        headers=lab.headers,
    )
    assert "not acquired within the window" in refused.text

    scenes = ["PHR1A_ARCHIVE_TLS_2023", "PHR1B_ARCHIVE_TLS_2024"]
    created = client.post(url, json=payload(aoi, when, scenes=scenes), headers=lab.headers)
    assert created.status_code == 201, created.text
    order = created.json()
    order_id = order["id"]
    # Two scenes of 600 km²: 1,200 km², within the 2,500 km² archive quota.
    assert [
        (line["quantity"], line["amount"]) for line in order["properties"]["dinamis:quote"]["lines"]
    ] == [(1200.0, "0.00")]

    refused = act(client, stapi, order_id, "accept", lab.headers)
    assert refused.status_code == 403 and "only DINAMIS operators" in refused.text
    assert status_of(act(client, stapi, order_id, "accept", operator.headers)) == "accepted"
    assert status_of(act(client, stapi, order_id, "forward", operator.headers)) == "processing"
    assert act(client, stapi, order_id, "quote", operator.headers).status_code == 409

    cog = ingest(database_url, settings, "ORDER-TEST-PHR-ARCHIVE")
    deliver = f"{stapi}/stapi/orders/{order_id}/deliver"
    wrong = client.post(
        deliver,
        json={"items": [{"collection": "spot-world-heritage", "id": "X"}]},
        headers=operator.headers,
    )
    assert wrong.status_code == 409 and "delivers to 'pleiades'" in wrong.text
    missing = client.post(
        deliver,
        json={"items": [{"collection": "pleiades", "id": "NOPE"}]},
        headers=operator.headers,
    )
    assert missing.status_code == 404 and "NOPE" in missing.text
    assert (
        client.post(
            deliver,
            json={"items": [{"collection": "pleiades", "id": "ORDER-TEST-PHR-ARCHIVE"}]},
            headers=lab.headers,
        ).status_code
        == 403
    )
    delivered = client.post(
        deliver,
        json={"items": [{"collection": "pleiades", "id": "ORDER-TEST-PHR-ARCHIVE"}]},
        headers=operator.headers,
    )
    assert status_of(delivered) == "completed"

    # The order links to its items, the items name the order, the requester downloads them.
    order = client.get(f"{stapi}/stapi/orders/{order_id}", headers=lab.headers).json()
    [link] = [link for link in order["links"] if link["rel"] == "item"]
    item = client.get(link["href"]).json()
    assert item["properties"]["dinamis:order_id"] == order_id
    download = client.get(item["assets"]["data"]["href"], headers=lab.headers)
    assert download.status_code == 200 and download.content == cog.read_bytes()

    # pystac-client still sees delivered items, and finds them by order.
    catalogue = Client.open(stapi, modifier=sign_modifier(stapi, lab.key))
    search = catalogue.search(
        collections=["pleiades"],
        filter={"op": "=", "args": [{"property": "dinamis:order_id"}, order_id]},
    )
    assert [i.id for i in search.items()] == ["ORDER-TEST-PHR-ARCHIVE"]

    history = client.get(f"{stapi}/stapi/orders/{order_id}/statuses", headers=lab.headers).json()[
        "statuses"
    ]
    assert [(s["status_code"], s["actor"]) for s in history] == [
        ("received", lab.email),
        ("accepted", operator.email),
        ("processing", operator.email),
        ("completed", operator.email),
    ]
    mails = mails_to(smtp, lab.email, 4, about=f"request {order_id} ")
    assert sorted(m["Subject"].rsplit(": ", 1)[1] for m in mails) == [
        "accepted",
        "completed",
        "processing",
        "received",
    ]


def test_a_tasking_order_with_a_quote_through_to_delivery(
    stapi: str,
    client: httpx.Client,
    requesters: Requesters,
    database_url: str,
    settings: Settings,
    smtp: SmtpServer,
    request_cli: Callable[..., str],
) -> None:
    lab, operator = requesters.lab, requesters.operator
    created = client.post(
        f"{stapi}/stapi/products/pleiades-tasking/orders",
        json=payload(square(3100), view="mono", max_cloud_cover=10),
        headers=lab.headers,
    )
    order_id = created.json()["id"]
    assert "accepted" in request_cli("accept", order_id)
    refused = act(client, stapi, order_id, "forward", operator.headers)
    assert refused.status_code == 409 and "awaits the requester's agreement" in refused.text
    assert "reserved" in request_cli("quote", order_id)
    [quote_mail] = [
        m
        for m in mails_to(smtp, lab.email, 1)
        if m["Subject"].endswith(f"request {order_id} (Pléiades tasking): reserved")
    ]
    assert "Due: 2090.00 EUR" in smtp.mailbox.body(quote_mail)

    assert (
        act(client, stapi, order_id, "agree", requesters.lab_colleague.headers).status_code == 404
    )
    agreed = act(client, stapi, order_id, "agree", lab.headers)
    assert status_of(agreed) == "accepted" and agreed.json()["properties"]["dinamis:quote_agreed"]
    assert "tasked" in request_cli("forward", order_id)
    assert (
        act(client, stapi, order_id, "cancel", lab.headers).status_code == 409
    )  # at the provider now

    first = client.post(
        f"{stapi}/stapi/orders/{order_id}/attempts",
        json={
            "acquired_at": (datetime.now(UTC) + timedelta(days=6)).isoformat(),
            "cloud_cover": 40,
            "validated": False,
        },
        headers=operator.headers,
    )
    assert status_of(first) == "scheduled"
    assert "40 % cloud: not validated" in first.json()["properties"]["status"]["reason_text"]
    assert "processing" in request_cli(
        "attempt", order_id, "--acquired-at", "2026-12-10T10:31:00", "--cloud", "4", "--validated"
    )
    # The tries, with their cloud cover, to whoever may see the order.
    tries = client.get(f"{stapi}/stapi/orders/{order_id}/attempts", headers=lab.headers).json()
    assert [(a["cloud_cover"], a["validated"]) for a in tries["attempts"]] == [
        (40, False),
        (4, True),
    ]
    hidden = client.get(
        f"{stapi}/stapi/orders/{order_id}/attempts", headers=requesters.public.headers
    )
    assert hidden.status_code == 404
    cog = ingest(database_url, settings, "ORDER-TEST-PHR-TASKING")
    assert "completed" in request_cli("deliver", order_id, "pleiades/ORDER-TEST-PHR-TASKING")

    shown = request_cli("show", order_id)
    for line in (
        "received by lea@lab",
        "accepted by operator (command line)",
        "reserved by",
        "tasked by",
        "scheduled by",
        "completed by",
        "item pleiades/ORDER-TEST-PHR-TASKING",
        "rules 2026.4",
    ):
        assert line in shown
    # The referent sees the delivered order of their entity; the requester downloads.
    seen = client.get(
        f"{stapi}/stapi/orders/{order_id}", headers=requesters.lab_referent.headers
    ).json()
    assert seen["properties"]["dinamis:items"] == ["pleiades/ORDER-TEST-PHR-TASKING"]
    href = client.get(f"{stapi}/collections/pleiades/items/ORDER-TEST-PHR-TASKING").json()[
        "assets"
    ]["data"]["href"]
    assert client.get(href, headers=lab.headers).content == cog.read_bytes()
    assert client.get(href).status_code == 401
    # Every change mailed (the API's mails are sent in the background: compare as sets).
    mails = mails_to(smtp, lab.email, 8, about=f"request {order_id} ")
    assert sorted(m["Subject"].rsplit(": ", 1)[1] for m in mails) == sorted(
        [
            "received",
            "accepted",
            "reserved",
            "accepted",
            "tasked",
            "scheduled",
            "processing",
            "completed",
        ]
    )


def test_the_operator_commands_refuse_what_does_not_apply(
    stapi: str,
    client: httpx.Client,
    requesters: Requesters,
    request_cli: Callable[..., str],
    tmp_path: Path,
) -> None:
    order_id = client.post(
        f"{stapi}/stapi/products/spot-tasking/orders",
        json=payload(square(900)),
        headers=requesters.lab.headers,
    ).json()["id"]
    out = request_cli("deliver", order_id, "pleiades/ORDER-TEST-PHR-ARCHIVE", code=1)
    assert "cannot deliver an order that is received (only when processing)" in out
    assert "needs a reason" in request_cli("reject", order_id, code=1)
    assert "order 999999" in request_cli("accept", "999999", code=1)
    assert "COLLECTION/ITEM_ID" in request_cli("deliver", order_id, "no-slash", code=1)
    bad = tmp_path / "bad.tle"
    bad.write_text("SAT\n1 bad\n2 bad\n")
    assert "malformed" in request_cli("tle", "load", str(bad), code=1)
    assert "already recorded" in request_cli("rules", "load")
    assert "tranches: 20, 50" in request_cli(
        "tranche", "buy", str(requesters.lab.entity_id), "--attempts", "7", code=1
    )
    assert f"{order_id}\tspot-tasking\treceived" in request_cli(
        "list", "--entity", str(requesters.lab.entity_id)
    )


def test_opportunities_are_the_daylight_passes_of_the_product_satellites(
    stapi: str, client: httpx.Client, requesters: Requesters, tles: list
) -> None:
    start = datetime.now(UTC) + timedelta(hours=1)
    end = start + timedelta(days=3)
    body = {"datetime": f"{start.isoformat()}/{end.isoformat()}", "geometry": square(400)}
    url = f"{stapi}/stapi/products/pleiades-tasking/opportunities"
    response = client.post(url, json={**body, "limit": 50}, headers=requesters.lab.headers)
    assert response.status_code == 200, response.text
    features = response.json()["features"]
    expected = passes([t for t in tles if t[0].startswith("PLEIADES")], *TOULOUSE, start, end, 45)
    assert [
        (f["properties"]["platform"], f["properties"]["view:incidence_angle"]) for f in features
    ] == [(p.satellite, p.incidence_angle) for p in expected]
    assert all(f["properties"]["view:incidence_angle"] <= 45 for f in features)
    assert any(link["rel"] == "create-order" for link in response.json()["links"])

    neo = client.post(
        f"{stapi}/stapi/products/pleiades-neo-tasking/opportunities",
        json=body,
        headers=requesters.lab.headers,
    )
    assert neo.status_code == 503 and "PLEIADES NEO 3" in neo.text
    archive = client.post(
        f"{stapi}/stapi/products/pleiades-archive/opportunities",
        json=body,
        headers=requesters.lab.headers,
    )
    assert archive.status_code == 404 and "has no 'opportunities'" in archive.text
    past = {**body, "datetime": "2020-01-01T00:00:00Z/2020-01-02T00:00:00Z"}
    assert client.post(url, json=past, headers=requesters.lab.headers).status_code == 422
    long = {**body, "datetime": f"{start.isoformat()}/{(start + timedelta(days=90)).isoformat()}"}
    too_long = client.post(url, json=long, headers=requesters.lab.headers)
    assert too_long.status_code == 422 and "31 days" in too_long.text
