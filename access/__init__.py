"""Who may read licensed DINAMIS imagery: entities, users, API keys, licences and downloads.

- ``migrate``: the ``dinamis_access`` schema (SQL files in ``migrations/``).
- ``store``: reading and writing it (psycopg, sync); ``models``: the records it returns.
- ``policy.can_access``: the one rule deciding who reads which collection.
- ``state.installed``: per-app pool and caches, entered in each app's lifespan.
- ``dependencies``: FastAPI dependencies (caller, collection/search guards, usage events).
- ``routes.router``: /auth/*, referent routes, asset download, /sign.
- ``stac``: STAC Authentication extension fields and public download hrefs for items.
- ``client.sign_modifier``: pystac-client ``modifier`` signing DINAMIS hrefs.
- ``cli``: operator commands (typer); ``logs``: credentials masked in every log record.
"""
