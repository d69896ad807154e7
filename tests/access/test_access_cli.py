"""The operator's commands, end to end on the real database: in process, and through
``python -m dinamis`` as an operator runs them."""

import os
import re
import subprocess
import sys

import psycopg

from access import store
from access.policy import can_access
from dinamis.settings import REPO_ROOT


def test_onboarding_an_entity_and_a_user(invoke, database_url: str) -> None:
    created = invoke("entity", "create", "INRAE CLI", "--category", "french-research")
    entity = re.search(r"entity (\d+) created", created).group(1)
    # In the README's order; activation is refused until the charter and licence are recorded.
    refused = invoke("entity", "activate", entity, code=1)
    assert "membership charter nor licence airbus-dinamis" in refused
    invoke("user", "create", "eve@inrae.test", "--entity", entity, "--name", "Eve")
    invoke("user", "activate", "eve@inrae.test")
    invoke("entity", "charter", entity, "--version", "2024", "--by", "eve@inrae.test")
    assert "licence airbus-dinamis" in invoke("entity", "activate", entity, code=1)
    invoke("licence", "accept", "airbus-dinamis", "--entity", entity, "--by", "eve@inrae.test")
    invoke("licence", "acknowledge", "airbus-dinamis", "--user", "eve@inrae.test")
    invoke("entity", "activate", entity)
    secret = invoke("key", "issue", "eve@inrae.test", "--days", "30").strip().splitlines()[-1]
    assert secret.startswith("dnm_")

    with psycopg.connect(database_url) as conn:
        principal = store.resolve_key(conn, secret)
        licences = store.licences_by_collection(conn)
    assert can_access(principal, "pleiades", licences).allowed

    assert "INRAE CLI" in invoke("entity", "list")
    assert "eve@inrae.test" in invoke("user", "list", "--entity", entity)
    assert "pleiades,pleiades-neo,spot-6-7" in invoke("licence", "list")

    invoke("key", "revoke", secret.split("_")[1])
    with psycopg.connect(database_url) as conn:
        assert store.resolve_key(conn, secret) is None


def test_errors_are_reported_not_raised(invoke) -> None:
    assert "already exists" in invoke(
        "entity", "create", "INRAE CLI", "--category", "french-research", code=1
    )
    assert "NotFoundError" in invoke("user", "activate", "nobody@nowhere.test", code=1)


def test_commands_run_through_python_m_dinamis(database_url: str) -> None:
    env = {**os.environ, "DINAMIS_DATABASE_URL": database_url}

    def dinamis(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "dinamis", *args],
            env=env,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    created = dinamis("entity", "create", "CNES subprocess", "--category", "french-public-body")
    entity = re.search(r"entity (\d+) created", created).group(1)
    dinamis("user", "create", "zoe@cnes.test", "--entity", entity, "--name", "Zoé")
    dinamis("user", "activate", "zoe@cnes.test")
    dinamis("entity", "charter", entity, "--version", "2024", "--by", "zoe@cnes.test")
    dinamis("licence", "accept", "airbus-dinamis", "--entity", entity)
    dinamis("entity", "activate", entity)
    issued = dinamis("key", "issue", "zoe@cnes.test")
    assert issued.strip().splitlines()[-1].startswith("dnm_")
    assert "zoe@cnes.test" in dinamis("user", "list", "--entity", entity)
    assert "airbus-dinamis" in dinamis("licence", "list")
