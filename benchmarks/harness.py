"""What every benchmark needs: a throwaway catalogue database and an app served by uvicorn in a
process of its own, so that client and server do not share one interpreter's GIL."""

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dinamis import database
from dinamis.catalog import load_collections
from dinamis.serve import free_port, uvicorn_command, wait_until_answering
from dinamis.settings import REPO_ROOT, Settings


@contextmanager
def throwaway_database(kept: Path | None = None) -> Iterator[tuple[str, Settings]]:
    """An embedded database with the collections loaded, in a fresh data folder, destroyed after
    use; or in the folder ``kept``, stopped (not destroyed) after use, so that a large catalogue
    is loaded once and reused by the next runs."""
    data_dir = kept or Path(tempfile.mkdtemp(prefix="dinamis-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o755)
    settings = Settings(data_dir=data_dir, database_url=None, pg_port=free_port())
    url = database.start(settings)
    try:
        load_collections(url, settings.collections_dir)
        settings.storage.mkdir(parents=True, exist_ok=True)
        yield url, settings
    finally:
        cluster = database.embedded_cluster(settings)
        cluster.stop() if kept else cluster.destroy()


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen

    def _pids(self) -> list[int]:
        """Its process and its uvicorn workers."""
        pid = self.process.pid
        return [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]

    def memory_mb(self) -> tuple[float, float]:
        """Resident memory now and at its peak (VmRSS, VmHWM, summed over its processes), in
        MiB."""
        totals = [0.0, 0.0]
        for pid in self._pids():
            fields = dict(
                line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            )
            for i, key in enumerate(("VmRSS", "VmHWM")):
                totals[i] += int(fields[key].split()[0]) / 1024
        return totals[0], totals[1]

    def cpu_seconds(self) -> float:
        """CPU time (user + system) its process and its uvicorn workers have used so far."""
        ticks = 0
        for each in self._pids():
            # Fields 14 and 15, after the command name (which may hold spaces) in parentheses.
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")


@contextmanager
def served(
    factory: str, health_path: str, url: str, settings: Settings, env: dict[str, str] | None = None
) -> Iterator[str]:
    """``factory`` (``module:create_app``) served on the database ``url`` and the data folder of
    ``settings`` (storage, access secret); yields its base URL once ``health_path`` answers."""
    with server_process(factory, health_path, url, settings, env) as server:
        yield server.url


@contextmanager
def server_process(
    factory: str,
    health_path: str,
    url: str,
    settings: Settings,
    env: dict[str, str] | None = None,
    memory_cap_mb: int | None = None,
    workers: int = 1,
) -> Iterator[Server]:
    """As :func:`served`, yielding the process too; ``memory_cap_mb`` caps its address space
    (a runaway request then fails alone instead of taking the machine's memory); ``workers``
    uvicorn processes serve (the process yielded is then their supervisor)."""
    port = free_port()
    cap = ["prlimit", f"--as={memory_cap_mb * 1024 * 1024}"] if memory_cap_mb else []
    process = subprocess.Popen(
        [
            *cap,
            *uvicorn_command(
                factory,
                "127.0.0.1",
                port,
                "--log-level",
                "warning",
                *(["--workers", str(workers)] if workers > 1 else []),
            ),
        ],
        env={
            **os.environ,
            **database.postgres_env(url),
            "DINAMIS_DATA_DIR": str(settings.data_dir),
            **(env or {}),
        },
        cwd=REPO_ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_answering([f"{base}{health_path}"], process, timeout=60):
            raise RuntimeError(f"{factory} did not start")
        yield Server(base, process)
    finally:
        process.terminate()
        process.wait()
