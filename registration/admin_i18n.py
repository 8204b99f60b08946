"""The admin in the reader's language where Django and its add-ons print English or raw values.

Three things the admin shows are not translated upstream, and each is fixed once here:
- Django's yes/no/unknown icons carry the raw Python value as their text (`alt="False"`), which is
  what a screen reader reads: `_boolean_icon` in `django.contrib.admin.templatetags.admin_list` is
  private, and every caller imports it from there at call time, so this module wraps it (the one
  adapter of that private function; `tests/test_zh_hans_pages.py` fails if Django changes it).
- Permissions are rows whose `name` was written in English when the tables were made
  ("Can add outlet"): their labels are rebuilt from the action and the model's translated name.
- Roles are groups named by code (`clerk`): a group reads as its role's label (`roles.ROLE_LABELS`)
  wherever Django prints it (lists, filters, titles, the checkboxes' labels).
- django-axes names its sign-in records in English ("Access Log for ..."): they read in the
  reader's language.
"""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt, AccessLog
from django import forms
from django.contrib.admin.templatetags import admin_list
from django.contrib.auth.models import Group, Permission
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .audit_words import BOOLEAN_WORDS
from .roles import role_label

PERMISSION_ACTIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def boolean_icon(value: bool | None) -> SafeString:
    """Django's icon for a yes/no/unknown value, with its text in the reader's language."""
    icon = {True: "yes", False: "no", None: "unknown"}[value]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{icon}.svg"), BOOLEAN_WORDS[value])


def group_name(group: Group) -> str:
    return role_label(group.name)


def access_log_name(record: AccessLog) -> str:
    return gettext("Sign-in record of %(user)s") % {"user": record.username or "-"}


def access_attempt_name(record: AccessAttempt) -> str:
    return gettext("Sign-in attempts of %(user)s") % {"user": record.username or "-"}


admin_list._boolean_icon = boolean_icon  # type: ignore[attr-defined]  # noqa: SLF001 (the one adapter)
Group.__str__ = group_name  # type: ignore[assignment,method-assign]
AccessLog.__str__ = access_log_name  # type: ignore[assignment,method-assign]
AccessAttempt.__str__ = access_attempt_name  # type: ignore[assignment,method-assign]


def permission_label(permission: Permission) -> str:
    """'Outlets | Can add outlet' in the reader's language, whatever the row's English name says."""
    model = permission.content_type.model_class()
    if model is None:
        return str(permission.name)
    action = permission.codename.split("_", 1)[0]
    verbose = model._meta.verbose_name
    template = PERMISSION_ACTIONS.get(action)
    described = str(template) % {"model": verbose} if template else gettext(permission.name)
    return f"{model._meta.app_config.verbose_name} | {described}"


class PermissionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return permission_label(obj)


def translated_choice_fields(db_field: Any, field: Any) -> Any:
    """Swap the permission picker of a user or group form for one with translated labels."""
    if field is None or db_field.related_model is not Permission:
        return field
    replacement = PermissionChoiceField(queryset=field.queryset, required=field.required, widget=field.widget)
    replacement.label, replacement.help_text = field.label, field.help_text
    return replacement
