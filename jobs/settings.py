"""Settings of the job queue and its workers, read from ``DINAMIS_JOBS_*`` variables."""

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class JobsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DINAMIS_JOBS_", env_file=".env", extra="ignore")

    concurrency: int = Field(default=1, gt=0, le=64)
    """Jobs one worker process runs at once (each in a thread: ortho-rectification runs
    gdalwarp in a subprocess, so threads are enough)."""
    queues: Annotated[list[str], NoDecode] = []
    """Queues a worker takes jobs from (comma-separated); empty: all of them."""
    heartbeat_seconds: float = Field(default=10, gt=0)
    """How often a worker tells the database it is alive."""
    stalled_seconds: float = Field(default=60, gt=0)
    """Silence after which a worker is taken for dead and its running jobs are recovered."""
    recovery_cron: str = "*/15 * * * * *"
    """When workers look for jobs of dead workers (cron, with a 6th column for seconds)."""
    max_attempts: int = Field(default=3, gt=0, le=20)
    """Runs a job gets when its worker dies under it; then it fails, saying so."""
    page_limit: int = Field(default=100, gt=0, le=1000)
    """Jobs per page of ``GET /jobs``, at most."""
    max_offset: int = Field(default=1_000_000, gt=0, le=2**62)
    """Jobs ``GET /jobs`` may skip, at most (the database's offset is a 64-bit integer)."""
    max_body_bytes: int = Field(default=64 * 1024, gt=0)
    """Size of an execution request, at most."""
    shutdown_seconds: float = Field(default=30, ge=0)
    """On SIGTERM, how long a worker lets its running jobs finish before aborting them."""
    retention_days: int = Field(default=30, gt=0, le=3650)
    """How long a finished job stays listed, with its status and results, before it goes
    (the catalogue items it published stay)."""
    purge_cron: str = "23 * * * *"
    """When workers remove the jobs finished more than ``retention_days`` ago (cron)."""

    @field_validator("queues", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value
