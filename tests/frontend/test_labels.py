"""The pages name a session's state with the model's own label, in the page's language (so the
admin and the pages say the same), for every state; an unknown value is shown as it is (the template filter:
tests/frontend/templatetags/test_shiming.py)."""

from __future__ import annotations

from django.utils import translation

from frontend.labels import state_label, state_labels
from registration.state_machine import SessionState


def test_every_state_has_its_models_label_in_the_active_language() -> None:
    with translation.override("en"):
        english = state_labels()
        consented = str(SessionState.CONSENTED.label)
    with translation.override("zh-hans"):
        chinese = state_labels()

    assert set(english) == set(chinese) == set(SessionState.values)
    assert english[SessionState.CONSENTED] == consented == "Consented"
    assert all(chinese[state] != english[state] for state in SessionState.values)


def test_an_unknown_state_is_shown_as_it_is() -> None:
    assert state_label("not_a_state") == "not_a_state"
