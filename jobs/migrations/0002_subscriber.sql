-- Where the requester wants to be told of the job's status (OGC subscriber: successUri,
-- inProgressUri, failedUri), checked at submission.
ALTER TABLE dinamis_jobs.job ADD COLUMN subscriber jsonb;
