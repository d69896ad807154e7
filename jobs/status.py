"""A job's OGC status document, for the API's answers and the requester's callbacks."""

from jobs import store
from jobs.models import Link, StatusInfo

RESULTS = "http://www.opengis.net/def/rel/ogc/1.0/results"


def status_info(job: store.Job, api_url: str) -> StatusInfo:
    """The status of ``job``, its links under ``api_url`` (the API's base URL)."""
    run = job.run
    job_url = f"{api_url}/jobs/{job.id}"
    links = [Link(href=job_url, rel="self"), Link(href=job_url, rel="monitor")]
    if job.status is store.Status.SUCCESSFUL:
        links.append(Link(href=f"{job_url}/results", rel=RESULTS))
    dismissed = job.status is store.Status.DISMISSED
    return StatusInfo(
        processID=run.process,
        jobID=str(job.id),
        status=job.status.value,
        message="dismissed at the requester's demand" if job.dismissed_at else run.message,
        created=job.created_at,
        started=run.started_at if run.started_at and run.started_at > job.created_at else None,
        finished=job.dismissed_at if dismissed and job.dismissed_at else run.finished_at,
        updated=max(run.updated_at, job.dismissed_at or job.created_at, job.created_at),
        progress=round(run.progress) if run.result is None else 100,
        links=links,
    )
