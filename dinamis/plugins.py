"""What packages contribute to the ``dinamis`` command line and to the STAC API.

A package declares, in its ``pyproject.toml`` entry points:
- ``dinamis.cli``: ``register(app: typer.Typer) -> None``, adding its commands;
- ``dinamis.api``: a factory ``() -> fastapi.APIRouter``, mounted on the STAC API app (the
  router's ``conformance`` attribute, when set, lists conformance classes it adds);
- ``dinamis.tiler``: the same, mounted on the tiler app (its routes find the tiler's pool,
  limits and readers in ``request.app.state``).
The core calls each one, so adding a package adds its commands and routes without the core
naming it.
"""

from importlib.metadata import entry_points

import typer
from fastapi import APIRouter

CLI_GROUP = "dinamis.cli"
API_GROUP = "dinamis.api"
TILER_GROUP = "dinamis.tiler"


def _loaded(group: str) -> list:
    return [entry.load() for entry in sorted(entry_points(group=group), key=lambda e: e.name)]


def register_commands(app: typer.Typer) -> None:
    for register in _loaded(CLI_GROUP):
        register(app)


def api_routers() -> list[APIRouter]:
    return [factory() for factory in _loaded(API_GROUP)]


def tiler_routers() -> list[APIRouter]:
    return [factory() for factory in _loaded(TILER_GROUP)]
