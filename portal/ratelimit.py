"""Failed sign-ins counted per key (an e-mail address, a client address) over a sliding
window; each key kind has its own allowance."""

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

    def blocked(self, key: str) -> bool:
        return len(self._recent(key)) >= self.attempts

    def fail(self, key: str) -> None:
        failures = self._recent(key)
        failures.append(time.monotonic())
        self._failures[key] = failures

    def forget(self, key: str) -> None:
        self._failures.pop(key, None)
