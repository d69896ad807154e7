"""The ingest's background task: the COG of a catalogue-first item, made by ``dinamis worker``.

The project's one procrastinate App adds :data:`blueprint` under the ``ingest`` namespace (the
``dinamis.tasks`` entry point's name). The task runs the ordinary ingest on the item's
delivered metadata: the COG is written aside and renamed into place, then the item replaced in
one pgSTAC upsert (assets and properties together), so no reader ever sees it half-converted.
"""

import logging
from pathlib import Path
from urllib.parse import urlsplit

import procrastinate
from procrastinate import App
from procrastinate.exceptions import AlreadyEnqueued

from dinamis.database import database_url
from dinamis.settings import get_settings
from ingest.item import CATALOGUED, RELAY_PROPERTY
from ingest.load import Catalogue
from ingest.model import IngestError
from ingest.pipeline import ingest_paths

log = logging.getLogger(__name__)

# The entry point's name, under which the App namespaces these tasks (``ingest:make_cog``).
NAMESPACE = "ingest"
QUEUE = "ingest"
TASK = f"{NAMESPACE}:make_cog"

blueprint = procrastinate.Blueprint()


# No automatic retry: a product that cannot be converted fails the same way each time, with
# its reason in the job; the item stays catalogued, so the next `dinamis swh cog` queues it
# again once the cause is fixed. A killed conversion leaves only a partial folder, cleaned
# by the next run.
@blueprint.task(name="make_cog", queue=QUEUE)
def make_cog(collection: str, item_id: str) -> str:
    """Make the COG of a catalogued item and publish it in the item; say what was done."""
    settings = get_settings()
    url = database_url(settings)
    with Catalogue(url) as catalogue:
        item = catalogue.get_item(collection, item_id)
    if item is None:
        raise IngestError(f"no item {item_id!r} in collection {collection!r}")
    if item["properties"].get(RELAY_PROPERTY) != CATALOGUED:
        return f"{collection}/{item_id} already has its COG"
    metadata = Path(urlsplit(item["assets"]["metadata"]["href"]).path)
    report = ingest_paths([metadata], settings, url, collection=collection, progress=False)
    if report.failed or report.skipped:
        [outcome, *_] = report.failed or report.skipped
        raise IngestError(f"{collection}/{item_id}: {outcome.message}")
    made = [o.item_id for o in report.ingested]
    if made != [item_id]:
        # The metadata now describe another acquisition than the catalogued one.
        raise IngestError(f"{metadata} is now item {made}, not {item_id}")
    log.info("COG of %s/%s published", collection, item_id)
    return f"{collection}/{item_id} converted"


def deferring_app(url: str) -> App:
    """An App on ``url`` deferring by task name: jobs are rows of the queue the workers share,
    so the command line needs neither the worker's App nor its tasks (the App the blueprint is
    attached to in this process may have no connection of its own)."""
    return App(connector=procrastinate.PsycopgConnector(conninfo=url))


def defer_cog(app: App, collection: str, item_id: str) -> bool:
    """Queue the COG of one item through an open ``app``; False when it is queued already."""
    key = f"cog:{collection}/{item_id}"
    try:
        app.configure_task(TASK, queue=QUEUE, lock=key, queueing_lock=key).defer(
            collection=collection, item_id=item_id
        )
    except AlreadyEnqueued:
        return False
    return True
