"""OGC API - Processes - Part 1: Core documents (JSON), as pydantic models."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

OGC = "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf"
CONFORMANCE = [
    f"{OGC}/core",
    f"{OGC}/ogc-process-description",
    f"{OGC}/json",
    f"{OGC}/job-list",
    f"{OGC}/dismiss",
    f"{OGC}/callback",
]
EXCEPTIONS = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0"


class Link(BaseModel):
    href: str
    rel: str
    type: str | None = "application/json"
    title: str | None = None


class ProcessSummary(BaseModel):
    id: str
    title: str
    description: str
    version: str
    keywords: list[str] = []
    jobControlOptions: list[str] = ["async-execute", "dismiss"]  # noqa: N815 - OGC's name
    outputTransmission: list[str] = ["value"]  # noqa: N815
    links: list[Link] = []


class ProcessList(BaseModel):
    processes: list[ProcessSummary]
    links: list[Link]


class ProcessDescription(ProcessSummary):
    inputs: dict[str, Any]
    outputs: dict[str, Any]


class Execute(BaseModel):
    """An execution request; only ``inputs`` matters here (outputs are always by value)."""

    model_config = ConfigDict(extra="forbid")
    inputs: dict[str, Any] = {}
    outputs: dict[str, Any] | None = None
    response: Literal["document", "raw"] | None = None
    subscriber: dict[str, Any] | None = None


class StatusInfo(BaseModel):
    processID: str  # noqa: N815
    type: Literal["process"] = "process"
    jobID: str  # noqa: N815
    status: Literal["accepted", "running", "successful", "failed", "dismissed"]
    message: str | None = None
    created: datetime
    started: datetime | None = None
    finished: datetime | None = None
    updated: datetime
    progress: int = Field(ge=0, le=100)
    links: list[Link]


class JobList(BaseModel):
    jobs: list[StatusInfo]
    links: list[Link]


class ProblemDetail(BaseModel):
    type: str
    title: str
    status: int
    detail: str
