"""Tile server (titiler-pgstac) for the DINAMIS catalogue."""
