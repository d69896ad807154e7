-- Workarounds for defects of pgSTAC 0.10.0, re-applied after every pgSTAC migration (which
-- would put the original functions back). Each says what it fixes; drop it once pgSTAC does.
SET search_path TO pgstac, public;

-- get_token_record: the paging token's item is looked up with
--     id = convert_from(decode(..., 'hex'), 'UTF8')
-- convert_from takes its encoding as a `name`, whose collation is "C", so the decoded text
-- carries collation C, the comparison is made in C and the items' btree on id (default
-- collation) cannot serve it: every page after the first read every partition sequentially
-- (2.1 s at 1 M items). Identical to pgSTAC's but for COLLATE "default" on both keys.
CREATE OR REPLACE FUNCTION get_token_record(IN _token text, OUT prev BOOLEAN, OUT item items) RETURNS RECORD AS $$
DECLARE
    _parts text[];
BEGIN
    RAISE DEBUG 'Looking for token: %', _token;

    -- <direction>:<collection>:<id>, the collection and id hex encoded so neither can hold a
    -- separator. The direction is required: a token is only ever handed out as part of a
    -- next or prev link. Digits in pairs, or decode meets an odd-length string and rejects it.
    -- Lowered whole: hex is case insensitive to decode, so this costs nothing and makes the
    -- direction match without case folding each part.
    _parts := string_to_array(lower(_token), ':');
    IF cardinality(_parts) <> 3
        OR _parts[1] NOT IN ('next', 'prev')
        OR _parts[2] !~ '^([0-9a-f]{2})+$'
        OR _parts[3] !~ '^([0-9a-f]{2})+$'
    THEN
        RAISE EXCEPTION 'Invalid paging token: %', _token;
    END IF;
    prev := _parts[1] = 'prev';

    SELECT * INTO item FROM items
        WHERE collection = convert_from(decode(_parts[2], 'hex'), 'UTF8') COLLATE "default"
          AND id = convert_from(decode(_parts[3], 'hex'), 'UTF8') COLLATE "default";

    IF item IS NULL THEN
        RAISE EXCEPTION 'Could not find item using token: %', _token;
    END IF;
    RETURN;
END;
$$ LANGUAGE PLPGSQL STABLE STRICT;

