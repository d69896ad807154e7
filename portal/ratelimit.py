"""Failed sign-ins counted per e-mail address and per client address over a sliding window."""

import time
from collections import deque

from cachetools import TTLCache


class LoginLimiter:
    def __init__(self, attempts: int, window: float) -> None:
        self.attempts = attempts
        self.window = window
        self._failures: TTLCache[str, deque[float]] = TTLCache(100_000, window)

    def _recent(self, key: str) -> deque[float]:
        failures = self._failures.get(key) or deque()
        cutoff = time.monotonic() - self.window
        while failures and failures[0] < cutoff:
            failures.popleft()
        return failures

    def blocked(self, *keys: str) -> bool:
        return any(len(self._recent(key)) >= self.attempts for key in keys)

    def fail(self, *keys: str) -> None:
        for key in keys:
            failures = self._recent(key)
            failures.append(time.monotonic())
            self._failures[key] = failures

    def succeed(self, *keys: str) -> None:
        for key in keys:
            self._failures.pop(key, None)
