-- The statistics read every table by time: events and requests of a period, the attempts of
-- those requests. Covering indexes keep the periods' scans off the tables' pages.
CREATE INDEX IF NOT EXISTS download_event_at_idx ON dinamis_access.download_event
    (at) INCLUDE (kind, user_id, entity_id, collection, item, area_km2);
CREATE INDEX IF NOT EXISTS order_created_idx ON dinamis_orders."order" (created_at);
CREATE INDEX IF NOT EXISTS attempt_order_idx ON dinamis_orders.attempt (order_id);
