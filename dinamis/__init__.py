"""DINAMIS catalogue core: settings, embedded database, command line."""
