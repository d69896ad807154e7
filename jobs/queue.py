"""The one procrastinate app: the project's database as the queue, every package's tasks.

A package contributes tasks as a ``procrastinate.Blueprint`` named by an entry point of the
``dinamis.tasks`` group; its tasks are known as ``<entry point name>:<task name>``.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib.metadata import entry_points
from typing import Any

import procrastinate
from procrastinate.jobs import JobDeferrer
from procrastinate.tasks import configure_task

TASKS_GROUP = "dinamis.tasks"


def blueprints() -> list[tuple[str, procrastinate.Blueprint]]:
    return [
        (entry.name, entry.load())
        for entry in sorted(entry_points(group=TASKS_GROUP), key=lambda e: e.name)
    ]


@cache
def _registry() -> procrastinate.App:
    """The blueprints' tasks, added once per process: adding a blueprint renames its tasks
    (namespace) and binds them to the app, so a second app must share them, not re-add them."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector())
    for name, blueprint in blueprints():
        app.add_tasks_from(blueprint, namespace=name)
    return app


def _connector(database_url: str, pool_size: int) -> procrastinate.PsycopgConnector:
    return procrastinate.PsycopgConnector(conninfo=database_url, min_size=1, max_size=pool_size)


@contextmanager
def worker_queue(database_url: str, pool_size: int) -> Iterator[procrastinate.App]:
    """The app the tasks are bound to, on ``database_url`` (not opened yet): a worker's, whose
    periodic tasks defer themselves through it."""
    with _registry().replace_connector(_connector(database_url, pool_size)) as app:
        yield app


def create_queue(database_url: str, pool_size: int = 4) -> procrastinate.App:
    """An app on ``database_url`` knowing every contributed task (not opened yet), to defer
    jobs (with :func:`deferrer`) and manage them; several may live in one process."""
    registry = _registry()
    app = procrastinate.App(connector=_connector(database_url, pool_size))
    app.tasks = registry.tasks
    app.periodic_registry = registry.periodic_registry
    return app


def deferrer(app: procrastinate.App, task: str, **options: Any) -> JobDeferrer:
    """Deferring ``task`` on ``app``'s own connection (tasks are bound to the registry)."""
    return configure_task(name=task, job_manager=app.job_manager, **options)
