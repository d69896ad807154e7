-- A coverage: a pgSTAC search (a collection and a year, or a saved search or CQL2 filter)
-- served as one layer, and the low-resolution pyramid built from its items.
CREATE TABLE dinamis_coverages.coverage (
    id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9._-]{0,99}$'),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    search jsonb NOT NULL,
    -- The search registered in pgSTAC (titiler-pgstac's mosaic above the pyramid).
    search_hash text NOT NULL,
    -- Collections the search is limited to (empty: any, so every licence applies).
    collections text[] NOT NULL DEFAULT '{}',
    asset text NOT NULL DEFAULT 'data',
    created_at timestamptz NOT NULL DEFAULT now(),
    -- The pyramid, once built: its file, the zoom of its base, its extent in degrees, and
    -- the fingerprint of the items it was built from (rebuilt when they change).
    pyramid_path text,
    pyramid_zoom integer,
    pyramid_bounds double precision[],
    fingerprint text,
    item_count integer,
    built_at timestamptz,
    build_seconds double precision
);
