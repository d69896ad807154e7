-- Imagery requests (STAPI orders): the versioned rules they were priced with, each order with
-- its quote and status history, the SPOT tranche balances of entities, the TLEs opportunities
-- are computed from, and the catalogue items that delivered an order.

CREATE TABLE dinamis_orders.rules (
    version text PRIMARY KEY,
    content jsonb NOT NULL,
    sha256 text NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE dinamis_orders."order" (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('archive', 'tasking')),
    user_id bigint NOT NULL REFERENCES dinamis_access."user" (id),
    entity_id bigint NOT NULL REFERENCES dinamis_access.entity (id),
    geometry jsonb NOT NULL,
    window_start timestamptz NOT NULL,
    window_end timestamptz NOT NULL,
    parameters jsonb NOT NULL,
    area_km2 double precision NOT NULL CHECK (area_km2 > 0),
    rules_version text NOT NULL REFERENCES dinamis_orders.rules (version),
    quote jsonb NOT NULL,
    -- SPOT scene-equivalent attempts taken from the entity's tranche balance (refunded when
    -- the order is rejected or cancelled before it reaches the provider).
    tranche_attempts integer NOT NULL DEFAULT 0 CHECK (tranche_attempts >= 0),
    quote_agreed_at timestamptz,
    status text NOT NULL DEFAULT 'received',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_user_idx ON dinamis_orders."order" (user_id, id);
CREATE INDEX order_entity_idx ON dinamis_orders."order" (entity_id, id);

CREATE TABLE dinamis_orders.status (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES dinamis_orders."order" (id) ON DELETE CASCADE,
    status_code text NOT NULL,
    reason_code text,
    reason_text text,
    actor_user_id bigint REFERENCES dinamis_access."user" (id),
    -- Who acted, as shown: an e-mail address, or "operator (command line)".
    actor text NOT NULL,
    at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX status_order_idx ON dinamis_orders.status (order_id, id);

-- One acquisition try of a tasking order, as the provider reported it.
CREATE TABLE dinamis_orders.attempt (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES dinamis_orders."order" (id) ON DELETE CASCADE,
    acquired_at timestamptz NOT NULL,
    cloud_cover double precision NOT NULL CHECK (cloud_cover BETWEEN 0 AND 100),
    validated boolean NOT NULL,
    note text,
    recorded_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dinamis_orders.tranche (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity_id bigint NOT NULL REFERENCES dinamis_access.entity (id),
    attempts integer NOT NULL CHECK (attempts > 0),
    price_eur numeric(12, 2) NOT NULL,
    rules_version text NOT NULL REFERENCES dinamis_orders.rules (version),
    bought_at timestamptz NOT NULL DEFAULT now()
);

-- What is left of an entity's tranches: the one row concurrent requests lock and decrement.
CREATE TABLE dinamis_orders.balance (
    entity_id bigint PRIMARY KEY REFERENCES dinamis_access.entity (id),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0)
);

CREATE TABLE dinamis_orders.tle (
    name text PRIMARY KEY,
    line1 text NOT NULL,
    line2 text NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dinamis_orders.order_item (
    order_id bigint NOT NULL REFERENCES dinamis_orders."order" (id) ON DELETE CASCADE,
    collection text NOT NULL,
    item_id text NOT NULL,
    PRIMARY KEY (order_id, collection, item_id)
);
