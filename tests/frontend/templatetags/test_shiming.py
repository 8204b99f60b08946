"""The pages' `state_label` filter shows a session's state by its label in the page's language,
and an unknown value as it is."""

from __future__ import annotations

from django.template import Context, Template
from django.utils import translation

TEMPLATE = Template("{% load shiming %}{{ state|state_label }}")


def test_the_filter_shows_the_states_label_in_the_pages_language() -> None:
    with translation.override("en"):
        english = TEMPLATE.render(Context({"state": "consented"}))
    with translation.override("zh-hans"):
        chinese = TEMPLATE.render(Context({"state": "consented"}))

    assert english == "Consented"
    assert chinese not in {"", "consented", "Consented"}


def test_an_unknown_state_passes_through_escaped() -> None:
    assert TEMPLATE.render(Context({"state": "<odd>"})) == "&lt;odd&gt;"
