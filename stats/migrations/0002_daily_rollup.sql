-- The statistics' rollups, kept by triggers in the transaction that writes each raw row, so
-- that they always equal counts of the raw rows (events are only ever inserted).
--
-- download:        one row per download as the figures count it (a product fetched by a user
--                  on a day, however many ranged reads; or one crop), with its km²
-- download_day:    downloads and km² by day, collection and entity category (sums)
-- product_seen:    the products downloaded in each calendar month and year, by collection and
--                  category ('all': any category); product_count counts them. Distinct counts
--                  cannot be summed over days: spans that are not a calendar month or year (or
--                  one entity's figures) count them from download instead.
-- active_day:      who was active on which day (portal sign-in, download or crop, request
--                  submitted, API key used); active_user, active_entity and active_count keep
--                  who was active in each calendar month and year, and how many by category.

CREATE TABLE dinamis_stats.download (
    day date NOT NULL,
    collection text NOT NULL,
    item text,
    user_id bigint,
    entity_id bigint,
    crop bigint,  -- the crop event's id: each crop is a download of its own
    area double precision,  -- the largest area its events measured (crops)
    -- Its item's footprint in the catalogue when first downloaded, for one without area.
    footprint double precision,
    CONSTRAINT download_unit UNIQUE NULLS NOT DISTINCT
        (day, collection, item, user_id, entity_id, crop)
);
CREATE INDEX download_entity_idx ON dinamis_stats.download (entity_id, day);

CREATE TABLE dinamis_stats.download_day (
    day date NOT NULL,
    collection text NOT NULL,
    category text NOT NULL,
    downloads bigint NOT NULL,
    km2 double precision NOT NULL,
    PRIMARY KEY (day, collection, category)
);

CREATE TABLE dinamis_stats.product_seen (
    step text NOT NULL CHECK (step IN ('month', 'year')),
    start date NOT NULL,
    collection text NOT NULL,
    item text,
    category text NOT NULL,
    CONSTRAINT product_seen_once UNIQUE NULLS NOT DISTINCT (step, start, collection, item, category)
);

CREATE TABLE dinamis_stats.product_count (
    step text NOT NULL,
    start date NOT NULL,
    collection text NOT NULL,
    category text NOT NULL,
    products bigint NOT NULL,
    PRIMARY KEY (step, start, collection, category)
);

CREATE TABLE dinamis_stats.active_day (
    day date NOT NULL,
    user_id bigint NOT NULL,
    PRIMARY KEY (day, user_id)
);

CREATE TABLE dinamis_stats.active_user (
    step text NOT NULL CHECK (step IN ('month', 'year')),
    start date NOT NULL,
    user_id bigint NOT NULL,
    PRIMARY KEY (step, start, user_id)
);

CREATE TABLE dinamis_stats.active_entity (
    step text NOT NULL,
    start date NOT NULL,
    entity_id bigint NOT NULL,
    PRIMARY KEY (step, start, entity_id)
);

CREATE TABLE dinamis_stats.active_count (
    step text NOT NULL,
    start date NOT NULL,
    category text NOT NULL,
    users bigint NOT NULL,
    PRIMARY KEY (step, start, category)
);

CREATE FUNCTION dinamis_stats.footprint_km2(of_collection text, of_item text)
RETURNS double precision LANGUAGE sql STABLE AS $$
    SELECT ST_Area(i.geometry::geography) / 1e6 FROM pgstac.items i
    WHERE i.id = of_item AND i.collection = of_collection
$$;

CREATE FUNCTION dinamis_stats.category_of(of_entity bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT category::text FROM dinamis_access.entity WHERE id = of_entity),
                    'anonymous')
$$;

-- A new download: its day's sums, and its product in its month's and year's.
CREATE FUNCTION dinamis_stats.count_download(d dinamis_stats.download) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    its_category text := dinamis_stats.category_of(d.entity_id);
    span_step text;
    span_start date;
    seen_as text;
BEGIN
    INSERT INTO dinamis_stats.download_day AS t VALUES
        (d.day, d.collection, its_category, 1, coalesce(d.area, d.footprint, 0))
    ON CONFLICT ON CONSTRAINT download_day_pkey DO UPDATE
        SET downloads = t.downloads + 1, km2 = t.km2 + excluded.km2;
    FOREACH span_step IN ARRAY ARRAY['month', 'year'] LOOP
        span_start := date_trunc(span_step, d.day)::date;
        FOREACH seen_as IN ARRAY ARRAY[its_category, 'all'] LOOP
            INSERT INTO dinamis_stats.product_seen VALUES
                (span_step, span_start, d.collection, d.item, seen_as)
            ON CONFLICT ON CONSTRAINT product_seen_once DO NOTHING;
            IF FOUND THEN
                INSERT INTO dinamis_stats.product_count AS c VALUES
                    (span_step, span_start, d.collection, seen_as, 1)
                ON CONFLICT ON CONSTRAINT product_count_pkey DO UPDATE
                    SET products = c.products + 1;
            END IF;
        END LOOP;
    END LOOP;
END
$$;

-- A user active on a day: if not counted yet that day, in their month's and year's counts.
CREATE FUNCTION dinamis_stats.count_active(active_on date, who bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    their_entity bigint;
    their_category text;
    span_step text;
    span_start date;
BEGIN
    INSERT INTO dinamis_stats.active_day VALUES (active_on, who)
    ON CONFLICT ON CONSTRAINT active_day_pkey DO NOTHING;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT u.entity_id, e.category::text INTO their_entity, their_category
    FROM dinamis_access."user" u JOIN dinamis_access.entity e ON e.id = u.entity_id
    WHERE u.id = who;
    FOREACH span_step IN ARRAY ARRAY['month', 'year'] LOOP
        span_start := date_trunc(span_step, active_on)::date;
        INSERT INTO dinamis_stats.active_user VALUES (span_step, span_start, who)
        ON CONFLICT ON CONSTRAINT active_user_pkey DO NOTHING;
        IF FOUND THEN
            INSERT INTO dinamis_stats.active_count AS c VALUES
                (span_step, span_start, their_category, 1)
            ON CONFLICT ON CONSTRAINT active_count_pkey DO UPDATE SET users = c.users + 1;
            INSERT INTO dinamis_stats.active_entity VALUES (span_step, span_start, their_entity)
            ON CONFLICT ON CONSTRAINT active_entity_pkey DO NOTHING;
        END IF;
    END LOOP;
END
$$;

-- A download or crop event: a new download, or a larger area for its download; its user
-- active.
CREATE FUNCTION dinamis_stats.event_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    d dinamis_stats.download;
    added dinamis_stats.download;
    before double precision;
BEGIN
    d := ROW(
        (NEW.at AT TIME ZONE 'UTC')::date, NEW.collection, NEW.item, NEW.user_id, NEW.entity_id,
        CASE WHEN NEW.kind = 'crop' THEN NEW.id END, NEW.area_km2, NULL
    );
    INSERT INTO dinamis_stats.download AS t
    SELECT d.day, d.collection, d.item, d.user_id, d.entity_id, d.crop, d.area,
           CASE WHEN d.area IS NULL THEN dinamis_stats.footprint_km2(d.collection, d.item) END
    ON CONFLICT ON CONSTRAINT download_unit DO NOTHING
    RETURNING * INTO added;
    IF FOUND THEN
        PERFORM dinamis_stats.count_download(added);
    ELSIF d.area IS NOT NULL THEN
        -- Measured: its footprint no longer counts (nor is kept, as the rebuild keeps none).
        UPDATE dinamis_stats.download t SET area = d.area, footprint = NULL
        FROM dinamis_stats.download o
        WHERE o.ctid = t.ctid AND t.day = d.day AND t.collection = d.collection
          AND t.item IS NOT DISTINCT FROM d.item AND t.user_id IS NOT DISTINCT FROM d.user_id
          AND t.entity_id IS NOT DISTINCT FROM d.entity_id AND t.crop IS NOT DISTINCT FROM d.crop
          AND d.area > coalesce(t.area, '-Infinity')
        RETURNING coalesce(o.area, o.footprint, 0) INTO before;
        IF FOUND THEN
            UPDATE dinamis_stats.download_day SET km2 = km2 + d.area - before
            WHERE day = d.day AND collection = d.collection
              AND category = dinamis_stats.category_of(d.entity_id);
        END IF;
    END IF;
    IF NEW.user_id IS NOT NULL THEN
        PERFORM dinamis_stats.count_active(d.day, NEW.user_id);
    END IF;
    RETURN NULL;
END
$$;

-- A sign-in, a request submitted or an API key used: its user active that day.
CREATE FUNCTION dinamis_stats.activity_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'sign_in' THEN
        PERFORM dinamis_stats.count_active((NEW.at AT TIME ZONE 'UTC')::date, NEW.user_id);
    ELSIF TG_TABLE_NAME = 'order' THEN
        PERFORM dinamis_stats.count_active((NEW.created_at AT TIME ZONE 'UTC')::date, NEW.user_id);
    ELSE
        PERFORM dinamis_stats.count_active(
            NEW.day, (SELECT k.user_id FROM dinamis_access.api_key k WHERE k.id = NEW.key_id)
        );
    END IF;
    RETURN NULL;
END
$$;

-- Every rollup again from the raw rows, as the functions above would have written them one by
-- one: the backfill, and after an entity's category or a user's entity changes (by hand).
CREATE FUNCTION dinamis_stats.rebuild() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE dinamis_stats.download, dinamis_stats.download_day, dinamis_stats.product_seen,
             dinamis_stats.product_count, dinamis_stats.active_day, dinamis_stats.active_user,
             dinamis_stats.active_entity, dinamis_stats.active_count;

    WITH downloads AS (
        SELECT (e.at AT TIME ZONE 'UTC')::date AS day, e.collection, e.item, e.user_id,
               e.entity_id, CASE WHEN e.kind = 'crop' THEN e.id END AS crop,
               max(e.area_km2) AS area
        FROM dinamis_access.download_event e WHERE e.kind IN ('download', 'crop')
        GROUP BY 1, 2, 3, 4, 5, 6
    ),
    footprints AS MATERIALIZED (
        SELECT collection, item, dinamis_stats.footprint_km2(collection, item) AS km2
        FROM (SELECT DISTINCT collection, item FROM downloads WHERE area IS NULL) p
    )
    INSERT INTO dinamis_stats.download
    SELECT d.*, f.km2
    FROM downloads d
    LEFT JOIN footprints f ON d.area IS NULL AND f.collection = d.collection AND f.item = d.item;

    INSERT INTO dinamis_stats.download_day
    SELECT d.day, d.collection, coalesce(n.category::text, 'anonymous'), count(*),
           sum(coalesce(d.area, d.footprint, 0))
    FROM dinamis_stats.download d LEFT JOIN dinamis_access.entity n ON n.id = d.entity_id
    GROUP BY 1, 2, 3;

    INSERT INTO dinamis_stats.product_seen
    SELECT DISTINCT s.step, date_trunc(s.step, d.day)::date, d.collection, d.item, c.category
    FROM dinamis_stats.download d
    LEFT JOIN dinamis_access.entity n ON n.id = d.entity_id
    CROSS JOIN unnest(ARRAY['month', 'year']) s (step)
    CROSS JOIN unnest(ARRAY[coalesce(n.category::text, 'anonymous'), 'all']) c (category);

    INSERT INTO dinamis_stats.product_count
    SELECT step, start, collection, category, count(*) FROM dinamis_stats.product_seen
    GROUP BY 1, 2, 3, 4;

    INSERT INTO dinamis_stats.active_day
    SELECT (at AT TIME ZONE 'UTC')::date, user_id FROM dinamis_portal.sign_in
    UNION
    SELECT (at AT TIME ZONE 'UTC')::date, user_id FROM dinamis_access.download_event
    WHERE kind IN ('download', 'crop') AND user_id IS NOT NULL
    UNION
    SELECT (created_at AT TIME ZONE 'UTC')::date, user_id FROM dinamis_orders."order"
    UNION
    SELECT u.day, k.user_id
    FROM dinamis_access.api_key_use u JOIN dinamis_access.api_key k ON k.id = u.key_id;

    INSERT INTO dinamis_stats.active_user
    SELECT DISTINCT s.step, date_trunc(s.step, a.day)::date, a.user_id
    FROM dinamis_stats.active_day a CROSS JOIN unnest(ARRAY['month', 'year']) s (step);

    INSERT INTO dinamis_stats.active_count
    SELECT a.step, a.start, e.category::text, count(*)
    FROM dinamis_stats.active_user a
    JOIN dinamis_access."user" u ON u.id = a.user_id
    JOIN dinamis_access.entity e ON e.id = u.entity_id
    GROUP BY 1, 2, 3;

    INSERT INTO dinamis_stats.active_entity
    SELECT DISTINCT a.step, a.start, u.entity_id
    FROM dinamis_stats.active_user a JOIN dinamis_access."user" u ON u.id = a.user_id;
END
$$;

CREATE FUNCTION dinamis_stats.rebuild_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM dinamis_stats.rebuild();
    RETURN NULL;
END
$$;

SELECT dinamis_stats.rebuild();

CREATE TRIGGER stats_download_event AFTER INSERT ON dinamis_access.download_event
    FOR EACH ROW WHEN (NEW.kind IN ('download', 'crop'))
    EXECUTE FUNCTION dinamis_stats.event_trigger();
CREATE TRIGGER stats_sign_in AFTER INSERT ON dinamis_portal.sign_in
    FOR EACH ROW EXECUTE FUNCTION dinamis_stats.activity_trigger();
CREATE TRIGGER stats_order AFTER INSERT ON dinamis_orders."order"
    FOR EACH ROW EXECUTE FUNCTION dinamis_stats.activity_trigger();
CREATE TRIGGER stats_api_key_use AFTER INSERT ON dinamis_access.api_key_use
    FOR EACH ROW EXECUTE FUNCTION dinamis_stats.activity_trigger();
CREATE TRIGGER stats_entity_category AFTER UPDATE OF category ON dinamis_access.entity
    FOR EACH STATEMENT EXECUTE FUNCTION dinamis_stats.rebuild_trigger();
CREATE TRIGGER stats_user_entity AFTER UPDATE OF entity_id ON dinamis_access."user"
    FOR EACH STATEMENT EXECUTE FUNCTION dinamis_stats.rebuild_trigger();

-- The statistics no longer read the events by time: no event (tiles included) pays for it.
DROP INDEX dinamis_access.download_event_at_idx;
