"""The catalogue tests' own collection of synthetic items (the fixture lives in tests/conftest.py,
shared with the third-party client tests)."""

from tests.conftest import SEARCH_COLLECTION as COLLECTION
from tests.conftest import SEARCH_COUNT as COUNT

__all__ = ["COLLECTION", "COUNT"]
