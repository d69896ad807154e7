"""A synthetic Spot World Heritage level-1A archive, metadata only, thousands of scenes a second.

Each scene is a real SWH METADATA.DIM (SPOT 1-5, their instruments and modes, incidence and
viewing angles, cloud cover, corner tie points) next to an empty IMAGERY.TIF stand-in: enough
for the catalogue-first relay, which reads no pixel. Scenes are spread over the missions'
lifetimes, mostly over metropolitan France, and filed by mission and year as an archive is.
"""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ingest.dimap1 import SENSOR_GSD
from ingest.testing import dimap1_document, sensor_corners, swh_scene_dir


@dataclass(frozen=True)
class Mission:
    first: datetime
    last: datetime
    sensors: tuple[str, ...]
    """SENSOR_CODE of its modes: P/X (SPOT 1-3), M/I (SPOT 4), A/B/J (SPOT 5)."""


MISSIONS = {
    1: Mission(datetime(1986, 2, 22, tzinfo=UTC), datetime(1990, 12, 31, tzinfo=UTC), ("P", "X")),
    2: Mission(datetime(1990, 1, 22, tzinfo=UTC), datetime(2009, 7, 1, tzinfo=UTC), ("P", "X")),
    3: Mission(datetime(1993, 9, 26, tzinfo=UTC), datetime(1996, 11, 14, tzinfo=UTC), ("P", "X")),
    4: Mission(datetime(1998, 3, 24, tzinfo=UTC), datetime(2013, 7, 1, tzinfo=UTC), ("M", "I")),
    5: Mission(datetime(2002, 5, 4, tzinfo=UTC), datetime(2015, 3, 31, tzinfo=UTC), ("A", "J")),
}
# A SPOT scene is 60 km across: 6000 pixels at 10 m, 3000 at 20 m, 12000 at 5 m.
SCENE_METRES = 60_000
# Share of scenes over metropolitan France (lon, lat box); the others anywhere between ±60°.
FRANCE = ((-4.5, 8.0), (42.5, 50.8))
FRANCE_SHARE = 0.7


def _centre(rng: random.Random) -> tuple[float, float]:
    if rng.random() < FRANCE_SHARE:
        (west, east), (south, north) = FRANCE
        return rng.uniform(west, east), rng.uniform(south, north)
    return rng.uniform(-179.0, 179.0), rng.uniform(-60.0, 60.0)


def write_scene(folder: Path, rng: random.Random, acquired: datetime, mission_index: int) -> Path:
    """One metadata-only level-1A scene; return its METADATA.DIM."""
    sensor = rng.choice(MISSIONS[mission_index].sensors)
    gsd = SENSOR_GSD[sensor]
    size = int(SCENE_METRES / gsd)
    centre = _centre(rng)
    incidence = round(rng.uniform(-27.0, 27.0), 3)
    _, _, corners = sensor_corners(centre, size, size, gsd)
    scene = swh_scene_dir(folder, mission_index, acquired, sensor, "1A")
    (scene / "IMAGERY.TIF").touch()
    metadata = scene / "METADATA.DIM"
    metadata.write_text(
        dimap1_document(
            mission_index=mission_index,
            sensor=sensor,
            level="1A",
            width=size,
            height=size,
            acquired=acquired,
            incidence=incidence,
            corners=corners,
            crs="EPSG:4326",
            cloud_cover=round(rng.uniform(0, 100), 1),
            viewing_angle=round(incidence * 0.88, 3),
        )
    )
    return metadata


def _plan(count: int, rng: random.Random) -> list[tuple[int, datetime]]:
    """(mission, acquisition) of each scene, distinct so that items are too."""
    taken: set[tuple[int, datetime]] = set()
    for _ in range(count):
        mission_index = rng.choice(list(MISSIONS))
        mission = MISSIONS[mission_index]
        span = int((mission.last - mission.first).total_seconds())
        acquired = mission.first + timedelta(seconds=rng.randrange(span))
        while (mission_index, acquired) in taken:
            acquired += timedelta(seconds=1)
        taken.add((mission_index, acquired))
    return sorted(taken)


def generate_archive(folder: Path, count: int, seed: int = 0) -> list[Path]:
    """``count`` scenes under ``folder``/SPOT<n>/<year>/; return their metadata files."""
    written = []
    for index, (mission_index, acquired) in enumerate(_plan(count, random.Random(seed))):
        parent = folder / f"SPOT{mission_index}" / f"{acquired:%Y}"
        rng = random.Random(seed * 1_000_003 + index)
        written.append(write_scene(parent, rng, acquired, mission_index))
    return written
