"""The programme's request rules (who may request, free quotas, prices, tranches, product
limits) as a typed model read from ``rules.toml``, and the quote they give a request."""

import hashlib
import json
import math
import tomllib
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from access.models import EntityCategory

RULES_FILE = Path(__file__).with_name("rules.toml")
CENT = Decimal("0.01")


class Kind(StrEnum):
    ARCHIVE = "archive"
    TASKING = "tasking"


class Family(StrEnum):
    PLEIADES = "pleiades"
    SPOT = "spot"


class View(StrEnum):
    MONO = "mono"
    STEREO = "stereo"
    TRISTEREO = "tristereo"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Eligibility(_Strict):
    categories: list[EntityCategory]
    scientific: list[EntityCategory]


class Quota(_Strict):
    kind: Kind
    categories: list[EntityCategory]
    km2: float = Field(ge=0)
    valid_from: date
    valid_until: date | None = None

    def applies(self, kind: Kind, category: EntityCategory, day: date) -> bool:
        return (
            self.kind is kind
            and category in self.categories
            and self.valid_from <= day
            and (self.valid_until is None or day <= self.valid_until)
        )


class PleiadesRules(_Strict):
    currency: Literal["EUR"] = "EUR"
    price_per_km2: dict[Kind, Decimal]
    cnes_cofinancing: Decimal = Field(ge=0, le=1)
    quotas: list[Quota]

    def quota_km2(self, kind: Kind, category: EntityCategory, day: date) -> float:
        """The free km² of the first quota that applies; none applying means no free km²."""
        return next((q.km2 for q in self.quotas if q.applies(kind, category, day)), 0.0)


class Tranche(_Strict):
    attempts: int = Field(gt=0)
    price_eur: Decimal = Field(ge=0)


class SpotRules(_Strict):
    free_attempts: int = Field(ge=0)
    scene_km2: float = Field(gt=0)
    tranches: list[Tranche]

    def tranche(self, attempts: int) -> Tranche:
        for tranche in self.tranches:
            if tranche.attempts == attempts:
                return tranche
        sizes = ", ".join(str(t.attempts) for t in self.tranches)
        raise ValueError(f"no tranche of {attempts} attempts (tranches: {sizes})")


class ProductRules(_Strict):
    id: str
    title: str
    description: str
    family: Family
    kind: Kind
    collection: str
    """The catalogue collection its delivered items go to, whose licence requesters need."""
    platforms: list[str]
    satellites: list[str] = []
    """Names of the TLEs its opportunities are computed from."""
    min_km2: float = Field(gt=0)
    max_km2: float = Field(gt=0)
    max_scenes: int = Field(default=1, gt=0)
    max_incidence_angle: float = Field(default=30, gt=0, le=60)
    max_window_days: int = Field(default=365, gt=0)
    min_lead_hours: int = Field(default=0, ge=0)
    max_attempts: int = Field(default=1, gt=0)


class Rules(_Strict):
    version: str = Field(min_length=1)
    eligibility: Eligibility
    views: dict[View, int]
    pleiades: PleiadesRules
    spot: SpotRules
    products: list[ProductRules]

    @model_validator(mode="after")
    def _unique_products(self) -> "Rules":
        ids = [p.id for p in self.products]
        if len(ids) != len(set(ids)):
            raise ValueError("product ids must be unique")
        return self

    def product(self, product_id: str) -> ProductRules | None:
        return next((p for p in self.products if p.id == product_id), None)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


def load_rules(path: Path = RULES_FILE) -> Rules:
    with path.open("rb") as file:
        return Rules.model_validate(tomllib.load(file))


def rules_from_json(content: dict | str) -> Rules:
    return Rules.model_validate(json.loads(content) if isinstance(content, str) else content)


# -- quotes ---------------------------------------------------------------------------------


class QuoteLine(_Strict):
    label: str
    quantity: float
    unit: str
    unit_price: Decimal
    amount: Decimal


class Quote(_Strict):
    """What a request costs under one version of the rules, line by line."""

    rules_version: str
    currency: str = "EUR"
    lines: list[QuoteLine]
    due: Decimal
    """What the requesting entity pays (0 within the quota)."""
    tranche_attempts: int = 0
    """SPOT scene-equivalent attempts taken from the entity's tranches."""


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _km2(value: float) -> Decimal:
    return Decimal(str(round(value, 2)))


def quote(
    rules: Rules,
    product: ProductRules,
    category: EntityCategory,
    area_km2: float,
    *,
    view: View = View.MONO,
    repeats: int = 1,
    day: date,
) -> Quote:
    """The quote of a request over ``area_km2``: ``repeats`` is the number of archive scenes,
    or of SPOT acquisition attempts; ``view`` multiplies both families' consumption."""
    images = rules.views[view] * repeats
    if product.family is Family.SPOT:
        attempts = math.ceil(round(area_km2 / rules.spot.scene_km2, 6)) * images
        free = min(attempts, rules.spot.free_attempts)
        lines = [
            QuoteLine(
                label=f"Free scene-equivalent attempts ({rules.spot.free_attempts} per request)",
                quantity=free,
                unit="attempt",
                unit_price=Decimal(0),
                amount=Decimal(0),
            )
        ]
        if attempts > free:
            lines.append(
                QuoteLine(
                    label="Attempts taken from the entity's prepaid tranches",
                    quantity=attempts - free,
                    unit="attempt",
                    unit_price=Decimal(0),
                    amount=Decimal(0),
                )
            )
        return Quote(
            rules_version=rules.version,
            lines=lines,
            due=Decimal("0.00"),
            tranche_attempts=attempts - free,
        )

    pleiades = rules.pleiades
    wanted = _km2(area_km2 * images)
    quota = _km2(pleiades.quota_km2(product.kind, category, day))
    free = min(wanted, quota)
    lines = [
        QuoteLine(
            label=f"Free quota ({float(quota):,.0f} km² per {product.kind.value} request)",
            quantity=float(free),
            unit="km²",
            unit_price=Decimal(0),
            amount=Decimal("0.00"),
        )
    ]
    beyond = wanted - free
    if beyond > 0:
        price = pleiades.price_per_km2[product.kind]
        cost = _money(beyond * price)
        lines.append(
            QuoteLine(
                label="Beyond the quota, at the public-service delegation's cost price",
                quantity=float(beyond),
                unit="km²",
                unit_price=price,
                amount=cost,
            )
        )
        if category in rules.eligibility.scientific and pleiades.cnes_cofinancing > 0:
            share = pleiades.cnes_cofinancing
            lines.append(
                QuoteLine(
                    label=f"CNES co-financing ({float(share) * 100:g} % of the cost price)",
                    quantity=float(beyond),
                    unit="km²",
                    unit_price=-_money(price * share),
                    amount=-_money(cost * share),
                )
            )
    due = sum((line.amount for line in lines), Decimal("0.00"))
    return Quote(rules_version=rules.version, lines=lines, due=due)
