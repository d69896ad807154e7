"""OGC API - Processes - Part 1: Core on the STAC API: ``/processes``, ``/jobs``.

Implemented on FastAPI rather than with pygeoapi's process manager: pygeoapi brings its own
server, configuration file and job store, where here jobs must run on the project's queue,
belong to the project's users (API keys, access decisions per item) and be mounted on the
STAC API beside the catalogue they publish into.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

import procrastinate
from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from access.dependencies import active, get_access
from access.models import Principal
from jobs import store, submission
from jobs.callbacks import CallbackRefusedError, CallbackSettings, check_subscriber, job_changed
from jobs.models import (
    CONFORMANCE,
    EXCEPTIONS,
    Execute,
    JobList,
    Link,
    ProcessDescription,
    ProcessList,
    ProcessSummary,
    StatusInfo,
)
from jobs.processes import InputError, Process, Submission, offered
from jobs.queue import create_queue
from jobs.settings import JobsSettings
from jobs.status import status_info

Caller = Annotated[Principal, Depends(active)]


class ProblemError(Exception):
    """An OGC exception document (type, title, status, detail) as the response."""

    def __init__(self, status: int, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.kind, self.detail = status, kind, detail

    def response(self) -> JSONResponse:
        return JSONResponse(
            {
                "type": f"{EXCEPTIONS}/{self.kind}",
                "title": self.kind.replace("-", " "),
                "status": self.status,
                "detail": self.detail,
            },
            status_code=self.status,
        )


class ProblemRoute(APIRoute):
    """Routes whose :class:`ProblemError` becomes its OGC exception document."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except ProblemError as problem:
                return problem.response()

        return route


@dataclass
class JobsState:
    settings: JobsSettings
    queue: procrastinate.App
    processes: dict[str, Process]


def jobs_state(request: Request) -> JobsState:
    return request.app.state.jobs


def _process(state: JobsState, process_id: str) -> Process:
    process = state.processes.get(process_id)
    if process is None:
        raise ProblemError(404, "no-such-process", f"no process '{process_id}'.")
    return process


def _summary(process: Process, request: Request) -> dict[str, Any]:
    return {
        "id": process.id,
        "title": process.title,
        "description": process.description,
        "version": process.version,
        "keywords": list(process.keywords),
        "links": [
            Link(href=str(request.url_for("jobs:process", process_id=process.id)), rel="self"),
            Link(
                href=str(request.url_for("jobs:execute", process_id=process.id)),
                rel="http://www.opengis.net/def/rel/ogc/1.0/execute",
                title="Execute (asynchronously)",
            ),
        ],
    }


def _api_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _status(job: store.Job, request: Request) -> StatusInfo:
    return status_info(job, _api_url(request))


async def _own_job(request: Request, principal: Principal, job_id: str) -> store.Job:
    try:
        uuid = UUID(job_id)
    except ValueError:
        raise ProblemError(404, "no-such-job", f"no job '{job_id}'.") from None
    job = await get_access(request).run(store.get_job, uuid)
    # Another user's job is as unknown as a missing one: ids say nothing of who asked what.
    if job is None or job.user_id != principal.user_id:
        raise ProblemError(404, "no-such-job", f"no job '{job_id}'.")
    return job


def processes_router(settings: JobsSettings | None = None) -> APIRouter:
    """The OGC API - Processes routes for the STAC API app; its lifespan opens the queue on
    the database the access layer uses (install access first)."""
    settings = settings or JobsSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        queue = create_queue(app.state.access.pool.conninfo, pool_size=2)
        async with queue.open_async():
            app.state.jobs = JobsState(settings, queue, offered())
            yield

    router = APIRouter(lifespan=lifespan, route_class=ProblemRoute, tags=["Processes"])
    router.conformance = CONFORMANCE  # type: ignore[attr-defined] - read by the STAC API

    @router.get("/processes", response_model=ProcessList, name="jobs:processes")
    async def list_processes(request: Request) -> ProcessList:
        """The processes users may run."""
        state = jobs_state(request)
        return ProcessList(
            processes=[ProcessSummary(**_summary(p, request)) for p in state.processes.values()],
            links=[Link(href=str(request.url_for("jobs:processes")), rel="self")],
        )

    @router.get("/processes/{process_id}", response_model=ProcessDescription, name="jobs:process")
    async def describe_process(request: Request, process_id: str) -> ProcessDescription:
        """A process: what it takes and what it gives."""
        process = _process(jobs_state(request), process_id)
        return ProcessDescription(
            **_summary(process, request),
            inputs=process.described_inputs(),
            outputs=process.outputs,
        )

    @router.post(
        "/processes/{process_id}/execution",
        status_code=201,
        response_model=StatusInfo,
        name="jobs:execute",
    )
    async def execute(
        request: Request,
        response: Response,
        process_id: str,
        principal: Caller,
        prefer: Annotated[str | None, Header()] = None,
    ) -> StatusInfo:
        """Queue a job (asynchronous execution only: the process description's
        jobControlOptions say so, and a request without ``Prefer: respond-async`` is run
        asynchronously too, as Part 1 requires of such processes)."""
        state = jobs_state(request)
        process = _process(state, process_id)
        body = await request.body()
        if len(body) > state.settings.max_body_bytes:
            raise ProblemError(413, "invalid-parameter", "execution request too large.")
        try:
            execute = Execute.model_validate_json(body or b"{}")
        except ValidationError as error:
            reason = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in error.errors()
            )
            raise ProblemError(
                400, "invalid-parameter", f"invalid execution request: {reason}"
            ) from None
        try:
            inputs = await process.prepare(Submission(request, principal, execute.inputs))
        except InputError as error:
            raise ProblemError(error.status, "invalid-parameter", error.detail) from None
        subscriber = None
        if execute.subscriber is not None:
            try:
                subscriber = await run_in_threadpool(
                    check_subscriber, execute.subscriber, CallbackSettings()
                )
            except CallbackRefusedError as error:
                raise ProblemError(error.status, "invalid-parameter", error.detail) from None
        try:
            job = await submission.submit(
                state.queue, get_access(request), process, principal.user_id, inputs, subscriber
            )
        except submission.QueueBusyError as error:
            raise ProblemError(error.status, "server-error", error.detail) from None
        # A job sharing a run that already started or ended is told so at once.
        job_changed(job, _api_url(request))
        response.headers["Location"] = str(request.url_for("jobs:job", job_id=str(job.id)))
        if prefer and "respond-async" in prefer:
            response.headers["Preference-Applied"] = "respond-async"
        return _status(job, request)

    @router.get("/jobs", response_model=JobList, name="jobs:jobs")
    async def list_jobs(
        request: Request,
        principal: Caller,
        limit: Annotated[int, Query(ge=1, le=settings.page_limit)] = 20,
        offset: Annotated[int, Query(ge=0, le=settings.max_offset)] = 0,
    ) -> JobList:
        """The caller's jobs, newest first."""
        jobs = await get_access(request).run(store.list_jobs, principal.user_id, limit + 1, offset)
        url = request.url_for("jobs:jobs")
        links = [Link(href=str(request.url), rel="self")]
        if len(jobs) > limit:
            next_url = url.include_query_params(limit=limit, offset=offset + limit)
            links.append(Link(href=str(next_url), rel="next"))
        return JobList(jobs=[_status(j, request) for j in jobs[:limit]], links=links)

    @router.get("/jobs/{job_id}", response_model=StatusInfo, name="jobs:job")
    async def job_status(request: Request, job_id: str, principal: Caller) -> StatusInfo:
        """A job's status, progress and times."""
        return _status(await _own_job(request, principal, job_id), request)

    @router.get("/jobs/{job_id}/results", name="jobs:results")
    async def job_results(request: Request, job_id: str, principal: Caller) -> dict[str, Any]:
        """What a successful job made."""
        job = await _own_job(request, principal, job_id)
        if job.status in (store.Status.ACCEPTED, store.Status.RUNNING):
            raise ProblemError(404, "result-not-ready", f"job {job_id} is {job.status.value}.")
        if job.status is not store.Status.SUCCESSFUL or job.run.result is None:
            reason = job.run.message if job.status is store.Status.FAILED else "dismissed"
            raise ProblemError(404, "no-such-result", f"job {job_id} {job.status.value}: {reason}")
        process = jobs_state(request).processes.get(job.run.process)
        results = job.run.result
        return process.results(results, _api_url(request)) if process else results

    @router.delete("/jobs/{job_id}", response_model=StatusInfo, name="jobs:dismiss")
    async def dismiss(request: Request, job_id: str, principal: Caller) -> StatusInfo:
        """Dismiss a job; its run is cancelled when no other job waits for it."""
        job = await _own_job(request, principal, job_id)
        dismissed = await submission.dismiss(jobs_state(request).queue, get_access(request), job)
        return _status(dismissed, request)

    return router
