-- One run per distinct request (same process, same normalised inputs): the queued
-- procrastinate job doing it, its progress and its result. Users' jobs point at runs, so the
-- same request twice shares the first one's run and result.
CREATE TABLE dinamis_jobs.run (
    input_hash text PRIMARY KEY,
    process text NOT NULL,
    inputs jsonb NOT NULL,
    queue_job_id bigint REFERENCES procrastinate_jobs (id) ON DELETE SET NULL,
    progress real NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    message text,
    result jsonb,
    started_at timestamptz,
    finished_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- What a user asked for: an OGC job. Its status is its run's queue status, unless dismissed.
CREATE TABLE dinamis_jobs.job (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id bigint NOT NULL REFERENCES dinamis_access."user" (id) ON DELETE CASCADE,
    input_hash text NOT NULL REFERENCES dinamis_jobs.run (input_hash),
    created_at timestamptz NOT NULL DEFAULT now(),
    dismissed_at timestamptz
);
CREATE INDEX job_user_created ON dinamis_jobs.job (user_id, created_at DESC);
CREATE INDEX job_input_hash ON dinamis_jobs.job (input_hash);
