"""What a running task tells its users' jobs: start, progress, outcome (and the callbacks
their requesters gave, at start and at the end)."""

import time
from datetime import UTC, datetime
from typing import Any

import psycopg

from dinamis.settings import get_settings
from jobs import callbacks, store

# Progress is written at most this often: a job's status is polled, not streamed.
PROGRESS_INTERVAL = 1.0


class RunReport:
    """The run of ``input_hash`` done by queue job ``queue_job_id`` (its own connection)."""

    def __init__(self, database_url: str, input_hash: str, queue_job_id: int) -> None:
        self.conn = psycopg.connect(database_url, autocommit=True)
        self.input_hash = input_hash
        self.queue_job_id = queue_job_id
        self._last = 0.0

    def __enter__(self) -> "RunReport":
        return self

    def __exit__(self, *_: object) -> None:
        self.conn.close()

    def _report(self, **fields: Any) -> None:
        store.report(self.conn, self.input_hash, self.queue_job_id, **fields)

    def _changed(self) -> None:
        callbacks.run_changed(self.conn, self.input_hash, get_settings().api_url)

    def started(self) -> None:
        self._report(started_at=datetime.now(UTC), progress=0, message="running")
        self._changed()

    def progress(self, percent: float) -> None:
        now = time.monotonic()
        if now - self._last >= PROGRESS_INTERVAL or percent >= 100:
            self._last = now
            self._report(progress=max(0.0, min(percent, 100.0)))

    def succeeded(self, result: dict[str, Any], message: str) -> None:
        self._report(result=result, progress=100, message=message, finished_at=datetime.now(UTC))
        self._changed()

    def failed(self, reason: str) -> None:
        self._report(message=reason, finished_at=datetime.now(UTC))
        self._changed()

    def requesters(self) -> list[tuple[Any, str]]:
        return store.requesters(self.conn, self.input_hash)
