"""Runs and users' jobs in ``dinamis_jobs``, their status read from procrastinate's queue."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb


class Status(StrEnum):
    """OGC API - Processes job statuses."""

    ACCEPTED = "accepted"
    RUNNING = "running"
    SUCCESSFUL = "successful"
    FAILED = "failed"
    DISMISSED = "dismissed"


# procrastinate's job status → the OGC one.
QUEUE_STATUS = {
    "todo": Status.ACCEPTED,
    "doing": Status.RUNNING,
    "succeeded": Status.SUCCESSFUL,
    "failed": Status.FAILED,
    "cancelled": Status.DISMISSED,
    "aborting": Status.DISMISSED,
    "aborted": Status.DISMISSED,
}
# A run in these states is done with and may be run again by the same request.
RERUNNABLE = {Status.FAILED, Status.DISMISSED}


@dataclass(frozen=True)
class Run:
    input_hash: str
    process: str
    inputs: dict[str, Any]
    queue_job_id: int | None
    queue_status: str | None
    progress: float
    message: str | None
    result: dict[str, Any] | None
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime

    @property
    def status(self) -> Status:
        # The run ended when its task said so (callbacks are made then), a moment before
        # the queue hears of it; when the queue's record was purged, it ended too.
        reported_end = self.queue_status == "doing" and self.finished_at is not None
        if self.queue_status is not None and not reported_end:
            return QUEUE_STATUS[self.queue_status]
        return Status.SUCCESSFUL if self.result is not None else Status.FAILED


@dataclass(frozen=True)
class Job:
    id: UUID
    user_id: int
    created_at: datetime
    dismissed_at: datetime | None
    run: Run
    subscriber: dict[str, str] | None = None
    """Callback URLs by the OGC subscriber's names (``successUri``, ...)."""

    @property
    def status(self) -> Status:
        return Status.DISMISSED if self.dismissed_at else self.run.status


_RUN_COLUMNS = """r.input_hash, r.process, r.inputs, r.queue_job_id, q.status::text AS queue_status,
    r.progress, r.message, r.result, r.started_at, r.finished_at, r.updated_at"""
_RUN_FROM = "dinamis_jobs.run r LEFT JOIN procrastinate_jobs q ON q.id = r.queue_job_id"
_JOB_SELECT = f"""SELECT j.id, j.user_id, j.created_at, j.dismissed_at, j.subscriber,
    {_RUN_COLUMNS}
    FROM dinamis_jobs.job j JOIN {_RUN_FROM} USING (input_hash)"""


def _run(row: dict[str, Any]) -> Run:
    return Run(**{k: row[k] for k in Run.__dataclass_fields__})


def _job(row: dict[str, Any]) -> Job:
    return Job(
        row["id"], row["user_id"], row["created_at"], row["dismissed_at"], _run(row),
        row["subscriber"],
    )  # fmt: skip


def find_run(conn: psycopg.Connection, input_hash: str) -> Run | None:
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            f"SELECT {_RUN_COLUMNS} FROM {_RUN_FROM} WHERE r.input_hash = %s", (input_hash,)
        ).fetchone()
    return _run(row) if row else None


def attach_run(
    conn: psycopg.Connection,
    input_hash: str,
    process: str,
    inputs: dict[str, Any],
    queue_job_id: int,
) -> None:
    """Record that ``queue_job_id`` does the run of ``input_hash`` (a new run, or a failed
    or cancelled one done again)."""
    conn.execute(
        """INSERT INTO dinamis_jobs.run (input_hash, process, inputs, queue_job_id)
        VALUES (%s, %s, %s, %s)
        ON CONFLICT (input_hash) DO UPDATE SET queue_job_id = excluded.queue_job_id,
            progress = 0, message = NULL, result = NULL, started_at = NULL,
            finished_at = NULL, updated_at = now()""",
        (input_hash, process, Jsonb(inputs), queue_job_id),
    )


def create_job(
    conn: psycopg.Connection,
    user_id: int,
    input_hash: str,
    subscriber: dict[str, str] | None = None,
) -> Job:
    (job_id,) = conn.execute(
        "INSERT INTO dinamis_jobs.job (user_id, input_hash, subscriber) VALUES (%s, %s, %s)"
        " RETURNING id",
        (user_id, input_hash, Jsonb(subscriber) if subscriber else None),
    ).fetchone() or (None,)
    job = get_job(conn, job_id)
    assert job is not None
    return job


def get_job(conn: psycopg.Connection, job_id: UUID) -> Job | None:
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(f"{_JOB_SELECT} WHERE j.id = %s", (job_id,)).fetchone()
    return _job(row) if row else None


def list_jobs(conn: psycopg.Connection, user_id: int, limit: int, offset: int) -> list[Job]:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            f"{_JOB_SELECT} WHERE j.user_id = %s ORDER BY j.created_at DESC, j.id"
            " LIMIT %s OFFSET %s",
            (user_id, limit, offset),
        ).fetchall()
    return [_job(row) for row in rows]


def subscribed(conn: psycopg.Connection, input_hash: str) -> list[Job]:
    """The jobs still waiting for the run of ``input_hash`` whose requester gave callbacks."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            f"{_JOB_SELECT} WHERE j.input_hash = %s AND j.dismissed_at IS NULL"
            " AND j.subscriber IS NOT NULL ORDER BY j.created_at",
            (input_hash,),
        ).fetchall()
    return [_job(row) for row in rows]


def dismiss(conn: psycopg.Connection, job_id: UUID) -> bool:
    """Mark the job dismissed; ``True`` when no other job still waits for its run."""
    row = conn.execute(
        """UPDATE dinamis_jobs.job SET dismissed_at = coalesce(dismissed_at, now())
        WHERE id = %s RETURNING input_hash""",
        (job_id,),
    ).fetchone()
    if row is None:
        return False
    (others,) = conn.execute(
        "SELECT count(*) FROM dinamis_jobs.job WHERE input_hash = %s AND dismissed_at IS NULL",
        row,
    ).fetchone() or (0,)
    return others == 0


# What a task reports of its run; ``queue_job_id`` keeps a superseded run's reports out.


def report(conn: psycopg.Connection, input_hash: str, queue_job_id: int, **fields: Any) -> None:
    """Set ``fields`` (progress, message, result, started_at, finished_at) of the run."""
    allowed = {"progress", "message", "result", "started_at", "finished_at"}
    if not fields or not set(fields) <= allowed:
        raise ValueError(f"a run reports only {sorted(allowed)}")
    values = {k: Jsonb(v) if k == "result" else v for k, v in fields.items()}
    assignments = ", ".join(f"{k} = %({k})s" for k in values)
    conn.execute(
        f"UPDATE dinamis_jobs.run SET {assignments}, updated_at = now()"
        " WHERE input_hash = %(hash)s AND queue_job_id = %(queue_job_id)s",
        {**values, "hash": input_hash, "queue_job_id": queue_job_id},
    )


def requesters(conn: psycopg.Connection, input_hash: str) -> list[tuple[UUID, str]]:
    """The jobs (id, requester's e-mail) still waiting for the run of ``input_hash``."""
    return [
        (row[0], row[1])
        for row in conn.execute(
            """SELECT j.id, u.email FROM dinamis_jobs.job j
            JOIN dinamis_access."user" u ON u.id = j.user_id
            WHERE j.input_hash = %s AND j.dismissed_at IS NULL ORDER BY j.created_at""",
            (input_hash,),
        )
    ]


def purge(conn: psycopg.Connection, older_than: timedelta) -> tuple[int, int]:
    """Remove the jobs finished more than ``older_than`` ago, then the runs no job waits for
    that published nothing; return how many of each went.

    A job is finished when dismissed, or when its run ended (for a job sharing a run that
    had ended already, when it was made). Successful runs stay: each answers the same
    request again with the catalogue item it published, which stays too.
    """
    jobs = conn.execute(
        """DELETE FROM dinamis_jobs.job j USING dinamis_jobs.run r
        WHERE r.input_hash = j.input_hash
          AND coalesce(j.dismissed_at, CASE WHEN r.finished_at IS NOT NULL
                                           THEN greatest(r.finished_at, j.created_at) END)
              < now() - %(older_than)s""",
        {"older_than": older_than},
    ).rowcount
    runs = conn.execute(
        """DELETE FROM dinamis_jobs.run r
        WHERE r.result IS NULL AND r.updated_at < now() - %(older_than)s
          AND NOT EXISTS (SELECT FROM dinamis_jobs.job j WHERE j.input_hash = r.input_hash)
          AND NOT EXISTS (SELECT FROM procrastinate_jobs q
                          WHERE q.id = r.queue_job_id AND q.status IN ('todo', 'doing'))""",
        {"older_than": older_than},
    ).rowcount
    return jobs, runs
