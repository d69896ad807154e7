"""OGC API - Processes callbacks: the job's status document POSTed to the URLs its requester
gave (``subscriber``) when the job runs, succeeds or fails.

The URLs are the requester's, so the server must not be made to call into its own network
(SSRF): only http(s) URLs whose host resolves to public addresses are accepted, checked at
submission and again before each call (a name may resolve elsewhere by then), and redirects
are not followed. Each call is made once, with a bounded timeout, from a small pool of
threads beside the job (a slow receiver never holds a job up), and at most
``pending`` calls wait at a time: beyond, they are dropped and logged.
"""

import ipaddress
import logging
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from dinamis.refusal import RefusedError
from jobs import store
from jobs.status import status_info

log = logging.getLogger(__name__)


class CallbackSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DINAMIS_JOBS_CALLBACK_", env_file=".env", extra="ignore"
    )

    timeout_seconds: float = Field(default=5, gt=0, le=60)
    """How long one call may take (connection, sending, answer), at most."""
    private_targets: bool = False
    """Accept callbacks to loopback, private and link-local addresses (a receiver on the
    server's own network); off, since any requester could reach it through the server."""
    pending: int = Field(default=256, gt=0, le=100_000)
    """Calls waiting to be made in one process, at most."""


class Subscriber(BaseModel):
    """OGC's subscriber: where to POST the status document on success, on start, on
    failure."""

    model_config = ConfigDict(extra="forbid")
    successUri: str = Field(max_length=2000)  # noqa: N815 - OGC's names
    inProgressUri: str | None = Field(default=None, max_length=2000)  # noqa: N815
    failedUri: str | None = Field(default=None, max_length=2000)  # noqa: N815


# The status a callback is made for → the subscriber's URL for it.
EVENTS = {
    store.Status.RUNNING: "inProgressUri",
    store.Status.SUCCESSFUL: "successUri",
    store.Status.FAILED: "failedUri",
}


class CallbackRefusedError(RefusedError):
    """A callback URL the server will not call."""


def check_target(url: str, settings: CallbackSettings) -> str:
    """The address to call ``url`` at, or :class:`CallbackRefusedError` for a URL the server
    must not call."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CallbackRefusedError(400, f"{url!r} is not an http or https URL")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError) as error:
        raise CallbackRefusedError(400, f"{parts.hostname!r} cannot be reached ({error})") from None
    addresses = [str(address[0]) for *_, address in found]
    for address in addresses if not settings.private_targets else ():
        ip = ipaddress.ip_address(address)
        if not ip.is_global or ip.is_multicast:
            raise CallbackRefusedError(
                400, f"{parts.hostname!r} is a private or local address ({ip}): not called"
            )
    return addresses[0]


def pinned(url: str, address: str, document: dict[str, Any]) -> httpx.Request:
    """The POST of ``document`` to ``url``, made to the checked ``address``: the name is not
    resolved again (it could point inside by then: DNS rebinding); the Host header and, for
    https, the name TLS presents and verifies are the URL's own."""
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    named = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    return httpx.Request(
        "POST",
        urlunsplit(parts._replace(netloc=netloc)),
        headers={"Host": named or ""},
        json=document,
        extensions={"sni_hostname": parts.hostname or ""},
    )


def check_subscriber(subscriber: dict[str, Any], settings: CallbackSettings) -> dict[str, str]:
    """The subscriber's URLs by name, each checked, or :class:`CallbackRefusedError`."""
    try:
        checked = Subscriber.model_validate(subscriber)
    except ValidationError as error:
        reason = "; ".join(
            f"subscriber.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()
        )
        raise CallbackRefusedError(400, reason) from None
    urls = checked.model_dump(exclude_none=True)
    for name, url in urls.items():
        try:
            check_target(url, settings)
        except CallbackRefusedError as error:
            raise CallbackRefusedError(400, f"subscriber.{name}: {error.detail}") from None
    return urls


_calls = ThreadPoolExecutor(max_workers=4, thread_name_prefix="callback")
_waiting = threading.BoundedSemaphore(CallbackSettings().pending)


def _post(url: str, document: dict[str, Any], settings: CallbackSettings) -> None:
    try:
        request = pinned(url, check_target(url, settings), document)
        with httpx.Client(timeout=settings.timeout_seconds, follow_redirects=False) as client:
            response = client.send(request)
        log.info("callback %s for job %s: HTTP %d", url, document["jobID"], response.status_code)
    except (CallbackRefusedError, httpx.HTTPError) as error:
        log.warning("callback %s for job %s not made: %s", url, document["jobID"], error)
    finally:
        _waiting.release()


def call(url: str, document: dict[str, Any]) -> None:
    """POST ``document`` to ``url`` once, soon, in the background."""
    if not _waiting.acquire(blocking=False):
        log.warning("callback %s for job %s dropped: too many waiting", url, document["jobID"])
        return
    _calls.submit(_post, url, document, CallbackSettings())


def job_changed(job: store.Job, api_url: str) -> None:
    """Call the URL ``job``'s requester gave for its status, if any."""
    name = EVENTS.get(job.status)
    url = (job.subscriber or {}).get(name or "")
    if url:
        call(url, status_info(job, api_url).model_dump(mode="json", exclude_none=True))


def run_changed(conn: psycopg.Connection, input_hash: str, api_url: str) -> None:
    """Make the callbacks of every job waiting for the run of ``input_hash``."""
    for job in store.subscribed(conn, input_hash):
        job_changed(job, api_url)
