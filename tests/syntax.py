"""Parsing the project's own source in tests, safe from CPython 3.11's AST recursion-counter bug."""

from __future__ import annotations

import ast
import pickle
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def parse(path: Path) -> ast.Module:
    """The module's syntax tree, parsed on a thread of its own (then, failing that, in a fresh
    interpreter).

    Late in a long run CPython 3.11's AST constructor can trip on its own recursion counter
    ("AST constructor recursion depth mismatch", CPython gh-106905): it counts from the calling
    thread's depth, which signal handlers and finalisers run on the main thread can move. A fresh
    thread starts from zero and runs no signal handler; a fresh interpreter shares nothing."""
    source = path.read_text()
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            return pool.submit(ast.parse, source, str(path)).result()
        except SystemError as error:
            if "recursion depth mismatch" not in str(error):
                raise  # only the interpreter bug above earns the fallback
    return _parse_in_a_fresh_interpreter(path)


def _parse_in_a_fresh_interpreter(path: Path) -> ast.Module:
    program = "import ast, pickle, sys; sys.stdout.buffer.write(pickle.dumps(ast.parse(open(sys.argv[1]).read())))"
    command = [sys.executable, "-c", program, str(path)]
    parsed = subprocess.run(command, capture_output=True, check=True).stdout
    tree = pickle.loads(parsed)  # noqa: S301 - written just now by our own interpreter
    assert isinstance(tree, ast.Module)
    return tree
