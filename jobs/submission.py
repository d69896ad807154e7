"""A user's job made or dismissed: the same for the API's ``/jobs`` and the portal's pages."""

import logging
from typing import Any

import procrastinate

from access.state import AccessState
from dinamis.refusal import N_, RefusedError
from jobs import store
from jobs.processes import Process, input_hash
from jobs.queue import deferrer

log = logging.getLogger(__name__)


class QueueBusyError(RefusedError):
    """The queue could not take the request now (try again)."""


async def _queue_run(queue: procrastinate.App, process: Process, digest: str, inputs: dict) -> int:
    """Defer the task for a new run; an identical request queued an instant earlier holds
    the queueing lock, and its queued job is the one to share."""
    task = deferrer(queue, process.task, queue=process.queue, queueing_lock=digest, lock=digest)
    try:
        return await task.defer_async(input_hash=digest, inputs=inputs)
    except procrastinate.exceptions.AlreadyEnqueued:
        queued = await queue.job_manager.list_jobs_async(lock=digest, status="todo")
        for job in queued:
            if job.id is not None:
                return job.id
        raise QueueBusyError(503, N_("the queue is busy with this request: try again.")) from None


async def submit(
    queue: procrastinate.App,
    access: AccessState,
    process: Process,
    user_id: int,
    inputs: dict[str, Any],
    subscriber: dict[str, str] | None = None,
) -> store.Job:
    """The user's job for ``inputs`` (normalised by the process): sharing the run of the same
    request when one is queued, running or successful, else on a new run."""
    digest = input_hash(process, inputs)
    run = await access.run(store.find_run, digest)
    if run is None or run.status in store.RERUNNABLE:
        queue_job_id = await _queue_run(queue, process, digest, inputs)
        await access.run(store.attach_run, digest, process.id, inputs, queue_job_id)
        log.info("%s queued as job %s (%s)", process.id, queue_job_id, digest[:12])
    else:
        log.info("%s: reusing run %s (%s)", process.id, digest[:12], run.status.value)
    return await access.run(store.create_job, user_id, digest, subscriber)


async def dismiss(queue: procrastinate.App, access: AccessState, job: store.Job) -> store.Job:
    """Dismiss ``job``; its run is cancelled (stopped if running) when no other job waits
    for it."""
    last = await access.run(store.dismiss, job.id)
    active_run = job.run.status in (store.Status.ACCEPTED, store.Status.RUNNING)
    if last and active_run and job.run.queue_job_id is not None:
        await queue.job_manager.cancel_job_by_id_async(job.run.queue_job_id, abort=True)
    dismissed = await access.run(store.get_job, job.id)
    assert dismissed is not None
    return dismissed
