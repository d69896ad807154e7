-- The session's API key, sealed with the session cookie (which the database never holds): the
-- portal acts on the API for the signed-in user (imagery requests) only while they browse.
ALTER TABLE dinamis_portal.session ADD COLUMN key_sealed bytea;
