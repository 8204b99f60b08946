"""Error wording has one owner, the server: every code our code raises has words in Simplified
Chinese and English, every entry of the table is a code something raises, the API answers in the
request's language, and the pages' script keeps no table of its own."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from registration.error_messages import MESSAGES, error_message
from tests.syntax import parse

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("registration", "capture", "frontend", "config")
API_JS = ROOT / "frontend" / "static" / "frontend" / "api.js"
# Codes the framework raises and our exception handler passes through with the table's words.
FRAMEWORK_CODES = frozenset({"not_authenticated", "throttled"})


def _sources() -> Iterator[tuple[Path, ast.AST]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, parse(path)


def _literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _codes_in(node: ast.AST) -> list[str | None]:
    """The error codes one syntax node names, if it names any."""
    if isinstance(node, ast.keyword) and node.arg == "code":
        return [_literal(node.value)]
    if isinstance(node, ast.Dict):
        return [_literal(v) for k, v in zip(node.keys, node.values, strict=True) if _literal(k) == "code"]
    if isinstance(node, ast.ClassDef):
        return [
            _literal(statement.value)
            for statement in node.body
            if isinstance(statement, ast.Assign)
            and any(isinstance(target, ast.Name) and target.id == "code" for target in statement.targets)
        ]
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) in {"_error_json", "_error_body"}:
        return [_literal(node.args[0]) if node.args else None]
    return []


def raised_codes() -> dict[str, str]:
    """code -> a file that raises it: `code="..."` arguments, `"code": "..."` in error bodies, the
    `code` of every error class, and the first argument of the API's `_error_json`/`_error_body`."""
    found: dict[str, str] = {}
    for path, tree in _sources():
        for node in ast.walk(tree):
            for code in _codes_in(node):
                if code and code != "DEMO01":  # seed_demo's outlet code, not an error
                    found.setdefault(code, str(path.relative_to(ROOT)))
    return found


def test_every_code_our_code_raises_has_words() -> None:
    missing = {code: where for code, where in raised_codes().items() if code not in MESSAGES}
    assert missing == {}


def test_every_entry_is_a_code_something_raises() -> None:
    """No words for a code nobody sends (the pages once had `face_too_small`)."""
    table_module = ROOT / "registration" / "error_messages.py"
    elsewhere = {
        node.value
        for path, tree in _sources()
        if path != table_module
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    unsent = sorted(code for code in MESSAGES if code not in elsewhere and code not in FRAMEWORK_CODES)
    assert "phone_format" in elsewhere  # the scan read the sources
    assert unsent == []


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_entry_has_chinese_and_english_words(code: str) -> None:
    details = {"position": 3, "limit_mb": 8.0}
    with translation.override("en"):
        english = error_message(code, details)
    with translation.override("zh-hans"):
        chinese = error_message(code, details)
    assert english
    assert chinese
    assert chinese != english, f"{code} has no zh-Hans translation"
    assert re.search(r"[\u4e00-\u9fff]", chinese), chinese
    assert "%(" not in english
    assert "%(" not in chinese


def test_the_details_fill_the_words() -> None:
    with translation.override("en"):
        assert "larger than 8 MB" in error_message("upload_too_large", {"limit_mb": 8.0})
        assert error_message("id_not_ascii", {"position": 5}).startswith("Character 5 ")
        assert error_message("id_not_ascii", {}, fallback="raised text") == "raised text"
        assert error_message("a_code_without_words", fallback="raised text") == "raised text"


def test_the_pages_script_keeps_no_table_of_error_codes() -> None:
    """api.js words a decision's reasons (`REASON_TEXT`, another vocabulary), never an error code."""
    script = API_JS.read_text()
    reasons = re.search(r"const REASON_TEXT = \{.*?\n\};", script, re.DOTALL)
    assert reasons, "the reasons' table moved: update this test"
    errors_part = script.replace(reasons[0], "")
    assert "ERROR_MESSAGES" not in errors_part
    worded_here = sorted(code for code in MESSAGES if re.search(rf"^\s*{code}\s*:\s*\(", errors_part, re.MULTILINE))
    assert worded_here == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "A mainland mobile number has 11 digits and starts with 13 to 19."),
        ("zh-hans", "大陆手机号码为 11 位，以 13 至 19 开头。"),
    ],
)
def test_the_api_answers_in_the_requests_language(
    client_for: Callable[[Any], APIClient], clerk: Any, language: str, words: str
) -> None:
    client = client_for(clerk)
    client.credentials(HTTP_ACCEPT_LANGUAGE=language)
    response = client.post(
        "/api/sessions/",
        {
            "full_name": "张三",
            "document_type": "prc_id",
            "document_number": "11010519491231002X",
            "phone_number": "12345",
        },
        format="json",
    )
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] == "phone_format"
    assert response.json()["error"]["message"] == words
