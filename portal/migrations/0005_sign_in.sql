-- Each sign-in to the portal (password or OpenID Connect), kept after the session ends: the
-- usage statistics count a user active in a period when they signed in during it.
CREATE TABLE dinamis_portal.sign_in (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES dinamis_access."user" (id),
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_at_idx ON dinamis_portal.sign_in (at, user_id);

-- Sign-ins before this table: each key the portal minted for a session (renewals included)
-- was created while its user was signed in.
INSERT INTO dinamis_portal.sign_in (user_id, at)
SELECT k.user_id, k.created_at
FROM dinamis_portal.session_key s JOIN dinamis_access.api_key k ON k.id = s.key_id;
