"""What the security tests tried, collected for the table and counts in the terminal summary."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

# Columns of the access table, in order.
ACTORS = ("anonymous", "other outlet", "wrong role", "wrong state", "right user")


@dataclass(frozen=True)
class AccessResult:
    endpoint: str
    actor: str
    expected: int | str
    got: int | str

    @property
    def ok(self) -> bool:
        return self.expected == self.got


@dataclass(frozen=True)
class BadInputResult:
    name: str
    expected: int | str
    got: int | str
    code: str


access_results: list[AccessResult] = []
bad_input_results: list[BadInputResult] = []


def record_access(endpoint: str, actor: str, *, expected: int | str, got: int | str) -> None:
    access_results.append(AccessResult(endpoint, actor, expected, got))


def record_bad_input(name: str, *, expected: int | str, got: int | str, code: str) -> None:
    bad_input_results.append(BadInputResult(name, expected, got, code))


def _cell(statuses: list[str]) -> str:
    if not statuses:
        return "-"
    counts = Counter(statuses)
    return ",".join(status if count == 1 else f"{status} x{count}" for status, count in counts.items())


def access_table() -> list[str]:
    """endpoint x actor → status; a cell holds every status seen for that actor (several users may play it)."""
    cells: dict[str, dict[str, list[str]]] = {}
    for result in access_results:
        mark = "" if result.ok else f"!(want {result.expected})"
        cells.setdefault(result.endpoint, {}).setdefault(result.actor, []).append(f"{result.got}{mark}")
    width = max([len("endpoint"), *(len(endpoint) for endpoint in cells)])
    header = f"{'endpoint':<{width}} | " + " | ".join(f"{actor:<14}" for actor in ACTORS)
    lines = [header, "-" * len(header)]
    for endpoint, by_actor in cells.items():
        row = [_cell(by_actor.get(actor, [])) for actor in ACTORS]
        lines.append(f"{endpoint:<{width}} | " + " | ".join(f"{cell:<14}" for cell in row))
    return lines
