"""cql2's validation of a filter, tried first in a process of its own bounded in memory and time.

Every server validates filters with cql2's ``Expr.validate()`` (stac-fastapi-pgstac, titiler-pgstac
and this project's own search models call it), which checks them against the CQL2 JSON schema
and explores its alternatives again for every nested operand: on an ill-typed filter the work
grows exponentially with its depth. ``id = 'x' ---- y`` took 18 s and 5.8 GB, and a
450-character filter of eight operators more than 2 GB, in the server's process with its event
loop blocked (upstream: the ``jsonschema`` crate's validation, which cql2 uses, keeps no memo).

So a filter is first validated here, in a worker process capped in address space and given a
time limit: one that does not finish within them is refused before any server validates it, and
one that does costs a server no more than that. The verdict is kept per filter, which clients
repeat on every page and every pan of a map.
"""

import contextlib
import json
import multiprocessing
import os
import resource
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from cachetools import LRUCache

# A new worker imports cql2 before it says it is ready.
STARTUP_SECONDS = 30
VERDICTS = 1024

# Whether this caller may wait for the worker (up to the time limit): not an event loop.
_may_wait: ContextVar[bool] = ContextVar("cql2_guard_may_wait", default=False)


class WouldWaitError(Exception):
    """A new filter's verdict needs the worker, and this caller may not wait for it."""


@contextlib.contextmanager
def waiting_allowed() -> Iterator[None]:
    """Within it, a new filter is sent to the worker and waited for (in a thread, say)."""
    token = _may_wait.set(True)
    try:
        yield
    finally:
        _may_wait.reset(token)


def _serve(connection: Connection, memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    # Past its memory the allocator aborts with a message per thread: the server says it once.
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
    from cql2 import Expr

    connection.send("ready")
    while True:
        source, is_json = connection.recv()
        # Invalid or not, what matters here is that it finished: the servers say why not.
        with contextlib.suppress(Exception):  # cql2 raises bare exceptions
            Expr(json.loads(source) if is_json else source).validate()
        connection.send(None)


class Cql2Guard:
    """One worker process, started on first use and replaced when it dies or overruns."""

    def __init__(self, seconds: float, memory_mb: int) -> None:
        self.seconds = seconds
        self.memory_mb = memory_mb
        self._lock = threading.Lock()
        self._worker: tuple[BaseProcess, Connection] | None = None
        # Kept per filter, which clients repeat on every page and every pan of a map.
        self._verdicts: LRUCache[tuple[str, bool], bool] = LRUCache(VERDICTS)
        self._verdicts_lock = threading.Lock()

    def within_limits(self, source: str, is_json: bool) -> bool:
        """Whether cql2 validates ``source`` (CQL2 JSON text when ``is_json``, else CQL2 text)
        within the time and memory limits: known at once for a filter seen before; else
        :class:`WouldWaitError` unless the caller may wait (:func:`waiting_allowed`)."""
        key = (source, is_json)
        with self._verdicts_lock:  # held for the lookup alone: the event loop takes it too
            verdict = self._verdicts.get(key)
        if verdict is None:
            if not _may_wait.get():
                raise WouldWaitError
            verdict = self._within_limits(source, is_json)
            with self._verdicts_lock:
                self._verdicts[key] = verdict
        return verdict

    def _start(self) -> tuple[BaseProcess, Connection]:
        # spawn, not fork: the servers' processes hold threads and connections.
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process: Any = context.Process(
            target=_serve, args=(child, self.memory_mb * 1024 * 1024), daemon=True
        )
        process.start()
        child.close()
        if not parent.poll(STARTUP_SECONDS):
            process.kill()
            raise RuntimeError("the CQL2 validation worker did not start")
        parent.recv()
        return process, parent

    def _stop(self) -> None:
        if self._worker is not None:
            process, connection = self._worker
            process.kill()
            process.join()
            connection.close()
            self._worker = None

    def _within_limits(self, source: str, is_json: bool) -> bool:
        with self._lock:
            if self._worker is None or not self._worker[0].is_alive():
                self._stop()
                self._worker = self._start()
            _, connection = self._worker
            connection.send((source, is_json))
            try:
                if connection.poll(self.seconds):
                    connection.recv()
                    return True
            except (EOFError, OSError):
                pass  # the worker died: past its memory
            self._stop()
            return False
