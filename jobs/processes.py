"""Processes users may run as jobs, contributed by packages.

A package offers a process with an entry point of the ``dinamis.processes`` group naming a
:class:`Process`: its OGC description, the task that does it, and how to check and normalise
a request's inputs (refusing what cannot run before anything is queued).
"""

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from fastapi import Request

from access.models import Principal
from dinamis.refusal import RefusedError

PROCESSES_GROUP = "dinamis.processes"


class InputError(RefusedError):
    """A request the process refuses: ``status`` (4xx) and a reason for the requester."""


@dataclass(frozen=True)
class Submission:
    request: Request
    principal: Principal
    inputs: dict[str, Any]


@dataclass(frozen=True)
class Process:
    id: str
    title: str
    description: str
    version: str
    inputs: dict[str, Any]
    """OGC input descriptions by input id (title, description, schema, min/maxOccurs)."""
    outputs: dict[str, Any]
    task: str
    """The queued task, ``<blueprint entry point>:<task name>``; called with ``input_hash``
    and ``inputs`` (the normalised inputs)."""
    queue: str
    prepare: Callable[[Submission], Awaitable[dict[str, Any]]]
    """Checks a submission and returns its normalised inputs, or raises :class:`InputError`."""
    results: Callable[[dict[str, Any], str], dict[str, Any]]
    """The OGC results document from what the task stored and the API's base URL."""
    abandon: Callable[[str, dict[str, Any]], None]
    """Removes what a run (``input_hash``, ``inputs``) whose worker died left behind; called
    when the queue gives the run up or queues it again."""
    keywords: tuple[str, ...] = ()
    choices: Callable[[], dict[str, list[str]]] = dict
    """The values inputs accept that depend on the server's configuration (the DEMs it
    offers), read at each call."""

    def described_inputs(self) -> dict[str, Any]:
        """``inputs``, with the values of the inputs that have a choice (``enum``)."""
        choices = self.choices()
        return {
            name: {**spec, "schema": {**spec["schema"], "enum": choices[name]}}
            if name in choices
            else spec
            for name, spec in self.inputs.items()
        }


def offered() -> dict[str, Process]:
    processes = [entry.load() for entry in entry_points(group=PROCESSES_GROUP)]
    return {p.id: p for p in sorted(processes, key=lambda p: p.id)}


def by_task() -> dict[str, Process]:
    """The offered processes by the name of the task doing them."""
    return {process.task: process for process in offered().values()}


def input_hash(process: Process, inputs: dict[str, Any]) -> str:
    """The identity of a request: same process, version and normalised inputs, same run."""
    canonical = json.dumps(
        {"process": process.id, "version": process.version, "inputs": inputs},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
