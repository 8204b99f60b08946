"""Staff roles as Django groups: a user has the roles of their groups (a clerk is no supervisor),
an admin counts as a supervisor, a superuser has every role, an anonymous visitor none; and the
migrations create exactly the three groups."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, Group

from registration.roles import ADMIN, ALL_ROLES, CLERK, SUPERVISOR, has_role, is_supervisor
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_user_has_the_roles_of_their_groups(clerk: Any, supervisor: Any) -> None:
    assert has_role(clerk, CLERK)
    assert not has_role(clerk, SUPERVISOR, ADMIN)
    assert not is_supervisor(clerk)
    assert is_supervisor(supervisor)


def test_an_admin_counts_as_a_supervisor_and_a_superuser_has_every_role(outlet: Any) -> None:
    admin = factories.make_staff(ADMIN, outlet=outlet)
    root = factories.make_staff(None, outlet=outlet, is_superuser=True)

    assert is_supervisor(admin)
    assert not has_role(admin, CLERK)
    assert all(has_role(root, role) for role in ALL_ROLES)


def test_an_anonymous_visitor_has_no_role() -> None:
    assert not has_role(AnonymousUser(), *ALL_ROLES)


def test_the_migrations_create_the_three_roles() -> None:
    assert set(Group.objects.values_list("name", flat=True)) == set(ALL_ROLES)
