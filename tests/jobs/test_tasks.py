"""The queue's housekeeping run by real `dinamis worker` processes: old finished jobs purged,
the catalogue items they published kept."""

import time

import httpx
import psycopg

from tests.jobs.conftest import TERMINAL, Dems, Workers, submit, wait_for

PURGING = {"DINAMIS_JOBS_PURGE_CRON": "* * * * * */1", "DINAMIS_JOBS_RETENTION_DAYS": "30"}


def _age(conn: psycopg.Connection, job_ids: list[str], days: int) -> None:
    """Make the jobs ``job_ids``, their runs and their queue jobs ``days`` older."""
    age = f"{days} days"
    hashes = [
        row[0]
        for row in conn.execute(
            "SELECT input_hash FROM dinamis_jobs.job WHERE id = ANY(%s::uuid[])", (job_ids,)
        )
    ]
    conn.execute(
        "UPDATE procrastinate_events SET at = at - %s::interval WHERE job_id IN"
        " (SELECT queue_job_id FROM dinamis_jobs.run WHERE input_hash = ANY(%s))",
        (age, hashes),
    )
    conn.execute(
        "UPDATE dinamis_jobs.run SET finished_at = finished_at - %s::interval,"
        " updated_at = updated_at - %s::interval WHERE input_hash = ANY(%s)",
        (age, age, hashes),
    )
    conn.execute(
        "UPDATE dinamis_jobs.job SET created_at = created_at - %s::interval,"
        " dismissed_at = dismissed_at - %s::interval WHERE id = ANY(%s::uuid[])",
        (age, age, job_ids),
    )


def _run(conn: psycopg.Connection, job_id: str) -> tuple[str, int | None]:
    row = conn.execute(
        "SELECT r.input_hash, r.queue_job_id FROM dinamis_jobs.job j"
        " JOIN dinamis_jobs.run r USING (input_hash) WHERE j.id = %s",
        (job_id,),
    ).fetchone()
    assert row is not None
    return row


def test_jobs_finished_before_the_retention_period_go_their_published_items_stay(
    alice: httpx.Client, rita: httpx.Client, raw_item: str, dems: Dems, workers: Workers,
    database_url: str,
):  # fmt: skip
    inputs = {"item": f"spot-world-heritage/{raw_item}", "resolution": 30, "dem": "alps"}
    published = submit(alice, inputs).json()
    cancelled = submit(alice, {**inputs, "resolution": 35}).json()
    assert alice.delete(f"/jobs/{cancelled['jobID']}").json()["status"] == "dismissed"
    workers.start(**PURGING)
    done = wait_for(alice, f"/jobs/{published['jobID']}", lambda s: s["status"] in TERMINAL)
    assert done["status"] == "successful", done
    item_url = alice.get(f"/jobs/{published['jobID']}/results").json()["ortho"]["href"]
    # Rita asks the same today: her job shares the old run, and is not old.
    recent = submit(rita, inputs).json()
    assert recent["status"] == "successful"

    with psycopg.connect(database_url, autocommit=True) as conn:
        published_hash, published_queue_job = _run(conn, published["jobID"])
        cancelled_hash, cancelled_queue_job = _run(conn, cancelled["jobID"])
        # Within the retention period, the purge running every second leaves them alone.
        time.sleep(2)
        assert alice.get(f"/jobs/{published['jobID']}").status_code == 200
        _age(conn, [published["jobID"], cancelled["jobID"]], days=31)
        deadline = time.monotonic() + 60
        while alice.get(f"/jobs/{published['jobID']}").status_code != 404:
            assert time.monotonic() < deadline, "the old job was not purged"
            time.sleep(0.3)
        queue_jobs = conn.execute(
            "SELECT id FROM procrastinate_jobs WHERE id = ANY(%s)",
            ([published_queue_job, cancelled_queue_job],),
        ).fetchall()
        runs = conn.execute(
            "SELECT input_hash, queue_job_id FROM dinamis_jobs.run WHERE input_hash = ANY(%s)",
            ([published_hash, cancelled_hash],),
        ).fetchall()
    assert alice.get(f"/jobs/{cancelled['jobID']}").status_code == 404
    listed = {j["jobID"] for j in alice.get("/jobs").json()["jobs"]}
    assert not listed & {published["jobID"], cancelled["jobID"]}
    assert queue_jobs == []
    # The run that published stays (it answers the same request again), its queue job gone.
    assert runs == [(published_hash, None)]
    kept = rita.get(f"/jobs/{recent['jobID']}").json()
    assert kept["status"] == "successful", kept
    assert rita.get(f"/jobs/{recent['jobID']}/results").json()["ortho"]["href"] == item_url
    assert alice.get(item_url).status_code == 200
