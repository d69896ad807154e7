"""COG on first use: the tiler queues the COG of a catalogue-first item (a Spot World Heritage
scene relayed from its metadata alone) the first time it serves it, instead of waiting for the
operators' batch (``dinamis swh cog``). The item is served meanwhile from its delivered file;
the queued job (``ingest:make_cog``, run by ``dinamis worker``) replaces it once its COG is made.

Queueing never holds up or fails a tile: it runs in a thread of its own, once per item and
process (the queue's lock makes it once per item across processes), and a queue that cannot be
reached is logged, then tried again for a later item after ``RETRY_SECONDS``."""

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pystac
from cachetools import LRUCache

from ingest.item import CATALOGUED, RELAY_PROPERTY

log = logging.getLogger(__name__)

RETRY_SECONDS = 60.0


class FirstUse:
    def __init__(self, database_url: str, remembered: int = 100_000) -> None:
        self._url = database_url
        # Items queued by this process (or being queued): each is asked for once.
        self._queued: LRUCache = LRUCache(maxsize=remembered)
        self._lock = threading.Lock()
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cog-on-first-use")
        self._app: Any = None
        self._unreachable_until = 0.0

    def noticed(self, item: pystac.Item) -> None:
        """``item`` is being served: queue its COG if it has none yet."""
        if item.properties.get(RELAY_PROPERTY) != CATALOGUED or not item.collection_id:
            return
        key = (item.collection_id, item.id)
        with self._lock:
            if key in self._queued or time.monotonic() < self._unreachable_until:
                return
            self._queued[key] = True
        self._thread.submit(self._queue, *key)

    def _queue(self, collection: str, item_id: str) -> None:
        # Here, not at import: a tiler that never meets such an item never loads the ingest.
        from ingest.tasks import defer_cog, deferring_app

        try:
            if self._app is None:
                self._app = deferring_app(self._url).open()
            queued = defer_cog(self._app, collection, item_id)
        except Exception as error:  # the tile is served anyway: say why, try again later
            log.warning("COG of %s/%s not queued: %s", collection, item_id, error)
            with self._lock:
                self._queued.pop((collection, item_id), None)
                self._unreachable_until = time.monotonic() + RETRY_SECONDS
            self._close_app()
            return
        log.info("COG of %s/%s %s", collection, item_id, "queued" if queued else "already queued")

    def _close_app(self) -> None:
        if self._app is not None:
            app, self._app = self._app, None
            app.close()

    def close(self) -> None:
        self._thread.shutdown(wait=True, cancel_futures=True)
        self._close_app()
