"""The programme's rules as configured, and the quotes they give, figures worked by hand."""

from datetime import date
from decimal import Decimal

import pytest

from access.models import EntityCategory
from orders.rules import Kind, Quota, View, load_rules, quote

RULES = load_rules()
DAY = date(2026, 11, 28)
RESEARCH = EntityCategory.FRENCH_RESEARCH
PUBLIC = EntityCategory.FRENCH_PUBLIC_BODY


def lines(q) -> list[tuple[float, Decimal]]:
    return [(line.quantity, line.amount) for line in q.lines]


def test_the_checked_in_rules_say_what_the_programme_says() -> None:
    # Pléiades: 1,500 to 2,500 km² free per request; SPOT 6/7: 10 scene-equivalent attempts,
    # a scene being 60 km x 60 km, then tranches of 20 attempts (20 k€) or 50 (50 k€).
    assert all(1500 <= q.km2 <= 2500 for q in RULES.pleiades.quotas)
    assert RULES.spot.free_attempts == 10
    assert RULES.spot.scene_km2 == 60 * 60
    assert [(t.attempts, t.price_eur) for t in RULES.spot.tranches] == [(20, 20000), (50, 50000)]
    assert (RULES.views[View.STEREO], RULES.views[View.TRISTEREO]) == (2, 3)
    assert {p.id for p in RULES.products} == {
        "pleiades-archive",
        "pleiades-tasking",
        "pleiades-neo-tasking",
        "spot-archive",
        "spot-tasking",
    }
    assert RULES.eligibility.scientific == [RESEARCH]


def test_a_3100_km2_pleiades_tasking_request_of_a_scientific_lab() -> None:
    # Quota 2,000 km²; 1,100 km² beyond at 3.80 €/km² = 4,180 €; CNES pays 50 %: 2,090 €;
    # the lab pays the remaining 2,090 €.
    q = quote(RULES, RULES.product("pleiades-tasking"), RESEARCH, 3100, day=DAY)
    assert lines(q) == [
        (2000, Decimal("0.00")),
        (1100, Decimal("4180.00")),
        (1100, Decimal("-2090.00")),
    ]
    assert q.lines[1].unit_price == Decimal("3.80")
    assert q.due == Decimal("2090.00")
    assert q.rules_version == RULES.version


def test_a_public_body_pays_the_cost_price_beyond_its_quota() -> None:
    # Quota 1,500 km² for non-scientific public bodies: 1,600 km² x 3.80 = 6,080 €, no
    # co-financing.
    q = quote(RULES, RULES.product("pleiades-tasking"), PUBLIC, 3100, day=DAY)
    assert lines(q) == [(1500, Decimal("0.00")), (1600, Decimal("6080.00"))]
    assert q.due == Decimal("6080.00")


def test_archive_within_its_quota_is_free() -> None:
    q = quote(RULES, RULES.product("pleiades-archive"), RESEARCH, 2400, day=DAY)
    assert lines(q) == [(2400, Decimal("0.00"))] and q.due == 0


def test_archive_scenes_and_stereo_multiply_the_km2() -> None:
    # Two archive scenes of 1,500 km²: 3,000 km², quota 2,500, 500 km² x 1.90 = 950 €, half
    # co-financed: 475 € due.
    q = quote(RULES, RULES.product("pleiades-archive"), RESEARCH, 1500, repeats=2, day=DAY)
    assert lines(q) == [(2500, 0), (500, Decimal("950.00")), (500, Decimal("-475.00"))]
    # Tri-stereo tasking of 1,000 km²: 3,000 km²; 1,000 beyond the 2,000 quota at 3.80 =
    # 3,800 €, 1,900 € due.
    q = quote(
        RULES, RULES.product("pleiades-tasking"), RESEARCH, 1000, view=View.TRISTEREO, day=DAY
    )
    assert lines(q) == [(2000, 0), (1000, Decimal("3800.00")), (1000, Decimal("-1900.00"))]
    assert q.due == Decimal("1900.00")


def test_spot_attempts_beyond_the_free_ten_come_from_the_tranches() -> None:
    # 5,000 km² is 2 scenes of 3,600 km² (rounded up); stereo doubles: 4 per try; 3 tries:
    # 12 attempts, 10 free, 2 from the entity's tranches, nothing to pay.
    q = quote(
        RULES, RULES.product("spot-tasking"), RESEARCH, 5000, view=View.STEREO, repeats=3, day=DAY
    )
    assert lines(q) == [(10, 0), (2, 0)]
    assert (q.tranche_attempts, q.due) == (2, 0)
    # Exactly one scene's area is one attempt, not two.
    q = quote(RULES, RULES.product("spot-tasking"), RESEARCH, 3600, day=DAY)
    assert (lines(q), q.tranche_attempts) == ([(1, 0)], 0)


def test_a_quota_applies_only_within_its_validity_period() -> None:
    expired = Quota(
        kind=Kind.TASKING,
        categories=[RESEARCH],
        km2=2500,
        valid_from=date(2025, 1, 1),
        valid_until=date(2025, 12, 31),
    )
    revised = RULES.pleiades.model_copy(update={"quotas": [expired, *RULES.pleiades.quotas]})
    rules = RULES.model_copy(update={"pleiades": revised})
    assert rules.pleiades.quota_km2(Kind.TASKING, RESEARCH, date(2025, 6, 1)) == 2500
    assert rules.pleiades.quota_km2(Kind.TASKING, RESEARCH, DAY) == 2000
    # No quota for a category: everything is priced.
    assert rules.pleiades.quota_km2(Kind.TASKING, EntityCategory.PRIVATE_RND, DAY) == 0


def test_tranche_sizes_come_from_the_rules() -> None:
    assert RULES.spot.tranche(50).price_eur == 50000
    with pytest.raises(ValueError, match="tranches: 20, 50"):
        RULES.spot.tranche(30)
