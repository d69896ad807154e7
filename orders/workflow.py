"""The life of an order: which action moves it from which STAPI status to which, and who may
take it. Pure rules; :mod:`orders.store` applies them under a row lock."""

from dataclasses import dataclass
from enum import StrEnum

from stapi_pydantic import OrderStatusCode as Status

from dinamis.refusal import N_, ExplainedError


class Action(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    QUOTE = "quote"
    AGREE = "agree"
    FORWARD = "forward"
    ATTEMPT = "attempt"
    DELIVER = "deliver"
    FAIL = "fail"
    EXPIRE = "expire"
    CANCEL = "cancel"


class TransitionError(ExplainedError, ValueError):
    """The action does not apply to the order as it stands; the message says why."""


class ForbiddenError(ExplainedError, PermissionError):
    """The actor may see the order but not take this action on it."""


@dataclass(frozen=True)
class Step:
    sources: frozenset[Status]
    needs_reason: bool = False
    operator_only: bool = True


_BEFORE_PROVIDER = frozenset({Status.received, Status.accepted, Status.reserved})
_AT_PROVIDER = frozenset({Status.tasked, Status.scheduled})

STEPS: dict[Action, Step] = {
    Action.ACCEPT: Step(frozenset({Status.received})),
    Action.REJECT: Step(_BEFORE_PROVIDER, needs_reason=True),
    Action.QUOTE: Step(frozenset({Status.accepted})),
    Action.AGREE: Step(frozenset({Status.reserved}), operator_only=False),
    Action.FORWARD: Step(frozenset({Status.accepted})),
    Action.ATTEMPT: Step(_AT_PROVIDER),
    Action.DELIVER: Step(frozenset({Status.processing})),
    Action.FAIL: Step(_AT_PROVIDER | {Status.processing}, needs_reason=True),
    Action.EXPIRE: Step(_AT_PROVIDER),
    Action.CANCEL: Step(_BEFORE_PROVIDER | _AT_PROVIDER, operator_only=False),
}

FINAL = frozenset(
    {
        Status.rejected,
        Status.completed,
        Status.failed,
        Status.expired,
        Status.cancelled,
        Status.user_cancelled,
    }
)


def refunds_tranche(current: Status) -> bool:
    """Attempts come back to the entity only if the provider never received the order."""
    return current in _BEFORE_PROVIDER


def next_status(
    action: Action,
    current: Status,
    *,
    archive: bool,
    due: bool,
    agreed: bool,
    by_operator: bool,
    validated: bool = False,
    reason: str | None = None,
) -> Status:
    """The status ``action`` leads to from ``current``, or :class:`TransitionError`.

    ``due``: the quote leaves something to pay; ``agreed``: the requester agreed to it.
    """
    step = STEPS[action]
    if step.operator_only and not by_operator:
        raise ForbiddenError(
            N_("only DINAMIS operators may %(action)s an order."), action=action.value
        )
    if current not in step.sources:
        allowed = ", ".join(sorted(s.value for s in step.sources))
        raise TransitionError(
            N_("cannot %(action)s an order that is %(status)s (only when %(allowed)s)."),
            action=action.value,
            status=current.value,
            allowed=allowed,
        )
    if step.needs_reason and not (reason and reason.strip()):
        raise TransitionError(N_("say why: '%(action)s' needs a reason."), action=action.value)
    match action:
        case Action.ACCEPT | Action.AGREE:
            return Status.accepted
        case Action.REJECT:
            return Status.rejected
        case Action.QUOTE:
            if not due:
                raise TransitionError(N_("nothing to quote: the request is within the free quota."))
            if agreed:
                raise TransitionError(N_("the requester already agreed to the quote."))
            return Status.reserved
        case Action.FORWARD:
            if due and not agreed:
                raise TransitionError(
                    N_("the quote awaits the requester's agreement: send it first (quote).")
                )
            return Status.processing if archive else Status.tasked
        case Action.ATTEMPT:
            return Status.processing if validated else Status.scheduled
        case Action.DELIVER:
            return Status.completed
        case Action.FAIL:
            return Status.failed
        case Action.EXPIRE:
            return Status.expired
        case Action.CANCEL:
            if by_operator:
                return Status.cancelled
            if current not in _BEFORE_PROVIDER:
                raise TransitionError(
                    N_("the provider already has this order: ask DINAMIS to cancel it.")
                )
            return Status.user_cancelled
