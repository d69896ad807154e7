"""docker-compose.yml and the Dockerfile stay true to the code, with or without a Docker engine."""

import importlib
import os
import re
import shutil
import subprocess
import tomllib

import pypgstac
import pytest
import yaml

from access.settings import AccessSettings
from dinamis.mail import MailSettings
from dinamis.settings import REPO_ROOT, Settings
from jobs.settings import JobsSettings
from orders.settings import OrdersSettings
from ortho.settings import OrthoSettings
from portal.settings import PortalSettings
from tiler.settings import TilerSettings

COMPOSE = REPO_ROOT / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_database_image_matches_the_pypgstac_in_use(compose: dict) -> None:
    image = compose["services"]["database"]["image"]
    assert image.endswith(f":v{pypgstac.__version__}"), image


def test_server_commands_name_real_app_factories(compose: dict) -> None:
    for name in ("stac-api", "tiler", "portal"):
        command = compose["services"][name]["command"]
        target = re.search(r"uvicorn (\S+) --factory", command)
        assert target, command
        module, factory = target.group(1).split(":")
        assert callable(getattr(importlib.import_module(module), factory))


def test_dinamis_variables_are_settings_the_code_reads(compose: dict) -> None:
    fields = {
        f"{prefix}{name.upper()}"
        for prefix, model in (
            ("DINAMIS_", Settings),
            ("DINAMIS_TILER_", TilerSettings),
            ("DINAMIS_ACCESS_", AccessSettings),
            ("DINAMIS_SMTP_", MailSettings),
            ("DINAMIS_ORDERS_", OrdersSettings),
            ("DINAMIS_PORTAL_", PortalSettings),
            ("DINAMIS_JOBS_", JobsSettings),
            ("DINAMIS_ORTHO_", OrthoSettings),
        )
        for name in model.model_fields
    }
    for service in compose["services"].values():
        for variable in service.get("environment", {}):
            if variable.startswith("DINAMIS_"):
                assert variable in fields, variable


def test_services_have_health_checks(compose: dict) -> None:
    for name in ("database", "stac-api", "tiler", "portal"):
        assert "healthcheck" in compose["services"][name], name


def test_dockerfile_copies_every_package() -> None:
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\S+) \./", dockerfile, flags=re.MULTILINE))
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    packages = [
        name.rstrip("*") for name in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    ]
    for package in (*packages, "collections"):
        assert package in copied, package
        assert (REPO_ROOT / package).is_dir()


def test_docker_compose_accepts_the_file() -> None:
    docker = shutil.which("docker")
    if not docker or subprocess.run([docker, "compose", "version"], capture_output=True).returncode:
        pytest.skip("no docker compose client on this machine")
    result = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        env={**os.environ, "POSTGRES_PASSWORD": "check", "ACCESS_SECRET_KEY": "check"},
    )
    assert result.returncode == 0, result.stderr
