"""The shape of the code, checked from its source (docs/architecture.md describes it).

Imports run one way (frontend and capture use registration and the engine; registration uses the
engine; the engine uses nothing of ours; the benchmarks use the product and their actors, never the
tests; the product uses neither), no module imports itself back round a cycle, modules stay a screen
or two, and every code reference in the README and the pages of docs/ still names real code: a
`path.py:name`, a `dotted.module:name` or `dotted.module.name`, and a repository path.

Imports are read with `ast`, nothing is imported: an import inside a function or under
`TYPE_CHECKING` counts like any other, since a cycle dodged by a late import is still a cycle.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.syntax import parse

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("config", "frontend", "capture", "registration", "liveness")
# The product's packages and the benchmarks (with the actors, bench/actors/, that tests use too).
DIRECTED_PACKAGES = (*PACKAGES, "bench")
LINE_LIMITED_PACKAGES = ("registration", "capture", "liveness")
MAX_MODULE_LINES = 400

# Paths the docs name that an operator creates and the repository must never hold (.gitignore).
MADE_BY_THE_OPERATOR = frozenset({"docker/.env", "docker/certs/"})

# package -> top-level names it must never import
# The apps never import `config` (it is the project around them: settings, ASGI, Celery app); the
# product never imports the tests or the benchmarks, the benchmarks never the tests.
NOT_PRODUCT = frozenset({"tests", "bench"})
FORBIDDEN_IMPORTS = {
    "registration": frozenset({"capture", "frontend", "config"}) | NOT_PRODUCT,
    "liveness": frozenset({"django", "channels", "aiortc", "celery", "registration", "capture", "frontend", "config"})
    | NOT_PRODUCT,
    "capture": frozenset({"frontend", "config"}) | NOT_PRODUCT,
    "frontend": frozenset({"config"}) | NOT_PRODUCT,
    "config": NOT_PRODUCT,
    "bench": frozenset({"tests"}),
}


@dataclass(frozen=True, slots=True)
class Module:
    """One source module of ours."""

    name: str
    """Dotted name, `registration.services.attempts`; a package's `__init__` is the package's name."""
    path: Path
    is_package: bool


@dataclass(frozen=True, slots=True)
class Import:
    """One import statement's target, where it stands."""

    target: str
    """The dotted name imported; for `from a import b`, `a.b` when that is a module of ours, else `a`."""
    line: int


def source_modules(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, Module]:
    """Every module of our packages by dotted name (tests and bench are not in them)."""
    modules: dict[str, Module] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            is_package = parts[-1] == "__init__"
            name = ".".join(parts[:-1] if is_package else parts)
            modules[name] = Module(name, path, is_package)
    return modules


def _from_base(module: Module, node: ast.ImportFrom) -> str:
    """The absolute module named by `from <base> import ...` (relative levels resolved)."""
    if node.level == 0:
        return node.module or ""
    package = module.name if module.is_package else module.name.rpartition(".")[0]
    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
    return ".".join([*anchor, *([node.module] if node.module else [])])


def imports_of(module: Module, known: set[str] | dict[str, Module]) -> Iterator[Import]:
    """Every import in the module, at any depth (functions, TYPE_CHECKING, try blocks), and
    `importlib.import_module("...")` with a literal name."""
    for node in ast.walk(parse(module.path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = _from_base(module, node)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield Import(submodule if submodule in known else base, node.lineno)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield Import(node.args[0].value, node.lineno)


def forbidden_imports(root: Path = ROOT, packages: tuple[str, ...] = DIRECTED_PACKAGES) -> list[str]:
    """`file:line imports name` for every import that runs against the direction of the layers."""
    modules = source_modules(root, packages)
    found = []
    for module in modules.values():
        banned = FORBIDDEN_IMPORTS.get(module.name.split(".")[0], frozenset())
        for imported in imports_of(module, modules):
            if imported.target.split(".")[0] in banned:
                found.append(f"{module.path.relative_to(root)}:{imported.line} imports {imported.target}")
    return found


def app_imports_of_the_settings(root: Path = ROOT) -> list[str]:
    """`file:line imports name` for each import of frontend, capture, registration or liveness code
    by `config/settings/`."""
    modules = source_modules(root)
    found = []
    for module in modules.values():
        if not module.name.startswith("config.settings"):
            continue
        for imported in imports_of(module, modules):
            app_code = imported.target.split(".")[0] in {"frontend", "capture", "registration", "liveness"}
            if app_code:
                found.append(f"{module.path.relative_to(root)}:{imported.line} imports {imported.target}")
    return found


def import_graph(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, dict[str, int]]:
    """module -> {module of ours it causes to be imported: line}.

    Importing `a.b.c` runs `a`, `a.b` and `a.b.c`; the packages that already contain the importer
    are left out (they are mid-import when it runs, so they are not a cycle through it)."""
    modules = source_modules(root, packages)
    graph: dict[str, dict[str, int]] = {}
    for module in modules.values():
        own_packages = {".".join(module.name.split(".")[:i]) for i in range(1, module.name.count(".") + 2)}
        edges: dict[str, int] = {}
        for imported in imports_of(module, modules):
            parts = imported.target.split(".")
            for i in range(1, len(parts) + 1):
                target = ".".join(parts[:i])
                if target in modules and target not in own_packages and target != module.name:
                    edges.setdefault(target, imported.line)
        graph[module.name] = edges
    return graph


def _reachable(graph: dict[str, dict[str, int]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph.get(start, {}))
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(graph.get(name, {}))
    return seen


def import_cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """One cycle through each group of modules that import one another round a circle."""
    reach = {name: _reachable(graph, name) for name in graph}
    cycles: list[list[str]] = []
    placed: set[str] = set()
    for name in sorted(graph):
        if name in placed or name not in reach[name]:
            continue
        group = sorted(other for other in reach[name] if name in reach.get(other, set()))
        placed.update(group)
        cycles.append(_cycle_through(group, graph))
    return cycles


def _cycle_through(group: list[str], graph: dict[str, dict[str, int]]) -> list[str]:
    """A path from the group's first module back to itself, inside the group."""
    start, members = group[0], set(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        name = queue.pop(0)
        for target in sorted(graph.get(name, {})):
            if target == start:
                return [*paths[name], start]
            if target in members and target not in paths:
                paths[target] = [*paths[name], target]
                queue.append(target)
    return group  # pragma: no cover - a strongly connected group always closes


def oversized_modules(root: Path = ROOT, packages: tuple[str, ...] = LINE_LIMITED_PACKAGES) -> list[str]:
    found = []
    for module in source_modules(root, packages).values():
        if "migrations" in module.path.relative_to(root).parts:
            continue
        lines = len(module.path.read_text().splitlines())
        if lines > MAX_MODULE_LINES:
            found.append(f"{module.path.relative_to(root)}: {lines} lines")
    return found


def modules_without_a_mirrored_test(root: Path = ROOT) -> tuple[list[str], int]:
    """(source modules with no test at the mirrored path, how many source modules there are).

    `registration/services/attempts.py` is mirrored by `tests/registration/services/test_attempts.py`;
    package `__init__` modules and migrations are not counted (docs/development.md, "Test layout")."""
    sources = [
        module.path.relative_to(root)
        for module in source_modules(root).values()
        if not module.is_package and "migrations" not in module.path.relative_to(root).parts
    ]
    missing = [str(path) for path in sources if not (root / "tests" / path.parent / f"test_{path.name}").exists()]
    return missing, len(sources)


CODE_SPAN = re.compile(r"`([^`\n]+)`")
FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
NAME_REFERENCE = re.compile(r"(?P<path>[\w./-]+\.py):(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)")
PATH_REFERENCE = re.compile(r"[\w.-]+(?:/[\w.-]+)+\.py")
# `config.settings.local`, `config.asgi:application`, `capture.webrtc.analysis.ExtractorPool`
DOTTED_REFERENCE = re.compile(
    rf"(?P<module>(?:{'|'.join(PACKAGES)})(?:\.[A-Za-z_]\w*)*)(?::(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?))?"
)
# A file name like `capture.js` looks dotted; these endings make it a file, not a module.
FILE_ENDINGS = frozenset({"js", "css", "html", "py", "md", "json", "yml", "yaml", "toml", "svg", "png", "po", "mo"})
# A path in the repository: a top-level directory of ours, then anything but spaces and placeholders.
TOP_DIRECTORIES = (r"\.ci", "bench", "capture", "config", "docker", "docs", "frontend", "liveness", "locale")
REPOSITORY_PATH = re.compile(rf"(?:{'|'.join((*TOP_DIRECTORIES, 'registration', 'scripts', 'tests'))})/[^\s<>*$]*")
BRACES = re.compile(r"\{([^{}]*)\}")


def documents(root: Path = ROOT) -> tuple[str, ...]:
    """The README and every page under docs/."""
    return ("README.md", *sorted(str(path.relative_to(root)) for path in (root / "docs").glob("*.md")))


def _defined_names(body: list[ast.stmt]) -> dict[str, ast.stmt]:
    """Names a module or class body defines (functions, classes, assignments; inside if/try too)."""
    names: dict[str, ast.stmt] = {}
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names[node.name] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        names[leaf.id] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node
        elif isinstance(node, ast.If | ast.Try):
            nested = [*node.body, *node.orelse, *getattr(node, "finalbody", [])]
            names.update(_defined_names(nested))
    return names


def _reference_problem(root: Path, path: str, name: str) -> str | None:
    source = root / path
    if not source.is_file():
        return "no such file"
    defined = _defined_names(parse(source).body)  # on a thread of its own: see `parse`
    outer, _, inner = name.partition(".")
    if outer not in defined:
        return f"{path} defines no {outer}"
    if inner:
        owner = defined[outer]
        if not isinstance(owner, ast.ClassDef) or inner not in _defined_names(owner.body):
            return f"{outer} in {path} defines no {inner}"
    return None


def _expanded(span: str) -> list[str]:
    """`config/settings/{base,local}.py` -> both paths (one brace group is enough for the docs)."""
    group = BRACES.search(span)
    if not group:
        return [span]
    return [span[: group.start()] + choice + span[group.end() :] for choice in group[1].split(",")]


def _dotted_problem(root: Path, module: str, name: str | None) -> str | None:
    """The longest prefix of `module` that is a module of ours; what follows must be names it defines."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        base = root.joinpath(*parts[:end])
        source = base.with_suffix(".py") if base.with_suffix(".py").is_file() else base / "__init__.py"
        if source.is_file():
            rest = ".".join([*parts[end:], *([name] if name else [])])
            if not rest:
                return None
            if rest.count(".") > 1:
                return f"{module} names no module {'.'.join(parts[: end + 1])}"
            return _reference_problem(root, str(source.relative_to(root)), rest)
    return "no such module"


def _span_problem(root: Path, span: str) -> tuple[bool, str | None]:
    """(is a code reference, what is wrong with it or None)."""
    if reference := NAME_REFERENCE.fullmatch(span):
        return True, _reference_problem(root, reference["path"], reference["name"])
    if PATH_REFERENCE.fullmatch(span) or REPOSITORY_PATH.fullmatch(span):
        if span in MADE_BY_THE_OPERATOR:
            return True, None
        missing = [path for path in _expanded(span) if not (root / path.rstrip("/")).exists()]
        return True, ("no such file" if missing else None)
    if (dotted := DOTTED_REFERENCE.fullmatch(span)) and span.rpartition(".")[2] not in FILE_ENDINGS:
        return True, _dotted_problem(root, dotted["module"], dotted["name"])
    return False, None


def stale_doc_references(root: Path = ROOT, docs: tuple[str, ...] | None = None) -> list[str]:
    """`doc: reference (why)` for each backticked `path.py:name`, `path.py:Class.method`,
    `dotted.module:name`, `dotted.module.name` or repository path that no longer points at code."""
    found = []
    for document in docs if docs is not None else documents(root):
        text = FENCE.sub("", (root / document).read_text())
        for span in CODE_SPAN.findall(text):
            _, problem = _span_problem(root, span)
            if problem:
                found.append(f"{document}: `{span}` ({problem})")
    return found


def code_references(root: Path, document: str) -> int:
    """How many backticked spans of the document are code references of any form."""
    text = FENCE.sub("", (root / document).read_text())
    return sum(_span_problem(root, span)[0] for span in CODE_SPAN.findall(text))


# --- the checks on this tree -----------------------------------------------------------------------


def test_imports_run_one_way() -> None:
    """registration imports no capture/frontend, liveness nothing of ours or of the frameworks,
    capture no frontend, no app imports config, the product no tests or benchmarks, the benchmarks
    no tests."""
    found = forbidden_imports()
    assert found == [], "\n".join(found)


def test_the_settings_import_no_app_code() -> None:
    """Not even names: the settings load before the apps and never drag models in; what needs the
    apps' names (the tasks' routes and schedule) is set on the Celery app (config/celery_app.py)."""
    found = app_imports_of_the_settings()
    assert found == [], "\n".join(found)


def test_no_import_cycle_between_our_modules() -> None:
    cycles = import_cycles(import_graph())
    assert cycles == [], "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_no_module_exceeds_the_line_limit() -> None:
    found = oversized_modules()
    assert found == [], "\n".join(found)


def test_doc_references_point_at_code() -> None:
    found = stale_doc_references()
    assert found == [], "\n".join(found)


def test_the_architecture_page_names_code() -> None:
    """The page is checked only through the references it has: it must keep having them."""
    text = (ROOT / "docs/architecture.md").read_text()
    assert len([span for span in CODE_SPAN.findall(text) if NAME_REFERENCE.fullmatch(span)]) >= 40


def test_every_page_is_checked_and_names_code() -> None:
    """Each topic page is found by the check (a new page is checked without being listed) and
    points at the code it describes."""
    pages = documents()
    assert {"docs/architecture.md", "docs/development.md", "docs/deployment.md", "docs/capacity.md"} <= set(pages)
    assert {page: count for page in pages if (count := code_references(ROOT, page)) == 0} == {}


def test_the_readme_is_short_and_no_page_is_a_notebook() -> None:
    """The README is for a user (under 8 KB); depth lives in docs/, no page over 25 KiB."""
    sizes = {page: len((ROOT / page).read_bytes()) for page in documents()}
    assert sizes.pop("README.md") < 8000
    assert {page: size for page, size in sizes.items() if size > 25 * 1024} == {}


# --- the checks catch what they are for (a small tree of their own) --------------------------------


def _write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture
def bad_tree(tmp_path: Path) -> Path:
    _write(
        tmp_path,
        {
            "registration/__init__.py": "",
            "registration/services.py": "def later():\n    from capture import consumers\n",
            "registration/tasks.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from frontend import views\n"
            ),
            "liveness/__init__.py": "from .engine import Engine\n",
            "liveness/engine.py": (
                "import django.conf\nfrom . import trace\nclass Engine:\n    def process(self): ...\n"
            ),
            "liveness/trace.py": "def replay():\n    from .engine import Engine\n",
            "capture/__init__.py": "",
            "capture/consumers.py": "import importlib\nimportlib.import_module('frontend.views')\n",
            "capture/big.py": "x = 1\n" * (MAX_MODULE_LINES + 1),
            "capture/migrations/0001_initial.py": "x = 1\n" * (MAX_MODULE_LINES + 1),
            "frontend/__init__.py": "",
            "frontend/views.py": "from registration import services\n",
            "frontend/urls.py": "from bench.actors import customer\n",
            "bench/__init__.py": "",
            "bench/load.py": "def camera():\n    from tests.actors.customer import Customer\n",
            "docs/architecture.md": (
                "`liveness/engine.py:Engine.process` `liveness/engine.py:Engine.finish`\n"
                "`liveness/trace.py:replay` `liveness/trace.py:recompute` `capture/gone.py:thing`\n"
                "`capture/gone.py` `capture/big.py`\n```sh\n`capture/in_a_fence.py:x`\n```\n"
                "`liveness.engine:Engine.process` `liveness.trace.replay` `liveness.trace.recompute`\n"
                "`liveness.gone` `capture.js` `docker/.env` `capture/{big,gone}.py` `capture/` `frontend/x.js`\n"
            ),
        },
    )
    return tmp_path


def test_forbidden_imports_are_found_at_any_depth(bad_tree: Path) -> None:
    assert sorted(forbidden_imports(bad_tree)) == [
        "bench/load.py:2 imports tests.actors.customer",
        "capture/consumers.py:2 imports frontend.views",
        "frontend/urls.py:1 imports bench.actors",
        "liveness/engine.py:1 imports django.conf",
        "registration/services.py:2 imports capture.consumers",
        "registration/tasks.py:3 imports frontend.views",
    ]


def test_the_settings_may_import_not_even_the_task_names(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "config/__init__.py": "",
            "config/settings/__init__.py": "",
            "config/settings/base.py": "from config.capacity import limit\nfrom registration import task_names\n",
            "config/capacity.py": "",
            "registration/__init__.py": "",
            "registration/task_names.py": "",
        },
    )
    assert app_imports_of_the_settings(tmp_path) == ["config/settings/base.py:2 imports registration.task_names"]


def test_a_module_is_mirrored_by_its_test_at_the_same_path(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "registration/__init__.py": "",
            "registration/services/attempts.py": "",
            "registration/services/consent.py": "",
            "registration/migrations/0001_initial.py": "",
            "tests/registration/services/test_attempts.py": "",
            "tests/registration/test_consent.py": "",
        },
    )
    assert modules_without_a_mirrored_test(tmp_path) == (["registration/services/consent.py"], 2)


def test_a_cycle_through_a_late_import_is_found(bad_tree: Path) -> None:
    assert sorted(import_cycles(import_graph(bad_tree))) == [
        ["capture.consumers", "frontend.views", "registration.services", "capture.consumers"],
        ["liveness.engine", "liveness.trace", "liveness.engine"],
    ]


def test_a_package_init_is_not_a_cycle_with_its_own_modules(tmp_path: Path) -> None:
    _write(
        tmp_path, {"liveness/__init__.py": "from .engine import Engine\n", "liveness/engine.py": "from . import x\n"}
    )
    assert import_cycles(import_graph(tmp_path, ("liveness",))) == []


def test_oversized_modules_are_found_outside_migrations(bad_tree: Path) -> None:
    assert oversized_modules(bad_tree) == [f"capture/big.py: {MAX_MODULE_LINES + 1} lines"]


def test_stale_doc_references_are_found(bad_tree: Path) -> None:
    assert stale_doc_references(bad_tree, ("docs/architecture.md",)) == [
        "docs/architecture.md: `liveness/engine.py:Engine.finish` (Engine in liveness/engine.py defines no finish)",
        "docs/architecture.md: `liveness/trace.py:recompute` (liveness/trace.py defines no recompute)",
        "docs/architecture.md: `capture/gone.py:thing` (no such file)",
        "docs/architecture.md: `capture/gone.py` (no such file)",
        "docs/architecture.md: `liveness.trace.recompute` (liveness/trace.py defines no recompute)",
        "docs/architecture.md: `liveness.gone` (liveness/__init__.py defines no gone)",
        "docs/architecture.md: `capture/{big,gone}.py` (no such file)",
        "docs/architecture.md: `frontend/x.js` (no such file)",
    ]
