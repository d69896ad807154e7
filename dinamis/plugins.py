"""Commands that packages contribute to the ``dinamis`` command line.

A package declares ``register(app: typer.Typer) -> None`` in the ``dinamis.cli`` entry-point
group; the CLI calls each one, so adding a package adds its commands without the core naming it.
"""

from importlib.metadata import entry_points

import typer

GROUP = "dinamis.cli"


def register_commands(app: typer.Typer) -> None:
    for entry in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        entry.load()(app)
