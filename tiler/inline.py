"""Dependencies run in the event loop instead of FastAPI's thread pool.

FastAPI sends every plain function or class dependency to a worker thread and back: a dozen
hops per tile, each dearer than the parameter parsing it carries, and under load each one
waits for the GIL behind the threads drawing tiles. ``inline`` keeps a dependency's parameters
(OpenAPI, validation) and calls it in the event loop: only for dependencies doing no I/O.

Not for the factories' own dependency slots whose values titiler re-checks by calling them
(``check_query_params`` for renders and WMTS layers): it expects a plain result, not a
coroutine. Those stay as they are, or are wrapped inside one that titiler never calls.
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
