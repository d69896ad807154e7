-- The days each API key was used: using a key is activity, as a portal sign-in is. One row a
-- key a day (written once a day by each process, not on every request); the newest is the
-- key's last use.
CREATE TABLE dinamis_access.api_key_use (
    key_id bigint NOT NULL REFERENCES dinamis_access.api_key (id),
    day date NOT NULL,
    PRIMARY KEY (key_id, day)
);
