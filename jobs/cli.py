"""``dinamis worker``: a process running the queued jobs of every package."""

import asyncio
import logging
from typing import Annotated

import typer

from dinamis import database
from dinamis.embedded import EmbeddedDatabaseError
from dinamis.settings import get_settings
from jobs.queue import blueprints, worker_queue
from jobs.settings import JobsSettings

log = logging.getLogger(__name__)


def run_worker(
    database_url: str, settings: JobsSettings, name: str | None = None, wait: bool = True
) -> None:
    """Take jobs from the queue until SIGINT/SIGTERM (or, ``wait=False``, until none is left);
    running jobs get ``shutdown_seconds`` to finish on SIGTERM."""

    async def work() -> None:
        with worker_queue(database_url, settings.concurrency + 2) as queue:
            async with queue.open_async():
                await queue.run_worker_async(
                    queues=settings.queues or None,
                    name=name,
                    concurrency=settings.concurrency,
                    wait=wait,
                    update_heartbeat_interval=settings.heartbeat_seconds,
                    stalled_worker_timeout=settings.stalled_seconds,
                    shutdown_graceful_timeout=settings.shutdown_seconds,
                    additional_context={"database_url": database_url},
                )

    asyncio.run(work())


def register(app: typer.Typer) -> None:
    @app.command()
    def worker(
        concurrency: Annotated[
            int | None,
            typer.Option(
                "--concurrency", "-c", min=1, max=64, help="Jobs run at once by this worker."
            ),
        ] = None,
        queue: Annotated[
            list[str] | None,
            typer.Option(
                "--queue", "-q", help="Take jobs from this queue only (repeat for several)."
            ),
        ] = None,
        name: Annotated[
            str | None, typer.Option(help="Name in the logs and the workers table.")
        ] = None,
    ) -> None:
        """Run queued jobs (ortho-rectifications, deferred COGs, ...) until stopped. Start
        several, on several machines, to share the queue; a job whose worker dies is retried
        or failed with the reason."""
        settings = JobsSettings()
        if concurrency:
            settings.concurrency = concurrency
        if queue:
            settings.queues = queue
        try:
            url = database.database_url(get_settings())
        except EmbeddedDatabaseError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(1) from error
        tasks = ", ".join(name for name, _ in blueprints())
        log.info(
            "worker on queues %s, %d at a time (tasks of %s)",
            ", ".join(settings.queues) or "all",
            settings.concurrency,
            tasks,
        )
        run_worker(url, settings, name)
