-- The Airbus DS institutional licence covers the Airbus-produced collections. Spot World
-- Heritage is under Etalab 2.0 and therefore has no row: a collection without licence is open.
INSERT INTO dinamis_access.licence (code, version, title, url, collections, approval_categories)
VALUES (
    'airbus-dinamis',
    '1',
    'DINAMIS licence for Airbus DS imagery (Pléiades, Pléiades Neo, SPOT 6/7)',
    'https://dinamis.data-terra.org/conditions-dacces/',
    ARRAY['pleiades', 'pleiades-neo', 'spot-6-7'],
    ARRAY['foreign-research', 'private-rnd', 'private-contractor']::dinamis_access.entity_category[]
)
ON CONFLICT (code) DO NOTHING;
