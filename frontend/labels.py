"""The session states as the pages name them, in the page's language: the model's own choice
labels (registration.state_machine.SessionState), so the admin and the pages say the same."""

from __future__ import annotations

from registration.state_machine import SessionState

S = SessionState


def state_label(state: str) -> str:
    return str(S(state).label) if state in S.values else state


def state_labels() -> dict[str, str]:
    """Every state's label in the active language (for the pages' scripts)."""
    return {str(state.value): state_label(state) for state in S}
