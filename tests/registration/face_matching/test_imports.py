"""The face matching modules import one way: no module reaches back, not even for type checking."""

from __future__ import annotations

import ast
from pathlib import Path

import registration.face_matching as package

PACKAGE = "registration.face_matching"


def _imports_by_module() -> dict[str, set[str]]:
    """Each module of the package -> the package modules it imports (TYPE_CHECKING blocks included)."""
    folder = Path(package.__file__).parent
    graph: dict[str, set[str]] = {}
    for source in folder.glob("*.py"):
        name = source.stem
        imported: set[str] = set()
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                module = node.module if node.level == 0 else f"{PACKAGE}.{node.module}"
                if module.startswith(f"{PACKAGE}."):
                    imported.add(module.removeprefix(f"{PACKAGE}.").split(".")[0])
        graph[name] = imported - {name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    visiting: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> list[str] | None:
        if name in visiting:
            return [*visiting[visiting.index(name) :], name]
        if name in done:
            return None
        visiting.append(name)
        for target in sorted(graph.get(name, ())):
            found = visit(target)
            if found:
                return found
        visiting.pop()
        done.add(name)
        return None

    for module in sorted(graph):
        found = visit(module)
        if found:
            return found
    return None


def test_face_matching_modules_import_one_way() -> None:
    graph = _imports_by_module()
    graph.pop("__init__", None)  # the package re-exports the contract; nothing imports the package back
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_package_still_exports_the_contract() -> None:
    from registration.face_matching import base, types

    for name in ["FaceMatcher", "FaceMatchingError", "MatchResult", "NoFaceFound", "get_matcher"]:
        assert getattr(package, name) is getattr(base, name)
    for name in ["DocumentPortrait", "FaceBox", "ImageRole", "MatchResult", "ModelUnavailable"]:
        assert getattr(base, name) is getattr(types, name)
