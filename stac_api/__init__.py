"""STAC API (stac-fastapi-pgstac) for the DINAMIS catalogue."""

import os

from stac_api.settings import ApiSettings

# stac-fastapi keeps a module-level copy of its settings, read from the environment when
# stac_fastapi.types.core is first imported; left unset, it warns of "default values" on every
# start although this API sets its own.
for _name in ("title", "description", "version", "landing_id"):
    _field = f"stac_fastapi_{_name}"
    os.environ.setdefault(_field.upper(), ApiSettings.model_fields[_field].default)
