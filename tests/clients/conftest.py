"""Fixtures of the client tests."""

from tests.clients.scenes import licensed_scenes, open_scenes, panchromatic_scenes

__all__ = ["licensed_scenes", "open_scenes", "panchromatic_scenes"]
