"""Every reason code a session can record has words in English and Simplified Chinese, in one table
(`REASON_TEXT` in frontend/static/frontend/api.js, worded through the djangojs catalogue), and no page
shows a recorded code as it is.

The codes are found in the source, not listed here: the liveness engine's `Reason`, the match
policy's `ReasonCode`, every `reason_code` of an error class, every string given as a `reason`,
`reasons`, `decision_reasons`, `liveness_reasons` or unbound reason (directly or through a module
constant), the attempt ends the capture records (`INTERRUPTIONS`, `end_reason`) and the reasons the
pages send for a check by hand (`dataset.reason`, `json: { reason: ... }`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils.translation.trans_real import DjangoTranslation

from liveness import Reason
from registration.face_matching.policy import ReasonCode
from registration.models import VerificationSession
from registration.state_machine import SessionState
from tests.syntax import parse

ROOT = Path(__file__).resolve().parents[2]
API_JS = ROOT / "frontend" / "static" / "frontend" / "api.js"
REASON_KEYWORDS = frozenset(
    {"reason", "reasons", "decision_reasons", "liveness_reasons", "unbound_reason", "reference_unbound_reason"}
)
REASON_NAMES = frozenset({"reason_code", "end_reason", "reason", "reasons", "INTERRUPTIONS"})
# Where a `reason` is not a session's: why a user's access ended, why a person's data was erased,
# which MRZ fields differ (a refusal's details), the audit's own words for the key.
NOT_SESSION_REASONS = frozenset(
    {
        "registration/services/access.py",
        "registration/admin_users.py",
        "registration/services/subjects.py",
        "registration/mrz.py",
        "registration/audit_words.py",
    }
)


def reason_table() -> dict[str, str]:
    """code -> its English words (the msgid), as api.js's `REASON_TEXT` holds them."""
    table = re.search(r"const REASON_TEXT = \{(.*?)\n\};", API_JS.read_text(), re.DOTALL)
    assert table, "the reasons' table moved: update this test"
    entries = dict(re.findall(r'^\s*(\w+): \(\) => _\("((?:[^"\\]|\\.)*)"\),?$', table[1], re.MULTILINE))
    assert len(entries) == table[1].count("=> _("), "an entry this test cannot read"
    return entries


def _strings(node: ast.AST, constants: dict[str, str]) -> Iterator[str]:
    for inner in ast.walk(node):
        if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
            yield inner.value
        elif isinstance(inner, ast.Name) and inner.id in constants:
            yield constants[inner.id]


def _assigned(tree: ast.Module, name: ast.AST) -> list[ast.AST]:
    """What a local name was assigned in the module (the table a loop reads its reasons from)."""
    return [
        statement.value
        for statement in ast.walk(tree)
        if isinstance(name, ast.Name) and isinstance(statement, ast.Assign)
        for target in statement.targets
        if isinstance(target, ast.Name) and target.id == name.id
    ]


def _python_sources() -> Iterator[tuple[str, ast.Module]]:
    for package in ("registration", "capture"):
        for path in sorted((ROOT / package).rglob("*.py")):
            where = str(path.relative_to(ROOT))
            if "migrations" not in path.parts and "management" not in path.parts and where not in NOT_SESSION_REASONS:
                yield where, parse(path)


def _reason_values(node: ast.AST, tree: ast.Module) -> list[ast.AST]:
    """The expressions one syntax node records as a session's reason, if it records any."""
    if isinstance(node, ast.keyword) and node.arg in REASON_KEYWORDS:
        return [node.value]
    if isinstance(node, ast.Dict):  # a session's fields given as a dict
        pairs = zip(node.keys, node.values, strict=True)
        return [value for key, value in pairs if getattr(key, "value", None) in REASON_KEYWORDS]
    if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = {getattr(target, "id", getattr(target, "attr", None)) for target in targets}
        return [node.value] if names & REASON_NAMES else []
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Binding":
        return list(node.args[1:2])
    if isinstance(node, ast.For) and "reason" in {getattr(name, "id", None) for name in ast.walk(node.target)}:
        return [node.iter, *_assigned(tree, node.iter)]  # `for ..., reason in limits:`
    return []


def recorded_codes() -> dict[str, str]:
    """code -> where it is recorded, for every reason our code can store on a session."""
    sources = list(_python_sources())
    constants = {
        target.id: node.value.value
        for _where, tree in sources
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    found = {code.value: "liveness/results.py" for code in Reason}
    found |= {code.value: "registration/face_matching/policy.py" for code in ReasonCode}
    for where, tree in sources:
        for node in ast.walk(tree):
            for value in _reason_values(node, tree):
                for code in _strings(value, constants):
                    if re.fullmatch(r"[a-z]+(?:_[a-z]+)*", code):
                        found.setdefault(code, where)
    pages = "\n".join(path.read_text() for path in sorted((ROOT / "frontend" / "static" / "frontend").glob("*.js")))
    for code in re.findall(r'(?:dataset\.reason = |reason: (?:[\w.]+ \|\| )?)"([a-z_]+)"', pages):
        found.setdefault(code, "frontend/static/frontend")
    return found


def test_the_scan_reads_the_codes_recorded_in_every_way() -> None:
    codes = recorded_codes()
    for code in ["no_turn", "face_score_in_approve_band", "no_face_found", "disconnected", "too_many_messages"]:
        assert code in codes, code
    for code in ["mrz_unreadable", "judgement_overdue", "supervisor_rejected", "customer_refused_face_processing"]:
        assert code in codes, code
    assert "spoof_signals" in codes  # through the module constant SPOOF_REVIEW
    assert "password_changed" not in codes  # a user's access, not a session's reason


def test_every_recorded_reason_has_words() -> None:
    table = reason_table()
    missing = {code: where for code, where in recorded_codes().items() if code not in table}
    assert missing == {}


@pytest.mark.parametrize("code", sorted(reason_table()))
def test_every_reasons_words_have_a_chinese_translation(code: str) -> None:
    english = reason_table()[code].replace('\\"', '"')
    chinese = DjangoTranslation("zh-hans", domain="djangojs").gettext(english)
    assert chinese != english, f"{code}: {english!r} has no zh-Hans translation"
    assert re.search(r"[\u4e00-\u9fff]", chinese), chinese


@pytest.mark.django_db
def test_the_result_page_never_writes_a_reason_code_as_it_is(signed_in: Client, make_session: Any) -> None:
    session: VerificationSession = make_session(SessionState.APPROVED)
    VerificationSession.objects.filter(pk=session.pk).update(decision_reasons=["face_score_in_approve_band"])
    html = signed_in.get(f"/sessions/{session.pk}/result/").content.decode()
    visible = re.sub(r"(?is)<script[^>]*>.*?</script>", " ", html)
    assert "face_score_in_approve_band" not in visible
    assert 'id="decision-reasons"' in html  # the page's script words them (api.js)
