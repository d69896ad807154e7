"""The operators' back-office: everyone else is refused on every back-office route; searches
and forms answer bad input with a clear page; decisions on applications are audited. (An
operator handling a request from its arrival to its delivery in the pages is the tasking
journey of test_requests.py.)"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest

from access import store as access_store
from access.models import EntityCategory, Role
from access.settings import AccessSettings
from dinamis.serve import BackgroundServer, free_port
from dinamis.settings import Settings
from portal import store
from portal.app import create_app
from portal.passwords import hash_password
from portal.settings import PortalSettings
from tests.orders.conftest import payload, square
from tests.orders.test_lifecycle import DELIVERY_BOUNDS
from tests.portal.conftest import Portal, member
from tests.portal.pages import history

PASSWORD = "un mot de passe du back-office"
OPERATOR = "olivia@ops.backoffice.test"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
WEST, SOUTH, EAST, NORTH = DELIVERY_BOUNDS
DELIVERY_CENTRE = ((WEST + EAST) / 2, (SOUTH + NORTH) / 2)


@dataclass(frozen=True)
class People:
    requester: str
    key: str
    entity_id: int
    referent: str
    operator_key: str


@pytest.fixture(scope="module")
def people(portal: Portal) -> People:
    """A lab's requester (with an API key) and referent, and an operator (not an admin)."""
    entity = member(
        portal.database_url, "Labo du back-office", "rachel@lab.backoffice.test", PASSWORD
    )
    with psycopg.connect(portal.database_url) as conn:
        requester = access_store.find_user(conn, "rachel@lab.backoffice.test")
        key = access_store.issue_key(conn, requester.id).secret
        referent = access_store.create_user(
            conn, entity, "remi@lab.backoffice.test", "Rémi", Role.REFERENT
        )
        access_store.activate_user(conn, referent.id)
        store.set_password_hash(conn, referent.id, hash_password(PASSWORD))
        staff = access_store.create_entity(
            conn, "DINAMIS back-office staff", EntityCategory.FRENCH_PUBLIC_BODY
        )
        access_store.activate_entity(conn, staff.id)
        operator = access_store.create_user(conn, staff.id, OPERATOR, "Olivia", Role.OPERATOR)
        access_store.activate_user(conn, operator.id)
        store.set_password_hash(conn, operator.id, hash_password(PASSWORD))
        operator_key = access_store.issue_key(conn, operator.id).secret
    return People(requester.email, key, entity, referent.email, operator_key)


def submit(portal: Portal, people: People, km2: float = 3100) -> str:
    """A Pléiades tasking request by the lab's requester, through the API, over the place
    delivered products are ingested (far from other suites' items); its id."""
    created = httpx.post(
        f"{portal.api_url}/stapi/products/pleiades-tasking/orders",
        json=payload(square(km2, DELIVERY_CENTRE), view="mono", max_cloud_cover=10),
        headers={"Authorization": f"Bearer {people.key}"},
        timeout=60,
    )
    assert created.status_code == 201, created.text
    return created.json()["id"]


def session(base: str, email: str | None, language: str = "fr") -> httpx.Client:
    """An HTTP client with a portal session, signed in as ``email`` unless ``None``."""
    client = httpx.Client(base_url=base, timeout=60, headers={"Accept-Language": language})
    if email is not None:
        csrf = CSRF.search(client.get("/login").text)
        assert csrf
        answer = client.post(
            "/login", data={"email": email, "password": PASSWORD, "csrf": csrf.group(1)}
        )
        assert answer.status_code == 303, answer.text
    return client


def csrf_of(client: httpx.Client) -> str:
    found = CSRF.search(client.get("/").text)
    assert found
    return found.group(1)


def backoffice_routes(portal: Portal) -> list[tuple[str, str]]:
    """Every route of the portal application under /backoffice, as (method, path template):
    read from the application itself, so that a new route is checked as soon as it exists."""
    app = create_app(portal.database_url, PortalSettings(api_url=portal.api_url))
    routes = [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path == "/backoffice" or path.startswith("/backoffice/")
        for method in operations
    ]
    assert len(routes) >= 11, routes
    return routes


def concrete(path: str, order_id: str, application_id: int) -> str:
    return (
        path.replace("{order_id}", order_id)
        .replace("{application_id}", str(application_id))
        .replace("{action}", "accept")
    )


@pytest.fixture(scope="module")
def application(portal: Portal) -> int:
    """A membership application its legal representative confirmed, awaiting operators."""
    with psycopg.connect(portal.database_url) as conn:
        entity = access_store.create_entity(
            conn, "Labo candidat du back-office", EntityCategory.FRENCH_RESEARCH
        )
        created = store.create_application(
            conn,
            entity_name="Labo candidat du back-office",
            category=EntityCategory.FRENCH_RESEARCH,
            country="FR",
            identifier="73282932000074",
            legal_name="Louise Légale",
            legal_email="louise@candidat.backoffice.test",
            referent_name="Chloé",
            referent_email="chloe@candidat.backoffice.test",
            purpose="Suivi des glaciers.",
        )
        store.update_application(
            conn, created.id, status="confirmed", charter_version="2024", entity_id=entity.id
        )
        return created.id


def test_everyone_but_operators_is_refused_on_every_route(
    portal: Portal, people: People, application: int
) -> None:
    order_id = submit(portal, people, km2=400)
    routes = backoffice_routes(portal)
    before = history(portal, order_id)
    token = httpx.post(
        f"{portal.api_url}/auth/token",
        headers={"Authorization": f"Bearer {people.operator_key}"},
        timeout=60,
    )
    assert token.status_code == 200, token.text
    # Credentials of the API (an operator's key or token) are no portal session: sent to sign in.
    strangers = {
        "anonymous": session(portal.url, None),
        "token": session(portal.url, None),
        "key": session(portal.url, None),
    }
    strangers["token"].params = {"access_token": token.json()["access_token"]}
    strangers["key"].headers["Authorization"] = f"Bearer {people.operator_key}"
    members = {
        "user": session(portal.url, people.requester),
        "referent": session(portal.url, people.referent),
        "user in English": session(portal.url, people.requester, "en"),
    }
    for method, path in routes:
        url = concrete(path, order_id, application)
        for name, client in strangers.items():
            answer = client.request(method, url, data={"csrf": csrf_of(client), "reason": "x"})
            assert answer.status_code == 303, (name, method, url, answer.status_code)
            location = answer.headers["location"]
            assert location.startswith("/login?next=%2Fbackoffice"), (name, url, location)
        for name, client in members.items():
            answer = client.request(method, url, data={"csrf": csrf_of(client), "reason": "x"})
            assert answer.status_code == 403, (name, method, url, answer.status_code)
            expected = (
                "This page is reserved to DINAMIS operators."
                if name.endswith("English")
                else "Cette page est réservée à l’équipe DINAMIS."
            )
            assert expected in answer.text, (name, url)
    # Nothing moved: the request, the application and the audit trail are as they were.
    assert history(portal, order_id) == before
    with psycopg.connect(portal.database_url) as conn:
        assert conn.execute(
            "SELECT status::text FROM dinamis_portal.application WHERE id = %s", (application,)
        ).fetchone() == ("confirmed",)
        assert conn.execute(
            "SELECT count(*) FROM dinamis_portal.audit WHERE application_id = %s", (application,)
        ).fetchone() == (0,)
    # The sign-in brings the visitor back where they were going.
    anonymous = strangers["anonymous"]
    answer = anonymous.get(f"/backoffice/requests/{order_id}")
    assert answer.headers["location"] == f"/login?next=%2Fbackoffice%2Frequests%2F{order_id}"
    csrf = CSRF.search(anonymous.get(answer.headers["location"]).text)
    assert csrf
    signed = anonymous.post(
        "/login",
        data={
            "email": OPERATOR,
            "password": PASSWORD,
            "csrf": csrf.group(1),
            "next": f"/backoffice/requests/{order_id}",
        },
    )
    assert signed.headers["location"] == f"/backoffice/requests/{order_id}"
    assert anonymous.get(signed.headers["location"]).status_code == 200
    for client in (*strangers.values(), *members.values()):
        client.close()


@pytest.fixture(scope="module")
def small_pages(portal: Portal, access: AccessSettings, settings: Settings) -> Iterator[str]:
    """The portal with two results per page and three pages at most."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = BackgroundServer(
        create_app(
            portal.database_url,
            PortalSettings(
                public_url=url,
                api_url=portal.api_url,
                tiler_url=portal.tiler_url,
                backoffice_page_size=2,
                backoffice_max_pages=3,
            ),
            access,
        ),
        port,
    ).start()
    yield url
    server.stop()


def result_ids(page: str) -> list[str]:
    return re.findall(r'<tr data-id="(\d+)">', page)


def test_search_paging_and_bad_input(portal: Portal, people: People, small_pages: str) -> None:
    ids = [submit(portal, people, km2=300 + n) for n in range(3)]
    operator = session(small_pages, OPERATOR)
    query = {
        "requester": "RACHEL@lab.backoffice",
        "status": "received",
        "product": "pleiades-tasking",
    }
    first = operator.get("/backoffice/requests", params=query)
    assert first.status_code == 200
    total = int(re.search(r"(\d+) résultats, page 1 sur", first.text).group(1))
    assert total >= 3
    assert result_ids(first.text) == ids[::-1][:2]  # newest first, two per page
    second = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert second
    following = operator.get(second.group(1).replace("&amp;", "&"))
    assert result_ids(following.text)[0] == ids[0]
    # One request by its number; others' filters narrow to nothing.
    assert result_ids(operator.get("/backoffice/requests", params={"id": ids[1]}).text) == [ids[1]]
    nothing = operator.get(
        "/backoffice/requests",
        params={"entity": "personne", "from": datetime.now(UTC).date().isoformat()},
    )
    assert result_ids(nothing.text) == [] and "Aucune demande ne correspond." in nothing.text
    today = datetime.now(UTC).date().isoformat()
    dated = operator.get("/backoffice/requests", params={**query, "from": today, "to": today})
    assert ids[-1] in result_ids(dated.text)
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    assert result_ids(operator.get("/backoffice/requests", params={"from": tomorrow}).text) == []

    for params, message in (
        ({"id": "douze"}, "Un nombre entier"),
        ({"from": "2026-13-45"}, "Une date, par exemple"),
        ({"status": "lost"}, "Choisissez dans la liste."),
        ({"page": "4"}, "Les pages vont de 1 à 3"),
        ({"page": "-1"}, "Un nombre entier"),
    ):
        refused = operator.get("/backoffice/requests", params=params)
        assert refused.status_code == 400 and message in refused.text, params
        assert "page" in params or 'aria-invalid="true"' in refused.text
    assert operator.get("/backoffice/audit", params={"request": "x"}).status_code == 400
    assert operator.get("/backoffice/requests/123456789012").status_code == 404
    assert operator.get("/backoffice/requests/abc").status_code == 404

    # Forms are checked with the API's own limits, and said in the reader's language.
    csrf = csrf_of(operator)
    too_long = operator.post(
        f"/backoffice/requests/{ids[0]}/actions/reject", data={"csrf": csrf, "reason": "x" * 2001}
    )
    assert (
        too_long.status_code == 400 and "Le motif est trop long (2000 caractères" in too_long.text
    )
    cloudy = operator.post(
        f"/backoffice/requests/{ids[0]}/attempts",
        data={"csrf": csrf, "acquired_at": "2026-12-01T10:30", "cloud_cover": "150"},
    )
    assert cloudy.status_code == 400 and "La couverture nuageuse n’est pas valide" in cloudy.text
    empty = operator.post(f"/backoffice/requests/{ids[0]}/deliver", data={"csrf": csrf})
    assert empty.status_code == 400
    assert "Les images livrées : indiquez-en au moins une" in empty.text
    unknown = operator.post(f"/backoffice/requests/{ids[0]}/actions/agree", data={"csrf": csrf})
    assert unknown.status_code == 404
    # A refused transition says the workflow's reason, in the page's language; nothing changes.
    refused = operator.post(
        f"/backoffice/requests/{ids[0]}/actions/reject", data={"csrf": csrf, "reason": " "}
    )
    assert refused.status_code == 409
    assert "dites pourquoi : « reject » demande un motif." in refused.text
    assert history(portal, ids[0]) == [("received", people.requester)]
    for order_id in ids:  # out of the other tests' queues
        done = operator.post(
            f"/backoffice/requests/{order_id}/actions/reject",
            data={"csrf": csrf, "reason": "Doublon."},
        )
        assert done.status_code == 303
    operator.close()


def test_application_decisions_are_audited(
    portal: Portal, people: People, application: int
) -> None:
    operator = session(portal.url, OPERATOR, "en")
    page = operator.get("/backoffice/applications")
    assert "Labo candidat du back-office" in page.text
    csrf = csrf_of(operator)
    refused = operator.post(f"/backoffice/applications/{application}/refuse", data={"csrf": csrf})
    assert refused.status_code == 400 and "Say why the application is refused." in refused.text
    approved = operator.post(f"/backoffice/applications/{application}/approve", data={"csrf": csrf})
    assert approved.status_code == 303
    again = operator.post(f"/backoffice/applications/{application}/approve", data={"csrf": csrf})
    assert again.status_code == 409
    trail = operator.get("/backoffice/audit", params={"application": application})
    [entry] = re.findall(r'<tr class="entry" data-action="([^"]+)">', trail.text)
    assert entry == "approve" and OPERATOR in trail.text and "Application approved" in trail.text
    with psycopg.connect(portal.database_url) as conn:
        assert conn.execute(
            "SELECT actor, action, entity_id IS NOT NULL FROM dinamis_portal.audit"
            " WHERE application_id = %s",
            (application,),
        ).fetchall() == [(OPERATOR, "approve", True)]
    operator.close()


def test_tranches_are_recorded_and_audited(portal: Portal, people: People) -> None:
    operator = session(portal.url, OPERATOR, "en")
    lab = {"entity": "Labo du back-office"}
    balance_url = f"{portal.api_url}/stapi/entities/{people.entity_id}/tranches"
    api = {"Authorization": f"Bearer {people.operator_key}"}
    before = httpx.get(balance_url, headers=api, timeout=60).json()["attempts_left"]
    page = operator.get("/backoffice/tranches", params=lab)
    assert page.status_code == 200 and f'data-entity="{people.entity_id}"' in page.text
    # The sizes offered are the rules' tranches.
    sizes = [int(size) for size in re.findall(r'<option value="(\d+)">', page.text)]
    assert sizes and len(set(sizes)) == len(sizes)
    form = {"csrf": csrf_of(operator), "entity_id": str(people.entity_id), "filter": lab["entity"]}

    recorded = operator.post("/backoffice/tranches", data={**form, "attempts": str(sizes[-1])})
    assert recorded.status_code == 303
    shown = operator.get(recorded.headers["location"])
    left = before + sizes[-1]
    assert f"Labo du back-office has {left} attempts left" in shown.text
    assert httpx.get(balance_url, headers=api, timeout=60).json()["attempts_left"] == left

    # A size the rules do not sell, an unknown entity: refused, nothing recorded.
    wrong = operator.post("/backoffice/tranches", data={**form, "attempts": str(sizes[-1] + 1)})
    assert wrong.status_code == 400 and "the rules sell" in wrong.text
    unknown = operator.post(
        "/backoffice/tranches",
        data={**form, "entity_id": "999999999", "attempts": str(sizes[0])},
    )
    assert unknown.status_code == 404
    assert httpx.get(balance_url, headers=api, timeout=60).json()["attempts_left"] == left

    trail = operator.get("/backoffice/audit", params={"action": "tranche", **lab})
    entries = re.findall(r'<tr class="entry" data-action="([^"]+)">', trail.text)
    assert entries == ["tranche"] and OPERATOR in trail.text
    assert f"{sizes[-1]} attempts" in trail.text and "SPOT tranche bought" in trail.text
    operator.close()
