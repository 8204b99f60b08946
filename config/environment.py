"""The settings' environment reader: a value that does not parse names its variable."""

from __future__ import annotations

from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured


def int_at_least(minimum: int) -> Any:
    """A cast for `Environment`: an int of at least `minimum` (a smaller one is invalid, named as
    a value that does not parse is)."""

    def cast(value: str) -> int:
        number = int(value)
        if number < minimum:
            raise ValueError(f"at least {minimum}")
        return number

    return cast


class Environment(environ.Env):
    """`environ.Env`, whose casts raise a bare `ValueError` ("could not convert string to float")
    without saying which variable was wrong; here the error names it and its value, as a missing
    required variable already does (`ImproperlyConfigured`)."""

    def get_value(
        self, var: str, cast: Any = None, default: Any = environ.Env.NOTSET, parse_default: bool = False
    ) -> Any:
        try:
            return super().get_value(var, cast=cast, default=default, parse_default=parse_default)
        except ValueError as error:
            value = self.ENVIRON.get(f"{self.prefix}{var}")
            raise ImproperlyConfigured(f"{self.prefix}{var}={value!r} is not valid here: {error}") from error
