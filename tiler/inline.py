"""Dependencies run in the event loop instead of FastAPI's thread pool.

FastAPI sends every plain function or class dependency to a worker thread and back: a dozen
hops per tile, each dearer than the parameter parsing it carries, and under load each one
waits for the GIL behind the threads drawing tiles. ``inline`` keeps a dependency's parameters
(OpenAPI, validation) and calls it in the event loop: only for dependencies doing no I/O.

titiler also calls some dependencies itself to check a render's parameters
(``check_query_params``, for WMTS layers) and expects a plain result, not a coroutine: give
such checks the plain dependency (the WMTS extension takes its own list).
"""

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


def inline(dependency: Callable[..., T]) -> Callable[..., Awaitable[T]]:
    async def call(**values: Any) -> T:
        return dependency(**values)

    call.__signature__ = inspect.signature(dependency, eval_str=True)  # type: ignore[attr-defined]
    call.__name__ = getattr(dependency, "__name__", call.__name__)
    return call
