"""The operator's commands, end to end on the real database."""

import re

import psycopg
import pytest
from typer.testing import CliRunner

from access import cli, store
from access.policy import can_access

runner = CliRunner()


@pytest.fixture
def invoke(access_url: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(cli, "_provider", lambda: access_url)

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli.app, list(args))
        assert result.exit_code == code, result.output
        return result.output

    return run


def test_onboarding_an_entity_and_a_user(invoke, access_url: str) -> None:
    created = invoke("entity", "create", "INRAE CLI", "--category", "french-research")
    entity = re.search(r"entity (\d+) created", created).group(1)
    invoke("entity", "activate", entity)
    invoke("user", "create", "eve@inrae.test", "--entity", entity, "--name", "Eve")
    invoke("user", "activate", "eve@inrae.test")
    invoke("entity", "charter", entity, "--version", "2024", "--by", "eve@inrae.test")
    invoke("licence", "accept", "airbus-dinamis", "--entity", entity, "--by", "eve@inrae.test")
    invoke("licence", "acknowledge", "airbus-dinamis", "--user", "eve@inrae.test")
    secret = invoke("key", "issue", "eve@inrae.test", "--days", "30").strip().splitlines()[-1]
    assert secret.startswith("dnm_")

    with psycopg.connect(access_url) as conn:
        principal = store.resolve_key(conn, secret)
        licences = store.licences_by_collection(conn)
    assert can_access(principal, "pleiades", licences).allowed

    assert "INRAE CLI" in invoke("entity", "list")
    assert "eve@inrae.test" in invoke("user", "list", "--entity", entity)
    assert "pleiades,pleiades-neo,spot-6-7" in invoke("licence", "list")

    invoke("key", "revoke", secret.split("_")[1])
    with psycopg.connect(access_url) as conn:
        assert store.resolve_key(conn, secret) is None


def test_errors_are_reported_not_raised(invoke) -> None:
    assert "already exists" in invoke(
        "entity", "create", "INRAE CLI", "--category", "french-research", code=1
    )
    assert "NotFoundError" in invoke("user", "activate", "nobody@nowhere.test", code=1)
