"""What a statistics query is asked (a period, its step, whose figures) and what it answers
(a table), with the programme's grouping of entity categories into kinds of actors."""

import calendar
import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from access.models import EntityCategory
from stats.settings import StatsSettings


class Step(StrEnum):
    PERIOD = "period"
    """One row per group for the whole period."""
    MONTH = "month"
    YEAR = "year"


class Format(StrEnum):
    """How the API and the command write a figure."""

    JSON = "json"
    CSV = "csv"


class Actors(StrEnum):
    """How the programme's yearly report splits requests: research, public actors, others."""

    RESEARCH = "research"
    PUBLIC = "public"
    PRIVATE = "private"


ACTORS: dict[EntityCategory, Actors] = {
    EntityCategory.FRENCH_RESEARCH: Actors.RESEARCH,
    EntityCategory.FOREIGN_RESEARCH: Actors.RESEARCH,
    EntityCategory.FRENCH_PUBLIC_BODY: Actors.PUBLIC,
    EntityCategory.PRIVATE_RND: Actors.PRIVATE,
    EntityCategory.PRIVATE_CONTRACTOR: Actors.PRIVATE,
}

ALL = "all"
"""The value of a column a row sums over (the total of the other columns' groups)."""


class PeriodError(ValueError):
    """A period that cannot be asked; the message says why."""


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    """Included: a period of 2020 is 2020-01-01 to 2020-12-31."""
    step: Step = Step.PERIOD

    @classmethod
    def checked(
        cls,
        first: date | None,
        last: date | None,
        step: Step = Step.PERIOD,
        settings: StatsSettings | None = None,
        today: date | None = None,
    ) -> "Period":
        """The period asked, by default the current year; refused when reversed, too long or
        before the programme's earliest day."""
        settings = settings or StatsSettings()
        year = (today or datetime.now(UTC).date()).year
        first = first or (date(last.year, 1, 1) if last else date(year, 1, 1))
        last = last or date(first.year, 12, 31)
        if last < first:
            raise PeriodError(f"the period ends ({last}) before it starts ({first}).")
        if first < settings.earliest:
            raise PeriodError(f"periods start on {settings.earliest} or later, not {first}.")
        if _add_years(first, settings.max_years) <= last:
            raise PeriodError(
                f"a period lasts {settings.max_years} years at most: {first} to {last} is longer."
            )
        return cls(first, last, step)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, datetime.min.time(), UTC)

    @property
    def end(self) -> datetime:
        """Excluded: midnight (UTC) after the last day."""
        return datetime.combine(self.last + timedelta(days=1), datetime.min.time(), UTC)

    def buckets(self) -> list[tuple[datetime, datetime]]:
        """The [start, end) of each row's time span: the whole period, or its months or years
        (the first and last clipped to the period)."""
        if self.step is Step.PERIOD:
            return [(self.start, self.end)]
        spans = []
        lower = self.start
        while lower < self.end:
            if self.step is Step.MONTH:
                days = calendar.monthrange(lower.year, lower.month)[1]
                upper = lower.replace(day=1) + timedelta(days=days)
            else:
                upper = lower.replace(year=lower.year + 1, month=1, day=1)
            spans.append((lower, min(upper, self.end)))
            lower = upper
        return spans

    def as_json(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "by": self.step}


def _add_years(day: date, years: int) -> date:
    return day.replace(year=day.year + years, day=min(day.day, 28))


@dataclass(frozen=True)
class Table:
    """One figure's rows: the first column is the start of each row's time span."""

    name: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def as_json(self, period: Period, entity: int | None) -> dict[str, Any]:
        return {
            "figure": self.name,
            **period.as_json(),
            "entity": entity,
            "columns": list(self.columns),
            "rows": self.records(),
        }

    def as_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows(self.rows)
        return out.getvalue()
