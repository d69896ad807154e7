"""Keeping credentials out of logs, whichever logger or handler writes them."""

import logging
import re

MASK = "***"
_PATTERNS = (
    (re.compile(r"(access_token=)[^&\s\"'#]+"), rf"\g<1>{MASK}"),
    (re.compile(r"(Bearer\s+)[^\s\"',]+", re.IGNORECASE), rf"\g<1>{MASK}"),
    (re.compile(r"(X-API-Key[\"']?\s*[:=,]\s*[\"']?)[^\s\"',]+", re.IGNORECASE), rf"\g<1>{MASK}"),
    (re.compile(r"\bdnm_[A-Za-z0-9_-]+"), f"dnm_{MASK}"),
)


def mask_secrets(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _masked(value: object) -> object:
    return mask_secrets(value) if isinstance(value, str) else value


class SecretFilter(logging.Filter):
    """Rewrites a record with API keys and tokens masked; never drops a record.

    Arguments are masked one by one, so formatters that read them (uvicorn's access log takes
    the request line from ``record.args``) keep working; a secret that only appears once the
    message is formatted is masked in the formatted message instead.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_masked(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _masked(value) for key, value in record.args.items()}
        message = record.getMessage()
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


_installed = False


def install_secret_filter() -> None:
    """Mask every record when it is created, so no handler (file, console, uvicorn's, pytest's)
    ever sees a secret: a filter on one handler or logger would miss propagated records."""
    global _installed
    if _installed:
        return
    factory = logging.getLogRecordFactory()
    secret_filter = SecretFilter()

    def masking_factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        secret_filter.filter(record)
        return record

    logging.setLogRecordFactory(masking_factory)
    _installed = True
