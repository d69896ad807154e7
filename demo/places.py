"""The demo catalogue: places the programme's users work on, and the products over them.

Every collection (Pléiades 1A and 1B, Pléiades Neo 3 and 4, SPOT 6 and 7, Spot World
Heritage SPOT 1 to 5), ortho and sensor geometry, multispectral and panchromatic, several
seasons and cloud covers.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from demo.landscape import ARID, TROPICAL, Cover, Terrain

REUNION = "Saint-Denis de La Réunion"


@dataclass(frozen=True)
class Place:
    name: str
    center: tuple[float, float]
    """(lon, lat) of the products' centre."""
    terrain: Terrain


PLACES = {
    place.name: place
    for place in (
        # Between the city and the sea: lagoons, vineyards and the Palavas shore to the south-east.
        Place(
            "Montpellier",
            (3.905, 43.555),
            Terrain(
                seed=34,
                sea_azimuth=150,
                coast_distance=500,
                town_radius=600,
                town_offset=(-700, 800),
                wetland=0.12,
            ),
        ),
        # The Garonne running north-west through the town and its farmland.
        Place(
            "Toulouse",
            (1.435, 43.600),
            Terrain(seed=31, river_azimuth=320, town_radius=900, field_azimuth=-15),
        ),
        # Saintes-Maries-de-la-Mer: rice fields, ponds and the open sea to the south.
        Place(
            "Camargue",
            (4.430, 43.455),
            Terrain(
                seed=13,
                sea_azimuth=185,
                coast_distance=400,
                town_radius=350,
                town_offset=(900, 600),
                wetland=0.3,
                forest=0.05,
                fields={Cover.green_crop: 5, Cover.grass: 3, Cover.bare_soil: 1},
            ),
        ),
        # Cayenne: rainforest and the Atlantic to the north-east.
        Place(
            "Cayenne",
            (-52.330, 4.925),
            Terrain(
                seed=973,
                sea_azimuth=35,
                coast_distance=500,
                town_radius=500,
                town_offset=(-600, -300),
                forest=0.55,
                fields=TROPICAL,
                field_azimuth=40,
            ),
        ),
        # Saint-Denis de La Réunion: sugar cane and forest down to the sea, north.
        Place(
            REUNION,
            (55.450, -20.885),
            Terrain(
                seed=974,
                sea_azimuth=5,
                coast_distance=450,
                town_radius=600,
                town_offset=(-700, -200),
                forest=0.45,
                fields={Cover.green_crop: 6, Cover.grass: 2, Cover.forest: 2},
                field_azimuth=70,
            ),
        ),
        # Dakar: the Cap-Vert peninsula, dry land and the ocean to the west.
        Place(
            "Dakar",
            (-17.440, 14.700),
            Terrain(
                seed=221,
                sea_azimuth=250,
                coast_distance=600,
                town_radius=1200,
                town_offset=(900, 400),
                forest=0.05,
                fields=ARID,
                field_azimuth=-30,
            ),
        ),
    )
}


@dataclass(frozen=True)
class DemoProduct:
    mission: str
    """PHR, PNEO, SPOT (6/7) or SWH (SPOT 1-5, DIMAP v1)."""
    index: str
    """Satellite of the mission: 1A, 1B, 3, 4, 6, 7, or 1-5 for SWH."""
    level: str
    """SEN or ORT (Airbus), 1A or ORT (SWH)."""
    spectral: str
    """MS or P (Airbus), a SPOT sensor code for SWH (X, I, J multispectral; P, M pan)."""
    place: str
    acquired: datetime
    cloud_cover: float
    """Percent; SWH scenes do not state it, their pixels still show it."""
    gsd: float
    incidence: float


def _at(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, 12, tzinfo=UTC)


PRODUCTS = (
    DemoProduct("PHR", "1A", "ORT", "MS", "Montpellier", _at(2019, 6, 12, 10, 35), 1.2, 2.0, 9.4),
    DemoProduct("PHR", "1B", "SEN", "MS", "Toulouse", _at(2021, 9, 3, 10, 48), 14.5, 2.0, 17.1),
    DemoProduct("PHR", "1A", "ORT", "P", "Camargue", _at(2018, 4, 20, 10, 31), 0.0, 0.5, 6.2),
    DemoProduct("PHR", "1B", "ORT", "MS", REUNION, _at(2022, 5, 9, 6, 41), 11.0, 2.0, 21.3),
    DemoProduct("PNEO", "3", "ORT", "MS", "Montpellier", _at(2023, 7, 8, 10, 52), 0.4, 1.2, 11.0),
    DemoProduct("PNEO", "4", "SEN", "MS", "Dakar", _at(2022, 11, 15, 11, 33), 4.8, 1.2, 14.6),
    DemoProduct("PNEO", "3", "ORT", "MS", "Cayenne", _at(2023, 10, 2, 13, 58), 17.5, 1.2, 8.9),
    DemoProduct("SPOT", "6", "ORT", "MS", "Cayenne", _at(2016, 9, 12, 13, 44), 22.0, 6.0, 12.2),
    DemoProduct("SPOT", "6", "ORT", "MS", "Dakar", _at(2015, 1, 20, 11, 21), 0.0, 6.0, 4.7),
    DemoProduct("SPOT", "7", "ORT", "MS", "Camargue", _at(2020, 7, 17, 10, 39), 3.1, 6.0, 15.8),
    DemoProduct("SPOT", "7", "SEN", "MS", "Toulouse", _at(2017, 3, 28, 10, 57), 26.0, 6.0, 24.5),
    DemoProduct("SWH", "1", "1A", "X", "Camargue", _at(1986, 8, 11, 10, 22), 3.0, 20.0, 7.9),
    DemoProduct("SWH", "2", "ORT", "X", "Montpellier", _at(1993, 7, 22, 10, 29), 0.0, 20.0, 18.2),
    DemoProduct("SWH", "3", "1A", "P", "Toulouse", _at(1995, 6, 2, 10, 41), 5.0, 10.0, 3.4),
    DemoProduct("SWH", "4", "ORT", "I", "Cayenne", _at(1999, 10, 5, 13, 37), 8.0, 20.0, 22.8),
    DemoProduct("SWH", "5", "1A", "J", REUNION, _at(2005, 5, 10, 6, 28), 4.0, 10.0, 11.4),
)
