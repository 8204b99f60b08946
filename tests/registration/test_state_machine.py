"""Every allowed and every forbidden transition of the verification session."""

import itertools

import pytest

from registration.errors import IllegalTransition
from registration.state_machine import (
    ALLOWED_TRANSITIONS,
    FINAL_STATES,
    OPEN_STATES,
    SessionState,
    check_transition,
)

S = SessionState
EXPECTED_ALLOWED = {
    # the clerk's steps, then one handover: the customer consents and does the live check
    (S.CREATED, S.DOCUMENT_CAPTURED),
    (S.DOCUMENT_CAPTURED, S.DOCUMENT_CAPTURED),
    (S.DOCUMENT_CAPTURED, S.CONSENTED),
    (S.CONSENTED, S.LIVENESS_RUNNING),
    # the first photo of a session consented before it (the old order): the customer consents again
    (S.CONSENTED, S.DOCUMENT_CAPTURED),
    (S.LIVENESS_RUNNING, S.LIVENESS_PASSED),
    (S.LIVENESS_RUNNING, S.LIVENESS_FAILED),
    # the first attempt interrupted (the page left, the connection broke): it does not count
    (S.LIVENESS_RUNNING, S.CONSENTED),
    (S.LIVENESS_PASSED, S.MATCHING),
    (S.LIVENESS_FAILED, S.LIVENESS_RUNNING),
    (S.LIVENESS_FAILED, S.REJECTED),
    (S.MATCHING, S.APPROVED),
    (S.MATCHING, S.REJECTED),
    (S.MATCHING, S.MANUAL_REVIEW),
    (S.MANUAL_REVIEW, S.APPROVED),
    (S.MANUAL_REVIEW, S.REJECTED),
    # the non-biometric alternative
    (S.DOCUMENT_CAPTURED, S.MANUAL_REVIEW),
    (S.CONSENTED, S.MANUAL_REVIEW),
    (S.LIVENESS_FAILED, S.MANUAL_REVIEW),
} | {(state, end) for state in OPEN_STATES for end in (S.EXPIRED, S.CANCELLED)}

ALL_PAIRS = list(itertools.product(S, S))


def test_the_table_is_exactly_the_documented_one() -> None:
    table = {(a, b) for a, targets in ALLOWED_TRANSITIONS.items() for b in targets}
    assert table == EXPECTED_ALLOWED


@pytest.mark.parametrize(("current", "target"), sorted(EXPECTED_ALLOWED))
def test_allowed_transition_passes(current: str, target: str) -> None:
    check_transition(current, target)


@pytest.mark.parametrize(("current", "target"), sorted(set(ALL_PAIRS) - EXPECTED_ALLOWED))
def test_forbidden_transition_raises_with_a_reason(current: str, target: str) -> None:
    with pytest.raises(IllegalTransition) as error:
        check_transition(current, target)
    assert error.value.status_code == 409
    assert error.value.details == {"from": current, "to": target}


def test_final_states_have_no_way_out() -> None:
    for state in FINAL_STATES:
        assert ALLOWED_TRANSITIONS[state] == frozenset()
