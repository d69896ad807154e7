"""The queue's own housekeeping, periodic tasks run by whichever worker is alive.

A worker killed mid-job (power loss, OOM killer, ``kill -9``) cannot mark its job: the job
stays ``doing``. Workers send heartbeats; a job whose worker has been silent for
``stalled_seconds`` is stalled, and :func:`recover_stalled` retries it (up to
``max_attempts`` runs) or fails it, noting why on its run.

Finished jobs, the users' and the queue's own (a recovery every few seconds adds up), go
after ``retention_days`` (:func:`purge_old_jobs`).
"""

import asyncio
from datetime import timedelta

import procrastinate
import psycopg
from procrastinate.jobs import Status as QueueStatus

from dinamis.settings import get_settings
from jobs import callbacks, store
from jobs.processes import by_task
from jobs.settings import JobsSettings

blueprint = procrastinate.Blueprint()
QUEUE = "jobs"


@blueprint.periodic(cron=JobsSettings().recovery_cron)
@blueprint.task(
    name="recover_stalled", queue=QUEUE, pass_context=True, queueing_lock="recover-stalled"
)
async def recover_stalled(context: procrastinate.JobContext, timestamp: int) -> int:
    """Retry or fail the jobs of dead workers; return how many were found."""
    settings = JobsSettings()
    manager = context.app.job_manager
    stalled = list(await manager.get_stalled_jobs(seconds_since_heartbeat=settings.stalled_seconds))
    processes = by_task() if stalled else {}
    for job in stalled:
        assert job.id is not None
        attempt = job.attempts + 1
        given_up = attempt >= settings.max_attempts
        process = processes.get(job.task_name)
        if process is not None:
            # The dead worker's partial output, before the job may run again or be dismissed.
            await asyncio.to_thread(
                process.abandon, job.task_kwargs["input_hash"], job.task_kwargs["inputs"]
            )
        if not given_up:
            await manager.retry_job(job)
            reason = (
                f"the worker running attempt {attempt} stopped; the job was queued again "
                f"(attempt {attempt + 1} of {settings.max_attempts})"
            )
        else:
            await manager.finish_job(job, status=QueueStatus.FAILED, delete_job=False)
            reason = (
                f"the worker running it stopped {attempt} times "
                f"(of {settings.max_attempts} attempts allowed): given up"
            )
        await context.app.connector.execute_query_async(
            "UPDATE dinamis_jobs.run SET message = %(reason)s, updated_at = now(),"
            " finished_at = CASE WHEN %(failed)s THEN now() END"
            " WHERE queue_job_id = %(job_id)s",
            reason=reason,
            failed=given_up,
            job_id=job.id,
        )
        if process is not None and given_up:
            await asyncio.to_thread(
                _run_changed,
                context.additional_context["database_url"],
                job.task_kwargs["input_hash"],
            )
    return len(stalled)


def _run_changed(database_url: str, input_hash: str) -> None:
    with psycopg.connect(database_url) as conn:
        callbacks.run_changed(conn, input_hash, get_settings().api_url)


@blueprint.periodic(cron=JobsSettings().purge_cron)
@blueprint.task(name="purge_old_jobs", queue=QUEUE, pass_context=True, queueing_lock="purge")
async def purge_old_jobs(context: procrastinate.JobContext, timestamp: int) -> dict[str, int]:
    """Remove the users' jobs finished more than ``retention_days`` ago, the runs left
    without a job that published nothing, and the queue's jobs of that age (procrastinate's
    own purge, failed and cancelled ones included)."""
    retention = timedelta(days=JobsSettings().retention_days)

    def ours() -> tuple[int, int]:
        with psycopg.connect(context.additional_context["database_url"]) as conn:
            return store.purge(conn, retention)

    jobs, runs = await asyncio.to_thread(ours)
    await context.app.job_manager.delete_old_jobs(
        nb_hours=retention.days * 24,
        include_failed=True,
        include_cancelled=True,
        include_aborted=True,
    )
    return {"jobs": jobs, "runs": runs}
