"""factory_boy factories and small builders for valid test identities."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from registration.documents import prc_id_check_digit
from registration.models import Outlet, StaffProfile
from registration.roles import CLERK

_sequence = itertools.count(100)


def make_prc_id(birth_date: date = date(1990, 3, 7), region: str = "110101") -> str:
    """A syntactically valid resident identity card number with a correct check digit."""
    first_17 = f"{region}{birth_date:%Y%m%d}{next(_sequence) % 1000:03d}"
    return first_17 + prc_id_check_digit(first_17)


def make_phone() -> str:
    return f"+86138{next(_sequence):08d}"


class OutletFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Outlet

    code = factory.Sequence(lambda n: f"OUT{n:03d}")
    name = factory.Sequence(lambda n: f"Outlet {n}")
    address = "1 Test Road"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    password = factory.django.Password("correct horse battery")

    @factory.post_generation
    def role(user: Any, create: bool, extracted: str | None, **kwargs: object) -> None:
        if create:
            user.groups.add(Group.objects.get(name=extracted or CLERK))

    @factory.post_generation
    def outlet(user: Any, create: bool, extracted: Outlet | None, **kwargs: object) -> None:
        if create and extracted is not None:
            StaffProfile.objects.create(user=user, outlet=extracted)
