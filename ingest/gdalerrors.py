"""GDAL's own error lines, kept out of the ingest's output and used to name a failure's cause.

rasterio logs every GDAL error as "GDAL signalled an error: err_no=…, msg=…" before raising
its exception, which is sometimes only "Unknown GDAL Error". During an ingest those lines
are taken off the log (kept at debug level) and the last one names the cause of a failure.
"""

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

GDAL_LOGGER = "rasterio._env"
WARNED = re.compile(r"CPLE_\w+ in ")
SIGNALLED = re.compile(r"GDAL signalled an error: err_no=\d+, msg=(?P<msg>.*)", re.DOTALL)
log = logging.getLogger(__name__)


class _Capture(logging.Filter):
    """Takes GDAL's error records off the log while at least one capture is open."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.open = 0
        # GDAL reports from its own worker threads too (GDAL_NUM_THREADS): those messages
        # go to every open capture, a thread's own only to its own.
        self.by_thread: dict[int, list[str]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        match = SIGNALLED.match(text)
        if match is None:
            if self.open and WARNED.match(text):
                # GDAL's warnings are not the user's business: a 12-bit COG's "pixels clipped
                # to fit 12 bit domain" comes with every product, its pixels intact
                # (tests/ingest/test_cog.py compares them with the tiles).
                log.debug("GDAL: %s", text)
                return False
            return True
        message = " ".join(match["msg"].strip("'\"").split())
        with self.lock:
            if not self.open:
                return True
            own = self.by_thread.get(threading.get_ident())
            for messages in [own] if own is not None else self.by_thread.values():
                messages.append(message)
        log.debug("GDAL: %s", message)
        return False


_capture = _Capture()
logging.getLogger(GDAL_LOGGER).addFilter(_capture)


@contextmanager
def gdal_messages() -> Iterator[list[str]]:
    """The GDAL error messages raised while the block runs in this thread, off the log."""
    messages: list[str] = []
    with _capture.lock:
        _capture.open += 1
        _capture.by_thread[threading.get_ident()] = messages
    try:
        yield messages
    finally:
        with _capture.lock:
            _capture.open -= 1
            _capture.by_thread.pop(threading.get_ident(), None)


UNKNOWN = re.compile(r"Unknown GDAL Error\..*$")


def cause(error: Exception, messages: list[str]) -> str:
    """One line naming why ``error`` happened: GDAL's own last word where rasterio has none."""
    text = " ".join(str(error).split())
    if messages and (not text or UNKNOWN.search(text)):
        return UNKNOWN.sub("", text) + messages[-1]
    return UNKNOWN.sub("unknown GDAL error", text) or type(error).__name__
