"""Areas of interest: shape checks with messages naming the problem, geodesic km²."""

import pytest
from shapely.geometry import box, mapping

from dinamis.area import bbox_area_km2, geometry_area_km2
from orders.aoi import AoiError, check_aoi

LIMITS = {"min_km2": 25, "max_km2": 10000, "max_vertices": 100}


def test_a_valid_polygon_is_measured_on_the_ellipsoid() -> None:
    # A one-degree square at the equator: 12,308.8 km² on WGS84 with geodesic edges (the
    # box of parallels and meridians is 12,308.5 km²).
    _, area = check_aoi(mapping(box(0, 0, 1, 1)), min_km2=1, max_km2=20000, max_vertices=10)
    assert area == pytest.approx(12308.78, abs=0.01)
    assert area == pytest.approx(bbox_area_km2((0, 0, 1, 1)), rel=1e-4)
    # Winding does not matter, and multipolygons add up.
    reverse = {
        "type": "Polygon",
        "coordinates": [list(reversed(mapping(box(0, 0, 1, 1))["coordinates"][0]))],
    }
    assert check_aoi(reverse, min_km2=1, max_km2=20000, max_vertices=10)[1] == pytest.approx(area)
    two = {
        "type": "MultiPolygon",
        "coordinates": [
            mapping(box(0, 0, 1, 1))["coordinates"],
            mapping(box(2, 0, 3, 1))["coordinates"],
        ],
    }
    assert geometry_area_km2(
        check_aoi(two, min_km2=1, max_km2=30000, max_vertices=20)[0]
    ) == pytest.approx(2 * area)


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        (
            {
                "type": "Polygon",
                "coordinates": [[[1, 43], [1.5, 43.5], [1.5, 43], [1, 43.5], [1, 43]]],
            },
            "Self-intersection",
        ),
        ({"type": "Polygon", "coordinates": []}, "empty"),
        ({"type": "Point", "coordinates": [1, 43]}, "Polygon or MultiPolygon"),
        (mapping(box(1, 43, 1.01, 43.01)), "minimum is 25 km²"),
        (
            {
                "type": "Polygon",
                "coordinates": [[[float("nan"), 43], [1.5, 43], [1, 44], [float("nan"), 43]]],
            },
            "not a readable polygon",
        ),
        (
            {"type": "Polygon", "coordinates": [[[1, 43], [1.5, float("nan")], [1, 44], [1, 43]]]},
            "not numbers",
        ),
        (mapping(box(0, 40, 2, 42)), "maximum is 10,000 km²"),
        (mapping(box(500000, 4800000, 510000, 4810000)), "longitude/latitude"),
        (
            {
                "type": "Polygon",
                "coordinates": [
                    [[1 + i / 1000, 43 + (i % 2) / 10] for i in range(200)] + [[1, 43]]
                ],
            },
            "vertices",
        ),
    ],
)
def test_bad_areas_are_refused_with_the_reason(geometry: dict, message: str) -> None:
    with pytest.raises(AoiError, match=message):
        check_aoi(geometry, **LIMITS)
