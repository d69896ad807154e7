"""Ortho-rectification jobs run by real `dinamis worker` processes: published, reused,
private to their requester, dismissable, and surviving a worker killed mid-job."""

import signal
import time

import httpx
import psycopg
import rasterio

from dinamis.settings import Settings
from tests.jobs.conftest import TERMINAL, Dems, Workers, submit, wait_for
from tests.mail import SmtpServer


def test_a_job_publishes_a_searchable_ortho_item_and_mails_the_requester(
    alice: httpx.Client, rita: httpx.Client, raw_item: str, dems: Dems, workers: Workers,
    smtp: SmtpServer, settings: Settings,
):  # fmt: skip
    inputs = {"item": f"spot-world-heritage/{raw_item}", "resolution": 20, "dem": "alps"}
    response = submit(alice, inputs)
    assert response.status_code == 201, response.text
    assert response.headers["Preference-Applied"] == "respond-async"
    status = response.json()
    assert status["status"] == "accepted" and response.headers["Location"].endswith(
        f"/jobs/{status['jobID']}"
    )
    workers.start()
    done = wait_for(alice, response.headers["Location"], lambda s: s["status"] in TERMINAL)
    assert done["status"] == "successful", done
    assert done["progress"] == 100
    assert done["created"] <= done["started"] <= done["finished"] <= done["updated"]
    results = alice.get(f"/jobs/{status['jobID']}/results").json()
    item = alice.get(results["ortho"]["href"]).raise_for_status().json()
    assert item["properties"]["processing:lineage"].startswith("Ortho-rectified on demand")
    assert "'alps'" in item["properties"]["processing:lineage"]
    (derived,) = [link for link in item["links"] if link["rel"] == "derived_from"]
    assert derived["href"].endswith(f"/collections/spot-world-heritage/items/{raw_item}")
    found = alice.get("/search", params={"ids": item["id"]}).json()["features"]
    assert [f["id"] for f in found] == [item["id"]]
    download = alice.get(item["assets"]["data"]["href"], headers={"Range": "bytes=0-3"})
    assert download.status_code == 206 and download.content in (b"II*\x00", b"II+\x00")
    cog = settings.storage / "spot-world-heritage" / item["id"] / f"{item['id']}.tif"
    with rasterio.open(cog) as src:
        assert src.crs.to_epsg() == 32632 and src.res == (20.0, 20.0)
        assert src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
    assert not list(cog.parent.glob("*.partial.tif"))
    # One mail for this item (the session's other jobs mail Alice too).
    mails = [m for m in smtp.mailbox.to("alice@ign.test") if item["id"] in smtp.mailbox.body(m)]
    assert len(mails) == 1

    # The same request again, by anyone: the first run's result, at once.
    again = submit(rita, {**inputs, "item": derived["href"]})
    assert again.status_code == 201
    assert again.json()["status"] == "successful"
    assert rita.get(f"/jobs/{again.json()['jobID']}/results").json() == results
    # Each sees their own jobs only.
    assert status["jobID"] not in {j["jobID"] for j in rita.get("/jobs").json()["jobs"]}
    assert rita.get(f"/jobs/{status['jobID']}").status_code == 404
    assert rita.delete(f"/jobs/{status['jobID']}").status_code == 404
    dismissed = rita.delete(f"/jobs/{again.json()['jobID']}").json()
    assert dismissed["status"] == "dismissed"
    # Dismissing Rita's job leaves Alice's, and the published item, alone.
    assert alice.get(f"/jobs/{status['jobID']}").json()["status"] == "successful"
    assert alice.get(results["ortho"]["href"]).status_code == 200


def test_a_job_failing_at_run_time_says_why_and_publishes_nothing(
    alice: httpx.Client, raw_item: str, dems: Dems, workers: Workers, settings: Settings
):
    inputs = {"item": f"spot-world-heritage/{raw_item}", "resolution": 15, "dem": "alps"}
    response = submit(alice, inputs)
    assert response.status_code == 201
    # The DEM goes away between submission and run.
    moved = dems.alps.with_suffix(".away")
    dems.alps.rename(moved)
    try:
        workers.start()
        done = wait_for(alice, response.headers["Location"], lambda s: s["status"] in TERMINAL)
    finally:
        moved.rename(dems.alps)
    assert done["status"] == "failed"
    assert "DEM" in done["message"], done
    results = alice.get(f"/jobs/{done['jobID']}/results")
    assert results.status_code == 404 and "DEM" in results.json()["detail"]
    left = list((settings.storage / "spot-world-heritage").glob(f"{raw_item}-ORTHO-*/*15*"))
    assert not left
    # A failed run is run again when asked again.
    retry = submit(alice, inputs)
    done = wait_for(alice, retry.headers["Location"], lambda s: s["status"] in TERMINAL)
    assert done["status"] == "successful", done


def test_a_worker_killed_mid_job_leaves_it_retried_not_stuck(
    alice: httpx.Client, big_raw_item: str, dems: Dems, workers: Workers, settings: Settings
):
    inputs = {"item": f"spot-world-heritage/{big_raw_item}", "resolution": 4, "dem": "alps"}
    response = submit(alice, inputs)
    assert response.status_code == 201, response.text
    first = workers.start()
    wait_for(alice, response.headers["Location"], lambda s: s["status"] == "running")
    first.send_signal(signal.SIGKILL)
    first.wait()
    # Nobody is left to finish it: it shows running until a live worker finds it stalled.
    workers.start()
    done = wait_for(
        alice, response.headers["Location"], lambda s: s["status"] in TERMINAL, timeout=600
    )
    assert done["status"] == "successful", done
    item = alice.get(alice.get(f"/jobs/{done['jobID']}/results").json()["ortho"]["href"]).json()
    folder = settings.storage / "spot-world-heritage" / item["id"]
    assert [p.name for p in folder.iterdir()] == [f"{item['id']}.tif"]
    with rasterio.open(folder / f"{item['id']}.tif") as src:
        assert src.overviews(1), "a big ortho-rectified scene has overviews"


def test_a_job_whose_worker_dies_too_often_fails_with_the_reason_leaving_no_file(
    alice: httpx.Client, big_raw_item: str, dems: Dems, workers: Workers, settings: Settings
):
    inputs = {"item": f"spot-world-heritage/{big_raw_item}", "resolution": 5, "dem": "alps"}
    response = submit(alice, inputs)
    first = workers.start()
    wait_for(alice, response.headers["Location"], lambda s: s["status"] == "running")
    folders = settings.storage / "spot-world-heritage"
    deadline = time.monotonic() + 120
    while not (partials := list(folders.glob(f"{big_raw_item}-ORTHO-*/.*.partial.tif"))):
        assert time.monotonic() < deadline, "gdalwarp wrote nothing"
        time.sleep(0.1)
    first.send_signal(signal.SIGKILL)
    first.wait()
    (partial,) = partials
    assert partial.exists(), "the killed worker's gdalwarp left its partial file"
    workers.start(DINAMIS_JOBS_MAX_ATTEMPTS="1")
    done = wait_for(alice, response.headers["Location"], lambda s: s["status"] in TERMINAL)
    assert done["status"] == "failed"
    assert "worker running it stopped" in done["message"]
    assert not partial.parent.exists(), list(partial.parent.iterdir())


def test_dismissing_a_running_job_stops_it_and_leaves_nothing(
    alice: httpx.Client, big_raw_item: str, dems: Dems, workers: Workers, settings: Settings,
    database_url: str,
):  # fmt: skip
    inputs = {"item": f"spot-world-heritage/{big_raw_item}", "resolution": 3, "dem": "alps"}
    response = submit(alice, inputs)
    workers.start()
    wait_for(alice, response.headers["Location"], lambda s: s["status"] == "running")
    dismissed = alice.delete(response.headers["Location"]).json()
    assert dismissed["status"] == "dismissed"
    queue_job = (
        "SELECT q.status::text, r.input_hash FROM dinamis_jobs.job j"
        " JOIN dinamis_jobs.run r USING (input_hash)"
        " JOIN procrastinate_jobs q ON q.id = r.queue_job_id WHERE j.id = %s"
    )
    deadline = time.monotonic() + 120
    with psycopg.connect(database_url, autocommit=True) as conn:
        while (row := conn.execute(queue_job, (dismissed["jobID"],)).fetchone() or ("", ""))[
            0
        ] != "aborted":
            assert time.monotonic() < deadline, "the running job was not stopped"
            time.sleep(0.3)
    folder = settings.storage / "spot-world-heritage" / f"{big_raw_item}-ORTHO-{row[1][:10]}"
    assert not list(folder.glob("*.tif")), list(folder.iterdir())
    assert alice.get(response.headers["Location"]).json()["status"] == "dismissed"
