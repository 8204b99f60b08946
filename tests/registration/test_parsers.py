"""The API's JSON parser: a well-formed body parses as DRF's would, and a body nested too deeply for
Python's decoder (a RecursionError, which DRF would let through as a 500) is a parse error (400)."""

from __future__ import annotations

import io

import pytest
from rest_framework.exceptions import ParseError

from registration.parsers import JSONParser


def _parse(body: bytes) -> object:
    return JSONParser().parse(io.BytesIO(body), "application/json", {})


def test_a_well_formed_body_parses() -> None:
    assert _parse('{"full_name": "张三", "steps": [1, 2]}'.encode()) == {"full_name": "张三", "steps": [1, 2]}


def test_a_body_nested_too_deeply_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="nested too deeply"):
        _parse(b"[" * 100_000 + b"]" * 100_000)


def test_a_malformed_body_is_still_a_parse_error() -> None:
    with pytest.raises(ParseError):
        _parse(b'{"full_name": ')
