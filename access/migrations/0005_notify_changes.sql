-- Every change to what an access decision reads is announced on the channel dinamis_access:
-- each server process empties its caches of keys, users and licences when it hears one, so a
-- revocation made by another process (the portal, the CLI, a second API or tiler worker) holds
-- from the next request on, not after the caches' lifetime. Usage tables (download_event,
-- api_key_use) decide nothing and stay silent.
CREATE FUNCTION dinamis_access.notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('dinamis_access', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

DO $$
DECLARE
    name text;
BEGIN
    FOREACH name IN ARRAY ARRAY['entity', 'user', 'api_key', 'licence', 'entity_licence',
                                'user_licence_ack']
    LOOP
        EXECUTE format(
            'CREATE TRIGGER notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE'
            ' ON dinamis_access.%I FOR EACH STATEMENT EXECUTE FUNCTION dinamis_access.notify_change()',
            name
        );
    END LOOP;
END;
$$;
