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
from functools import lru_cache
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

# A new worker imports cql2 before it says it is ready.
STARTUP_SECONDS = 30


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
        self.within_limits = lru_cache(maxsize=1024)(self._within_limits)

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
        """Whether cql2 validates ``source`` (CQL2 JSON text when ``is_json``, else CQL2 text)
        within the time and memory limits."""
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
