-- Sign-in and membership online. Users, entities and licences stay in dinamis_access; this
-- schema adds what only the web portal needs.

CREATE TABLE dinamis_portal.credential (
    user_id bigint PRIMARY KEY REFERENCES dinamis_access."user" (id),
    password_hash text NOT NULL,  -- argon2id, with its parameters and salt
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dinamis_portal.session (
    token_sha256 text PRIMARY KEY,  -- the cookie's value is never stored
    user_id bigint REFERENCES dinamis_access."user" (id),
    -- The API key minted for this signed-in session: the pages' access tokens name it, and
    -- signing out revokes it, so tokens die with the session.
    key_id bigint REFERENCES dinamis_access.api_key (id),
    csrf text NOT NULL,
    basket jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
-- Keys minted for sessions, kept after sign-out so the user's own key list never shows them.
CREATE TABLE dinamis_portal.session_key (
    key_id bigint PRIMARY KEY REFERENCES dinamis_access.api_key (id)
);

CREATE INDEX session_expires_idx ON dinamis_portal.session (expires_at);

CREATE TYPE dinamis_portal.application_status AS ENUM (
    'submitted', 'confirmed', 'approved', 'refused'
);

CREATE TABLE dinamis_portal.application (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity_name text NOT NULL,
    category dinamis_access.entity_category NOT NULL,
    country text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    identifier text NOT NULL,  -- SIRET for French entities, a national identifier otherwise
    legal_name text NOT NULL,
    legal_email text NOT NULL,
    referent_name text NOT NULL,
    referent_email text NOT NULL,
    purpose text NOT NULL,
    status dinamis_portal.application_status NOT NULL DEFAULT 'submitted',
    refusal text,
    charter_version text,
    confirmed_at timestamptz,
    decided_at timestamptz,
    decided_by bigint REFERENCES dinamis_access."user" (id),
    entity_id bigint REFERENCES dinamis_access.entity (id),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TYPE dinamis_portal.link_kind AS ENUM ('confirm', 'status', 'invite', 'reset');

-- Mailed links: single-use (used_at), expiring, stored by hash.
CREATE TABLE dinamis_portal.link (
    token_sha256 text PRIMARY KEY,
    kind dinamis_portal.link_kind NOT NULL,
    application_id bigint REFERENCES dinamis_portal.application (id),
    user_id bigint REFERENCES dinamis_access."user" (id),
    expires_at timestamptz,  -- NULL: the applicant's status page, valid as long as the file
    used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
