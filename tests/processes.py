"""An app served by uvicorn in a process of its own, started exactly as docker-compose.yml
starts it (``uvicorn module:create_app --factory``, access log on): for what only a separate
process shows (its memory, its log output, its behaviour when the database dies)."""

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dinamis import database
from dinamis.serve import free_port, uvicorn_command, wait_until_answering
from dinamis.settings import REPO_ROOT, Settings


@dataclass(frozen=True)
class Served:
    url: str
    process: subprocess.Popen
    log: Path
    """Everything the process wrote (stdout and stderr)."""

    def rss_mb(self) -> float:
        """Resident memory of the server process now, in MiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def app_env(database_url: str, settings: Settings) -> dict[str, str]:
    """The environment docker-compose.yml gives the apps: PG* variables and the data folder
    (whose access secret the session's apps share)."""
    return {
        **os.environ,
        **database.postgres_env(database_url),
        "DINAMIS_DATA_DIR": str(settings.data_dir),
        "DINAMIS_STORAGE_ROOT": str(settings.storage),
        "DINAMIS_TILER_PUBLIC_URL": settings.tiler_url,
        "DINAMIS_API_PUBLIC_URL": settings.api_url,
        "ENABLE_TRANSACTIONS_EXTENSIONS": "true",
    }


@contextmanager
def uvicorn_process(
    factory: str, health_path: str, env: dict[str, str], memory_cap_mb: int = 3000
) -> Iterator[Served]:
    """``factory`` served by ``uvicorn ... --factory`` with its access log, under an address
    space cap so that a regression cannot take the machine's memory."""
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="dinamis-uvicorn-", suffix=".log")[1])
    command = [
        "prlimit",
        f"--as={memory_cap_mb * 1024 * 1024}",
        *uvicorn_command(factory, "127.0.0.1", port, "--proxy-headers", "--access-log"),
    ]
    with log.open("wb") as out:
        # exec: the pid is uvicorn's own, not prlimit's.
        process = subprocess.Popen(command, env=env, cwd=REPO_ROOT, stdout=out, stderr=out)
    served = Served(f"http://127.0.0.1:{port}", process, log)
    try:
        if not wait_until_answering([f"{served.url}{health_path}"], process, timeout=90):
            raise RuntimeError(f"{factory} did not start:\n{served.output()}")
        yield served
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.unlink(missing_ok=True)
