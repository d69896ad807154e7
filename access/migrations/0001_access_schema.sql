-- Who may read licensed imagery: entities (member organisations), their users, API keys,
-- licences accepted per entity and acknowledged per user, and what was downloaded.

CREATE TYPE dinamis_access.entity_category AS ENUM (
    'french-public-body', 'french-research', 'foreign-research', 'private-rnd', 'private-contractor'
);
CREATE TYPE dinamis_access.entity_status AS ENUM ('pending', 'active', 'suspended');
CREATE TYPE dinamis_access.user_role AS ENUM ('user', 'referent', 'admin');
CREATE TYPE dinamis_access.user_status AS ENUM ('pending', 'active', 'disabled');
CREATE TYPE dinamis_access.event_kind AS ENUM ('download', 'crop', 'tile');

CREATE TABLE dinamis_access.entity (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL UNIQUE,
    category dinamis_access.entity_category NOT NULL,
    country text NOT NULL DEFAULT 'FR' CHECK (country ~ '^[A-Z]{2}$'),
    status dinamis_access.entity_status NOT NULL DEFAULT 'pending',
    referent_user_id bigint,  -- FK added below: users reference their entity too
    membership_version text,
    membership_accepted_by bigint,
    membership_accepted_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dinamis_access."user" (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity_id bigint NOT NULL REFERENCES dinamis_access.entity (id),
    email text NOT NULL,
    name text NOT NULL,
    role dinamis_access.user_role NOT NULL DEFAULT 'user',
    status dinamis_access.user_status NOT NULL DEFAULT 'pending',
    created_at timestamptz NOT NULL DEFAULT now()
);
-- E-mail addresses are case-insensitive in practice: one account per mailbox.
CREATE UNIQUE INDEX user_email_key ON dinamis_access."user" (lower(email));
CREATE INDEX user_entity_idx ON dinamis_access."user" (entity_id);

ALTER TABLE dinamis_access.entity
    ADD FOREIGN KEY (referent_user_id) REFERENCES dinamis_access."user" (id),
    ADD FOREIGN KEY (membership_accepted_by) REFERENCES dinamis_access."user" (id);

CREATE TABLE dinamis_access.api_key (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES dinamis_access."user" (id),
    prefix text NOT NULL UNIQUE,
    secret_sha256 text NOT NULL UNIQUE,  -- the secret itself is shown once and never stored
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX api_key_user_idx ON dinamis_access.api_key (user_id);

CREATE TABLE dinamis_access.licence (
    code text PRIMARY KEY,
    version text NOT NULL,
    title text NOT NULL,
    url text,
    collections text[] NOT NULL DEFAULT '{}',
    -- Entities of these categories need the provider's approval on top of their acceptance.
    approval_categories dinamis_access.entity_category[] NOT NULL DEFAULT '{}'
);

CREATE TABLE dinamis_access.entity_licence (
    entity_id bigint NOT NULL REFERENCES dinamis_access.entity (id),
    licence_code text NOT NULL REFERENCES dinamis_access.licence (code),
    version text NOT NULL,
    accepted_at timestamptz NOT NULL DEFAULT now(),
    accepted_by bigint REFERENCES dinamis_access."user" (id),
    provider_approved boolean NOT NULL DEFAULT false,
    provider_approved_at timestamptz,
    PRIMARY KEY (entity_id, licence_code)
);

CREATE TABLE dinamis_access.user_licence_ack (
    user_id bigint NOT NULL REFERENCES dinamis_access."user" (id),
    licence_code text NOT NULL REFERENCES dinamis_access.licence (code),
    acknowledged_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, licence_code)
);

CREATE TABLE dinamis_access.download_event (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Anonymous reads of open collections are counted too, hence nullable.
    user_id bigint REFERENCES dinamis_access."user" (id),
    entity_id bigint REFERENCES dinamis_access.entity (id),
    collection text NOT NULL,
    item text,
    asset text,
    area_km2 double precision,
    bytes bigint,
    kind dinamis_access.event_kind NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX download_event_entity_at_idx ON dinamis_access.download_event (entity_id, at);
