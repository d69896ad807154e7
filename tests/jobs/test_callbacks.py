"""OGC callbacks: the status document POSTed to the requester's URLs when the job runs,
succeeds or fails, by real workers to a real receiver; URLs the server must not call are
refused at submission."""

import httpx
import pytest

from jobs.callbacks import pinned
from tests.jobs.conftest import TERMINAL, Dems, Receiver, Workers, wait_for

ALLOW_LOOPBACK = {"DINAMIS_JOBS_CALLBACK_PRIVATE_TARGETS": "true"}


def _execute(client: httpx.Client, inputs: dict, subscriber: object) -> httpx.Response:
    return client.post(
        "/processes/orthorectify/execution",
        json={"inputs": inputs, "subscriber": subscriber},
        headers={"Prefer": "respond-async"},
    )


def test_callbacks_the_server_must_not_make_are_refused(
    alice: httpx.Client, raw_item: str, dems: Dems, receiver: Receiver
):
    inputs = {"item": f"spot-world-heritage/{raw_item}", "resolution": 45}
    before = alice.get("/jobs").json()["jobs"]
    refused = {
        "private or local address (127.0.0.1)": {"successUri": f"{receiver.url}/done"},
        "private or local address (10.1.2.3)": {"successUri": "http://10.1.2.3/done"},
        "private or local address (::1)": {"successUri": "http://[::1]:8080/done"},
        "not an http or https URL": {"successUri": "file:///etc/passwd"},
        "cannot be reached": {"successUri": "http://no-such-host.invalid/done"},
        "subscriber.successUri: Field required": {"failedUri": "https://example.org/x"},
        "subscriber.colour: Extra inputs": {"successUri": "https://example.org/", "colour": 1},
    }
    for words, subscriber in refused.items():
        response = _execute(alice, inputs, subscriber)
        assert response.status_code == 400, response.text
        assert words in response.json()["detail"], response.json()
    assert _execute(alice, inputs, "http://example.org/").status_code == 400
    assert alice.get("/jobs").json()["jobs"] == before, "a refused request made a job"
    assert receiver.received == []


def test_the_requester_is_called_back_when_the_job_runs_and_ends(
    alice: httpx.Client, rita: httpx.Client, raw_item: str, dems: Dems, workers: Workers,
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch,
):  # fmt: skip
    for name, value in ALLOW_LOOPBACK.items():
        monkeypatch.setenv(name, value)
    subscriber = {
        "successUri": f"{receiver.url}/alice/success",
        "inProgressUri": f"{receiver.url}/alice/running",
        "failedUri": f"{receiver.url}/alice/failed",
    }
    inputs = {"item": f"spot-world-heritage/{raw_item}", "resolution": 40, "dem": "alps"}
    job = _execute(alice, inputs, subscriber).json()
    workers.start(**ALLOW_LOOPBACK)
    done = wait_for(alice, f"/jobs/{job['jobID']}", lambda s: s["status"] in TERMINAL)
    assert done["status"] == "successful", done
    running = receiver.wait("/alice/running")
    assert running["jobID"] == job["jobID"] and running["status"] == "running"
    success = receiver.wait("/alice/success")
    assert success["jobID"] == job["jobID"] and success["status"] == "successful"
    (results,) = [link for link in success["links"] if link["rel"].endswith("/results")]
    assert alice.get(results["href"]).json() == alice.get(f"/jobs/{job['jobID']}/results").json()
    assert not [path for path, _ in receiver.received if path == "/alice/failed"]

    # Rita's same request shares the finished run: she is told at once.
    shared = _execute(rita, inputs, {"successUri": f"{receiver.url}/rita/success"}).json()
    assert shared["status"] == "successful"
    assert receiver.wait("/rita/success")["jobID"] == shared["jobID"]

    # A job failing at run time calls the failure URL, with the reason.
    failing = {**inputs, "resolution": 42}
    job = _execute(alice, failing, subscriber).json()
    moved = dems.alps.with_suffix(".away")
    dems.alps.rename(moved)
    try:
        done = wait_for(alice, f"/jobs/{job['jobID']}", lambda s: s["status"] in TERMINAL)
        failed = receiver.wait("/alice/failed")
    finally:
        moved.rename(dems.alps)
    assert done["status"] == "failed"
    assert failed["jobID"] == job["jobID"] and "DEM" in failed["message"]


def test_a_call_goes_to_the_address_checked_under_the_urls_name() -> None:
    # DNS rebinding: the name is resolved once, at the check; the call connects to that
    # address, while the Host header and TLS (name presented and verified) keep the name.
    request = pinned("https://receiver.example:8443/jobs/done?x=1", "203.0.113.7", {"a": 1})
    assert str(request.url) == "https://203.0.113.7:8443/jobs/done?x=1"
    assert request.headers["Host"] == "receiver.example:8443"
    assert request.extensions["sni_hostname"] == "receiver.example"
    assert request.read() == b'{"a":1}'
    request = pinned("http://receiver.example/done", "2001:db8::7", {})
    assert str(request.url) == "http://[2001:db8::7]/done"
    assert request.headers["Host"] == "receiver.example"
