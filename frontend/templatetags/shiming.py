"""Template filters of the pages."""

from __future__ import annotations

from django import template

from frontend.labels import state_label

register = template.Library()


@register.filter(name="state_label")
def state_label_filter(state: str) -> str:
    """The session state in the page's language."""
    return state_label(state)
