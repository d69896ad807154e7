"""The one procrastinate app: the project's database as the queue, every package's tasks.

A package contributes tasks as a ``procrastinate.Blueprint`` named by an entry point of the
``dinamis.tasks`` group; its tasks are known as ``<entry point name>:<task name>``.
"""

from importlib.metadata import entry_points

import procrastinate

TASKS_GROUP = "dinamis.tasks"


def blueprints() -> list[tuple[str, procrastinate.Blueprint]]:
    return [
        (entry.name, entry.load())
        for entry in sorted(entry_points(group=TASKS_GROUP), key=lambda e: e.name)
    ]


def create_queue(database_url: str, pool_size: int = 4) -> procrastinate.App:
    """The app on ``database_url``, with every contributed blueprint (not opened yet)."""
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(
            conninfo=database_url, min_size=1, max_size=pool_size
        )
    )
    for name, blueprint in blueprints():
        app.add_tasks_from(blueprint, namespace=name)
    return app
