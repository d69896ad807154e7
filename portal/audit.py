"""The operators' audit trail: their decisions on membership applications, recorded here, and
their actions on imagery requests and the SPOT tranches they record, which the requests' status
history and the purchases already record (who, when, what, why) and which are read from them
rather than copied."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import psycopg
from psycopg.rows import dict_row
from stapi_pydantic import OrderStatusCode as Status

from access.models import Principal
from orders.workflow import STEPS, Action


class ApplicationAction(StrEnum):
    APPROVE = "approve"
    REFUSE = "refuse"
    PROVIDER_APPROVAL = "provider-approval"


# A SPOT tranche purchase, read from the purchases themselves (who recorded it, when).
TRANCHE = "tranche"


# A request's status changes that only operators make: the workflow's operator-only steps
# (their reason code is the action), and a cancellation by an operator, which the workflow
# records as 'cancelled' (the requester's own is 'user_cancelled').
OPERATOR_ACTIONS = tuple(action.value for action, step in STEPS.items() if step.operator_only)
OPERATOR_CANCELLED = Status.cancelled.value
AUDITED_ACTIONS = (
    *OPERATOR_ACTIONS,
    Action.CANCEL.value,
    *(action.value for action in ApplicationAction),
    TRANCHE,
)


def record(
    conn: psycopg.Connection,
    operator: Principal,
    action: ApplicationAction,
    application_id: int,
    entity_id: int | None,
    reason: str | None = None,
) -> None:
    conn.execute(
        "INSERT INTO dinamis_portal.audit"
        " (actor_user_id, actor, action, application_id, entity_id, reason)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (operator.user_id, operator.email, action.value, application_id, entity_id, reason),
    )


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    """Part of the operator's e-mail address, any case."""
    action: str | None = None
    request_id: int | None = None
    application_id: int | None = None
    entity: str | None = None
    """Part of the entity's name, any case."""
    since: datetime | None = None
    before: datetime | None = None


@dataclass(frozen=True)
class Entry:
    at: datetime
    actor: str
    action: str
    request_id: int | None
    application_id: int | None
    entity_id: int | None
    entity_name: str
    reason: str | None
    status: str | None
    """The request's status the action led to (requests only)."""


_ENTRIES = """
SELECT * FROM (
    SELECT s.at, s.actor,
           CASE WHEN s.status_code = %(cancelled)s THEN 'cancel' ELSE s.reason_code END AS action,
           o.id AS request_id, NULL::bigint AS application_id, o.entity_id,
           e.name AS entity_name, s.reason_text AS reason, s.status_code AS status
    FROM dinamis_orders.status s
    JOIN dinamis_orders."order" o ON o.id = s.order_id
    JOIN dinamis_access.entity e ON e.id = o.entity_id
    WHERE s.reason_code = ANY(%(operator_actions)s) OR s.status_code = %(cancelled)s
    UNION ALL
    SELECT a.at, a.actor, a.action, NULL, a.application_id, a.entity_id,
           coalesce(e.name, p.entity_name), a.reason, NULL
    FROM dinamis_portal.audit a
    JOIN dinamis_portal.application p ON p.id = a.application_id
    LEFT JOIN dinamis_access.entity e ON e.id = a.entity_id
    UNION ALL
    SELECT t.bought_at, t.recorded_by, %(tranche)s, NULL, NULL, t.entity_id, e.name,
           t.attempts || ' attempts, ' || t.price_eur || ' EUR', NULL
    FROM dinamis_orders.tranche t
    JOIN dinamis_access.entity e ON e.id = t.entity_id
    WHERE t.recorded_by IS NOT NULL
) entry
WHERE (%(actor)s::text IS NULL OR strpos(lower(actor), lower(%(actor)s)) > 0)
  AND (%(action)s::text IS NULL OR action = %(action)s)
  AND (%(request)s::bigint IS NULL OR request_id = %(request)s)
  AND (%(application)s::bigint IS NULL OR application_id = %(application)s)
  AND (%(entity)s::text IS NULL OR strpos(lower(entity_name), lower(%(entity)s)) > 0)
  AND (%(since)s::timestamptz IS NULL OR at >= %(since)s)
  AND (%(before)s::timestamptz IS NULL OR at < %(before)s)
"""


def search(
    conn: psycopg.Connection, where: AuditFilter, *, offset: int = 0, limit: int = 50
) -> tuple[list[Entry], int]:
    """One page of the entries ``where`` selects, newest first, and how many it selects."""
    params = {
        "cancelled": OPERATOR_CANCELLED,
        "tranche": TRANCHE,
        "operator_actions": list(OPERATOR_ACTIONS),
        "actor": where.actor,
        "action": where.action,
        "request": where.request_id,
        "application": where.application_id,
        "entity": where.entity,
        "since": where.since,
        "before": where.before,
    }
    rows = conn.cursor(row_factory=dict_row).execute(
        f"{_ENTRIES} ORDER BY at DESC OFFSET %(offset)s LIMIT %(limit)s",
        {**params, "offset": offset, "limit": limit},
    )
    entries = [Entry(**row) for row in rows]
    (total,) = conn.execute(f"SELECT count(*) FROM ({_ENTRIES}) counted", params).fetchone() or (0,)
    return entries, int(total)
