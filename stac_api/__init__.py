"""STAC API (stac-fastapi-pgstac) for the DINAMIS catalogue."""
