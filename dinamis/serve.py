"""Running ASGI applications with uvicorn: for good (the CLI) or in a thread (tests, benchmarks)."""

import asyncio
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import uvicorn
from fastapi import FastAPI


def free_port() -> int:
    """A TCP port nobody listens on now (for throwaway servers in tests and benchmarks)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url: str) -> bool:
    """Whether ``url`` answers 200 now."""
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def wait_until_answering(
    urls: Iterable[str], process: subprocess.Popen, timeout: float, interval: float = 0.1
) -> bool:
    """Wait for every URL to answer 200 while the server ``process`` runs: ``False`` when it
    exits or ``timeout`` seconds pass first."""
    urls = list(urls)
    deadline = time.monotonic() + timeout
    while not all(answers(url) for url in urls):
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def _config(app: FastAPI, host: str, port: int, log_level: str) -> uvicorn.Config:
    # Forwarded headers are the apps' to judge (dinamis.proxy), against the trusted proxies.
    return uvicorn.Config(
        app, host=host, port=port, log_level=log_level, proxy_headers=False, access_log=False
    )


def serve_forever(apps: dict[int, FastAPI], host: str, log_level: str = "info") -> None:
    """Serve each app on its port in one event loop until interrupted."""
    servers = [uvicorn.Server(_config(app, host, port, log_level)) for port, app in apps.items()]

    async def main() -> None:
        await asyncio.gather(*(server.serve() for server in servers))

    # The event loop uvicorn itself would choose (uvloop when installed), as ``Server.run``
    # does for one app: plain asyncio.run would keep the slower default loop.
    with asyncio.Runner(loop_factory=servers[0].config.get_loop_factory()) as runner:
        runner.run(main())


def uvicorn_command(factory: str, host: str, port: int, *options: str) -> list[str]:
    """The command serving the app of ``factory`` (``module:create_app``, called without
    arguments) on ``host:port`` in processes of uvicorn's own, with uvicorn's ``options`` (the
    last of two opposite flags wins)."""
    return [
        sys.executable, "-m", "uvicorn", factory, "--factory", "--host", host, "--port", str(port),
        # As _config: Forwarded headers are the app's to judge, no access log.
        "--no-proxy-headers", "--no-access-log",
        *options,
    ]  # fmt: skip


@contextmanager
def worker_processes(
    factory: str, host: str, port: int, workers: int, log_level: str = "info"
) -> Iterator[subprocess.Popen]:
    """The app of ``factory`` (``module:create_app``, called without arguments) served on
    ``port`` by ``workers`` uvicorn processes, for as long as the context lasts: a CPU-bound
    app (the tiler) uses every core, which one event loop's threads cannot (the GIL)."""
    process = subprocess.Popen(
        uvicorn_command(
            factory,
            host,
            port,
            "--workers",
            str(workers),
            "--log-level",
            log_level,
        )
    )
    # uvicorn re-raises the SIGTERM it handled once its servers have stopped: exit through the
    # ``finally`` below, which stops the workers, rather than die and leave them running.
    previous = signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)
        signal.signal(signal.SIGTERM, previous)


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


@dataclass
class BackgroundServer:
    """One app served from a daemon thread; ``url`` is ready once ``start`` returns."""

    app: FastAPI
    port: int
    host: str = "127.0.0.1"
    _server: uvicorn.Server = field(init=False)
    _thread: threading.Thread = field(init=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 60) -> "BackgroundServer":
        self._server = uvicorn.Server(_config(self.app, self.host, self.port, "warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on port {self.port} did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
