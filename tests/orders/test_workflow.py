"""Which action moves an order from which status to which, and who may take it."""

import pytest
from stapi_pydantic import OrderStatusCode as S

from orders.workflow import Action, ForbiddenError, TransitionError, next_status


def step(action: Action, current: S, **flags) -> S:
    defaults = {"archive": False, "due": False, "agreed": False, "by_operator": True}
    return next_status(action, current, **{**defaults, **flags})


def test_a_tasking_order_within_the_quota() -> None:
    assert step(Action.ACCEPT, S.received) is S.accepted
    assert step(Action.FORWARD, S.accepted) is S.tasked
    assert step(Action.ATTEMPT, S.tasked, validated=False) is S.scheduled
    assert step(Action.ATTEMPT, S.scheduled, validated=True) is S.processing
    assert step(Action.DELIVER, S.processing) is S.completed


def test_an_archive_order_goes_straight_to_production() -> None:
    assert step(Action.FORWARD, S.accepted, archive=True) is S.processing


def test_a_quote_must_be_agreed_before_the_provider_gets_the_order() -> None:
    with pytest.raises(TransitionError, match="awaits the requester's agreement"):
        step(Action.FORWARD, S.accepted, due=True)
    assert step(Action.QUOTE, S.accepted, due=True) is S.reserved
    assert step(Action.AGREE, S.reserved, due=True, by_operator=False) is S.accepted
    assert step(Action.FORWARD, S.accepted, due=True, agreed=True) is S.tasked
    with pytest.raises(TransitionError, match="nothing to quote"):
        step(Action.QUOTE, S.accepted)


def test_users_agree_and_cancel_operators_do_the_rest() -> None:
    with pytest.raises(ForbiddenError, match="only DINAMIS operators"):
        step(Action.ACCEPT, S.received, by_operator=False)
    assert step(Action.CANCEL, S.received, by_operator=False) is S.user_cancelled
    assert step(Action.CANCEL, S.tasked) is S.cancelled
    with pytest.raises(TransitionError, match="provider already has"):
        step(Action.CANCEL, S.tasked, by_operator=False)


def test_reasons_and_order_of_steps_are_enforced() -> None:
    with pytest.raises(TransitionError, match="needs a reason"):
        step(Action.REJECT, S.received, reason=" ")
    assert step(Action.REJECT, S.received, reason="outside France") is S.rejected
    with pytest.raises(TransitionError, match="cannot deliver an order that is received"):
        step(Action.DELIVER, S.received)
    for final in (S.completed, S.rejected, S.cancelled):
        with pytest.raises(TransitionError):
            step(Action.CANCEL, final)
