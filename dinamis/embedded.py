"""A PostgreSQL cluster that the project creates, owns and runs in its own data folder.

initdb and postgres refuse to run as root, so when we are root the cluster belongs to an
unprivileged system account and every server binary runs under it.
"""

import logging
import os
import pwd
import secrets
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

PG_PACKAGE = "postgresql-15"
POSTGIS_PACKAGE = "postgresql-15-postgis-3"
SUPERUSER = "dinamis"
# Server settings for a catalogue searched many times a second, measured at 1 M items
# (benchmarks/search.py --baseline puts PostgreSQL's defaults back for comparison).
SERVER_SETTINGS = {
    "shared_buffers": "256MB",
    "max_connections": "200",
    # JIT compiled the search plans over a year-partitioned collection (one scan per
    # partition) for 60 ms, to save microseconds of execution: searches are short queries.
    "jit": "off",
    # The data is on SSD or in the page cache: an index probe costs little more than a
    # sequential read, so the planner should not trade the geometry index for a range scan.
    "random_page_cost": "1.1",
    "effective_cache_size": "4GB",
    # Starting a parallel worker cost 47 ms (on two busy cores) for a search whose scan takes
    # 1 ms: parallel plans only for queries that are expensive enough to repay it (aggregations).
    "parallel_setup_cost": "10000",
    # Sorting a page of large items (the jsonb content) in memory, not on disk.
    "work_mem": "16MB",
}


class EmbeddedDatabaseError(RuntimeError):
    """Anything that keeps the embedded cluster from starting, worded for the operator."""


def find_bindir(explicit: Path | None = None) -> Path:
    """The folder with initdb and pg_ctl: the explicit one, else the newest under /usr/lib."""
    candidates = (
        [explicit]
        if explicit
        else sorted(
            Path("/usr/lib/postgresql").glob("*/bin"),
            key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
            reverse=True,
        )
    )
    for bindir in candidates:
        if bindir and (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    raise EmbeddedDatabaseError(
        f"PostgreSQL server binaries (initdb, pg_ctl) not found"
        f"{f' in {explicit}' if explicit else ' under /usr/lib/postgresql'}: "
        f"install them with `apt-get install {PG_PACKAGE} {POSTGIS_PACKAGE}` "
        "or run the README's setup command."
    )


def postgis_available(bindir: Path) -> bool:
    sharedir = (
        subprocess.run(
            [str(bindir / "pg_config"), "--sharedir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if (bindir / "pg_config").exists()
        else ""
    )
    roots = [Path(sharedir)] if sharedir else []
    roots.append(Path("/usr/share/postgresql") / bindir.parent.name)
    return any((root / "extension" / "postgis.control").exists() for root in roots)


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


@dataclass
class EmbeddedCluster:
    """One cluster in ``pgdata``, listening on 127.0.0.1:``port`` only, password-protected."""

    pgdata: Path
    port: int
    bindir: Path
    system_user: str = "dinamis"
    database: str = "dinamis"

    @property
    def password_file(self) -> Path:
        # Beside, not inside, pgdata: initdb wants an empty folder.
        return self.pgdata.parent / "pgpassword"

    @property
    def log_file(self) -> Path:
        return self.pgdata.parent / "postgresql.log"

    @property
    def socket_dir(self) -> Path:
        return self.pgdata.parent / "run"

    @property
    def url(self) -> str:
        password = self.password_file.read_text().strip()
        return f"postgresql://{SUPERUSER}:{password}@127.0.0.1:{self.port}/{self.database}"

    # -- running binaries as the right user -------------------------------------------------

    def _as_owner(self) -> dict:
        if os.geteuid() != 0:
            return {}
        entry = pwd.getpwnam(self.system_user)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            check=False,
            cwd="/",
            **self._as_owner(),
        )
        if check and result.returncode != 0:
            raise EmbeddedDatabaseError(
                f"`{args[0]}` failed (exit {result.returncode}): "
                f"{(result.stderr or result.stdout).strip()}"
            )
        return result

    def _ensure_system_user(self) -> None:
        if os.geteuid() != 0:
            return
        try:
            pwd.getpwnam(self.system_user)
        except KeyError:
            log.info("creating system user %s to own the database cluster", self.system_user)
            subprocess.run(
                [
                    "useradd",
                    "--system",
                    "--no-create-home",
                    "--shell",
                    "/usr/sbin/nologin",
                    self.system_user,
                ],
                check=True,
                capture_output=True,
            )

    def _check_reachable(self) -> None:
        """Each parent must be enterable by the owner, or postgres cannot reach its folder."""
        if os.geteuid() != 0:
            return
        for parent in self.pgdata.parents:
            if parent.exists() and not (parent.stat().st_mode & 0o001):
                raise EmbeddedDatabaseError(
                    f"{parent} is not enterable by the '{self.system_user}' account that runs "
                    f"the database: choose another DINAMIS_DATA_DIR (default for root: "
                    f"/var/lib/dinamis) or `chmod o+x {parent}`."
                )

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def initialised(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def running(self) -> bool:
        if not self.initialised:
            return False
        return self._run("pg_ctl", "status", "-D", str(self.pgdata), check=False).returncode == 0

    def init(self) -> None:
        if self.initialised:
            return
        self._ensure_system_user()
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        self._check_reachable()
        if self.pgdata.exists() and any(self.pgdata.iterdir()):
            raise EmbeddedDatabaseError(
                f"{self.pgdata} exists, is not empty and is no PostgreSQL cluster: "
                "move it away or set DINAMIS_DATA_DIR to another folder."
            )
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        self.password_file.write_text(secrets.token_urlsafe(24))
        self.password_file.chmod(0o600)
        owner = self._as_owner()
        if owner:
            for path in (self.pgdata.parent, self.pgdata, self.socket_dir, self.password_file):
                os.chown(path, owner["user"], owner["group"])
        log.info("initialising PostgreSQL cluster in %s", self.pgdata)
        self._run(
            "initdb",
            "-D",
            str(self.pgdata),
            "-U",
            SUPERUSER,
            "--pwfile",
            str(self.password_file),
            "--auth-local=scram-sha-256",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        )

    def start(self) -> None:
        self.init()
        if self.running():
            log.info("PostgreSQL already running in %s", self.pgdata)
            return
        if port_in_use(self.port):
            raise EmbeddedDatabaseError(
                f"port {self.port} is already taken by another program: "
                "stop it or choose another port with DINAMIS_PG_PORT."
            )
        log.info("starting PostgreSQL on 127.0.0.1:%d", self.port)
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.socket_dir} "
            + " ".join(f"-c {name}={value}" for name, value in SERVER_SETTINGS.items())
        )
        result = self._run(
            "pg_ctl",
            "start",
            "-w",
            "-t",
            "60",
            "-D",
            str(self.pgdata),
            "-l",
            str(self.log_file),
            "-o",
            options,
            check=False,
        )
        if result.returncode != 0:
            tail = self.log_file.read_text()[-2000:] if self.log_file.exists() else ""
            raise EmbeddedDatabaseError(
                f"PostgreSQL did not start (see {self.log_file}): {result.stderr.strip()}\n{tail}"
            )

    def stop(self) -> None:
        if self.running():
            log.info("stopping PostgreSQL in %s", self.pgdata)
            self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.pgdata))

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.pgdata.parent, ignore_errors=True)
