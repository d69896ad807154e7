SET search_path TO pgstac, public;
-- Properties users filter on, declared to pgSTAC so that /queryables lists them for clients
-- (QGIS, STAC Browser) and CQL2 compares them with the right type. Cloud cover, incidence
-- angle and platform get an index: they are in nearly every search of this catalogue, and
-- processing level too, which splits Spot World Heritage's raw scenes from its orthoimages.
DELETE FROM pgstac.queryables WHERE collection_ids IS NULL AND name IN (
    'eo:cloud_cover', 'eo:snow_cover', 'view:incidence_angle', 'view:off_nadir',
    'view:azimuth', 'view:sun_azimuth', 'view:sun_elevation', 'platform', 'constellation',
    'instruments', 'gsd', 'processing:level', 'product:type'
);
INSERT INTO pgstac.queryables (name, definition, property_wrapper, property_index_type) VALUES
    ('eo:cloud_cover', '{"title": "Cloud cover (%)", "type": "number", "minimum": 0, "maximum": 100}', 'to_float', 'BTREE'),
    ('eo:snow_cover', '{"title": "Snow cover (%)", "type": "number", "minimum": 0, "maximum": 100}', 'to_float', NULL),
    ('view:incidence_angle', '{"title": "Incidence angle (degrees)", "type": "number", "minimum": 0, "maximum": 90}', 'to_float', 'BTREE'),
    ('view:off_nadir', '{"title": "Off-nadir angle (degrees)", "type": "number", "minimum": 0, "maximum": 90}', 'to_float', NULL),
    ('view:azimuth', '{"title": "Viewing azimuth (degrees)", "type": "number", "minimum": 0, "maximum": 360}', 'to_float', NULL),
    ('view:sun_azimuth', '{"title": "Sun azimuth (degrees)", "type": "number", "minimum": 0, "maximum": 360}', 'to_float', NULL),
    ('view:sun_elevation', '{"title": "Sun elevation (degrees)", "type": "number", "minimum": -90, "maximum": 90}', 'to_float', NULL),
    ('platform', '{"title": "Platform", "type": "string", "examples": ["PHR1A", "PHR1B", "PNEO3", "PNEO4", "SPOT6", "SPOT7", "SPOT5"]}', 'to_text', 'BTREE'),
    ('constellation', '{"title": "Constellation", "type": "string", "enum": ["pleiades", "pleiades-neo", "spot"]}', 'to_text', NULL),
    ('instruments', '{"title": "Instruments", "type": "array", "items": {"type": "string"}}', 'to_text_array', NULL),
    ('gsd', '{"title": "Ground sample distance (m)", "type": "number", "minimum": 0}', 'to_float', NULL),
    ('processing:level', '{"title": "Processing level", "description": "Spot World Heritage: 1A raw scenes, ORT orthoimages", "type": "string", "examples": ["SEN", "PRJ", "ORT", "1A", "2A"]}', 'to_text', 'BTREE'),
    ('product:type', '{"title": "Spectral processing (SPOT 1-5: the imaging mode, SENSOR_CODE)", "type": "string", "examples": ["P", "MS", "PMS", "MS-FS", "X", "I", "M", "J", "A", "B"]}', 'to_text', NULL);
