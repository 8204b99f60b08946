"""`{% filing_panel %}`: the filing threshold and the compliance pack's links on the admin's front page."""

from __future__ import annotations

from typing import Any

from django import template

from registration.compliance import filing_status
from registration.roles import ADMIN, has_role

register = template.Library()


@register.inclusion_tag("admin/compliance/filing_panel.html", takes_context=True)
def filing_panel(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    is_admin = request is not None and has_role(request.user, ADMIN)
    return {
        "filing": filing_status() if is_admin else None,
        "is_admin": is_admin,
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def rate(value: float | None) -> str:
    """A measured rate as the assessment prints it: `3.06 %`, or `3.2e-04` below a tenth of a per cent."""
    if value is None:
        return "-"
    return f"{value * 100:.2f} %" if value >= 0.001 or value == 0 else f"{value:.1e}"
