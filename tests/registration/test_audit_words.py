"""The audit log reads in words: every action the product writes has words, a session's move is named
by its state, and an event's details show states, languages and yes/no in the reader's language."""

from __future__ import annotations

import ast
from pathlib import Path

from django.utils import translation

from registration.audit_words import AUDIT_ACTIONS, audit_action_label, audit_details_html
from registration.compliance import FILING_CROSSED
from registration.state_machine import SessionState
from tests.syntax import parse

ROOT = Path(__file__).resolve().parents[2]


def written_actions() -> set[str]:
    """Every literal `action=` the product passes to `audit(...)` (or names in a conditional)."""
    found = set()
    for path in (ROOT / "registration").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(parse(path)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "audit":
                for keyword in node.keywords:
                    if keyword.arg == "action":
                        strings = [v.value for v in ast.walk(keyword.value) if isinstance(v, ast.Constant)]
                        found |= {s for s in strings if isinstance(s, str) and "." in s.strip(".")}
    return found


def test_every_action_the_product_writes_has_words() -> None:
    actions = written_actions() | {FILING_CROSSED}
    assert len(actions) > 15  # the walk finds the calls: an empty set would pass anything
    assert sorted(actions - set(AUDIT_ACTIONS)) == []


def test_a_sessions_move_is_named_by_its_state_in_the_readers_language() -> None:
    with translation.override("zh-hans"):
        assert audit_action_label("session.manual_review") == f"会话：{SessionState.MANUAL_REVIEW.label}"
        assert audit_action_label("session.created") == "开始登记"
    with translation.override("en"):
        assert audit_action_label("session.approved") == "Session: Approved"
        assert audit_action_label("something.new") == "something.new"  # unknown: shown as written


def test_details_read_as_words() -> None:
    with translation.override("zh-hans"):
        html = str(audit_details_html({"from": "document_captured", "language": "zh-hans", "non_biometric": False}))
        captured = str(SessionState.DOCUMENT_CAPTURED.label)
    assert "原状态" in html
    assert captured in html
    assert "简体中文" in html
    assert "否" in html
    assert "document_captured" not in html
    assert "zh-hans" not in html
