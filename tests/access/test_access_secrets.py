"""Signed tokens, and credentials kept out of every log."""

import logging
import time

import httpx
import pytest

from access.logs import install_secret_filter, mask_secrets
from access.tokens import issue_token, verify_token
from tests.processes import app_env, uvicorn_process


def test_token_round_trip_tamper_and_expiry(monkeypatch: pytest.MonkeyPatch) -> None:
    token, expires = issue_token("secret", 42, ttl=60, collections=["pleiades", "spot"])
    claims = verify_token("secret", token)
    assert claims is not None and claims.key_id == 42
    assert claims.collections == {"pleiades", "spot"}
    assert verify_token("other secret", token) is None
    version, key_id, _, scope, signature = token.split(".")
    assert (
        verify_token("secret", f"{version}.{key_id}.{expires + 3600}.{scope}.{signature}") is None
    )
    wider, _ = issue_token("secret", 42, ttl=60, collections=["pleiades", "spot", "pleiades-neo"])
    widened = f"{version}.{key_id}.{expires}.{wider.split('.')[3]}.{signature}"
    assert verify_token("secret", widened) is None
    assert verify_token("secret", "garbage") is None
    monkeypatch.setattr(time, "time", lambda: expires + 1)
    assert verify_token("secret", token) is None


def test_mask_secrets() -> None:
    text = (
        "GET /x?a=1&access_token=v1.2.3.abc&b=2 Authorization: Bearer v1.2.3.sig "
        "key dnm_0a1b2c3d_s3cr-et_x X-API-Key: zzz"
    )
    masked = mask_secrets(text)
    for secret in ("v1.2.3.abc", "v1.2.3.sig", "0a1b2c3d", "s3cr-et", "zzz"):
        assert secret not in masked
    assert "a=1&access_token=***&b=2" in masked


def test_no_credential_reaches_the_logs(
    api_url, access_items, people, caplog: pytest.LogCaptureFixture
) -> None:
    install_secret_filter()
    caplog.set_level(logging.DEBUG)
    token = httpx.post(
        f"{api_url}/auth/token", headers={"Authorization": f"Bearer {people.entitled}"}
    ).json()["access_token"]
    collection, item = access_items.licensed
    url = f"{api_url}/collections/{collection}/items/{item}/assets/image/download"
    httpx.get(url, params={"access_token": token}, headers={"Range": "bytes=0-9"})
    logging.getLogger("dinamis.somewhere").warning("forwarding Bearer %s", people.entitled)
    assert token not in caplog.text
    assert people.entitled not in caplog.text
    assert "access_token=***" in caplog.text  # httpx logged the URL, masked
    assert "Bearer ***" in caplog.text


@pytest.mark.parametrize(
    ("factory", "health", "path"),
    [
        ("stac_api.app:create_app", "/_mgmt/ping", "/collections/pleiades/items/x"),
        ("tiler.app:create_app", "/healthz", "/collections/pleiades/items/x/info"),
    ],
)
def test_apps_started_as_compose_does_mask_their_access_log(
    api_url, database_url, settings, people, factory: str, health: str, path: str
) -> None:
    """``uvicorn module:create_app --factory`` with its access log, as docker-compose.yml
    starts both apps: no CLI installs anything, the factories must."""
    token = httpx.post(
        f"{api_url}/auth/token", headers={"Authorization": f"Bearer {people.entitled}"}
    ).json()["access_token"]
    with uvicorn_process(factory, health, app_env(database_url, settings)) as served:
        httpx.get(f"{served.url}{path}", params={"access_token": token, "a": "1"})
        httpx.get(f"{served.url}{path}", params={"access_token": people.entitled})
        httpx.get(f"{served.url}{path}", headers={"Authorization": f"Bearer {people.entitled}"})
        deadline = time.monotonic() + 5
        while "access_token=***" not in served.output() and time.monotonic() < deadline:
            time.sleep(0.05)
        output = served.output()
    assert f"GET {path}?access_token=***&a=1" in output, output
    assert token not in output
    assert people.entitled not in output
    assert people.entitled.split("_")[1] not in output  # not even the key's prefix
