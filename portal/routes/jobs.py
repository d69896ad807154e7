"""The signed-in user's processing jobs: the list, a cancel button, and the ortho-rectification
asked for from a raw scene's page; the same jobs and the same store as the API's ``/jobs``."""

import re
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse

from jobs import store, submission
from jobs.processes import InputError, Process, Submission
from jobs.settings import JobsSettings
from jobs.status import status_info
from portal.processing import ORTHO, processes
from portal.routes.catalogue import bounded
from portal.web import Form, PageError, Web, WebDep, field, signed_in

router = APIRouter()

ACTIVE = (store.Status.ACCEPTED, store.Status.RUNNING)
# A result published in the catalogue: its item's API URL.
ITEM_URL = re.compile(r"/collections/([^/]+)/items/([^/?#]+)$")


def _results(page: Web, process: Process | None, job: store.Job) -> list[str]:
    """The portal's pages of the catalogue items a successful job published."""
    if process is None or job.status is not store.Status.SUCCESSFUL or job.run.result is None:
        return []
    pages = []
    for output in process.results(job.run.result, page.settings.api_url).values():
        found = ITEM_URL.search(output.get("href", ""))
        if found:
            pages.append(f"/catalogue/{found.group(1)}/{found.group(2)}")
    return pages


@router.get("/jobs", response_class=HTMLResponse)
async def jobs_page(
    page: WebDep, offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0
) -> HTMLResponse:
    principal = signed_in(page)
    settings = JobsSettings()
    limit = settings.page_limit
    found = await page.access.run(store.list_jobs, principal.user_id, limit + 1, offset)
    offered = processes(page)
    rows = [
        {
            "job": job,
            # What the API says of it: status, progress and times alike.
            "info": status_info(job, page.settings.api_url),
            "process": offered.get(job.run.process),
            "source": job.run.inputs.get("collection"), "item": job.run.inputs.get("item"),
            "results": _results(page, offered.get(job.run.process), job),
            "active": job.status in ACTIVE,
        }
        for job in found[:limit]
    ]  # fmt: skip
    older = offset + limit if len(found) > limit else None
    return page.render("jobs.html", rows=rows, older=older, retention_days=settings.retention_days)


def _ortho_inputs(page: Web, form: Any) -> dict[str, Any]:
    """The ortho-rectification's inputs from the item page's form (blank ones left to the
    process's defaults), the resolution checked here to say what is wrong in the reader's
    language."""
    inputs: dict[str, Any] = {
        "item": f"{field(form, 'collection', 100)}/{field(form, 'item', 200)}"
    }
    if field(form, "dem", 100):
        inputs["dem"] = field(form, "dem", 100)
    resolution = bounded(
        page, field(form, "resolution", 20), page.gettext("Resolution (m)"), 0.01, 100_000
    )
    if resolution is not None:
        inputs["resolution"] = resolution
    return inputs


@router.post("/jobs/orthorectify")
async def orthorectify(page: WebDep, form: Form) -> RedirectResponse:
    principal = signed_in(page)
    process = processes(page).get(ORTHO)
    if process is None:
        raise PageError(404, page.gettext("Ortho-rectification is not offered on this server."))
    refused = page.gettext("Ortho-rectification refused")
    try:
        asked = _ortho_inputs(page, form)
    except ValueError as error:
        raise PageError(400, str(error), refused) from None
    try:
        inputs = await process.prepare(Submission(page.request, principal, asked))
        await submission.submit(
            page.request.app.state.jobs.queue, page.access, process, principal.user_id, inputs
        )
    except (InputError, submission.QueueBusyError) as error:
        reason = page.reason(error.message, error.params)
        raise PageError(
            error.status,
            page.gettext("The ortho-rectification cannot be done: %(reason)s", reason=reason),
            refused,
        ) from None
    return page.redirect("/jobs")


@router.post("/jobs/{job_id}/cancel")
async def cancel(job_id: str, page: WebDep, form: Form) -> RedirectResponse:
    principal = signed_in(page)
    try:
        uuid = UUID(job_id[:100])
    except ValueError:
        raise PageError(404, page.gettext("You have no such processing job.")) from None
    job = await page.access.run(store.get_job, uuid)
    # Another user's job is as unknown as a missing one.
    if job is None or job.user_id != principal.user_id:
        raise PageError(404, page.gettext("You have no such processing job."))
    await submission.dismiss(page.request.app.state.jobs.queue, page.access, job)
    return page.redirect("/jobs")
