"""A fresh capture peer registry for one test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from capture.webrtc import registry as registry_module


@contextmanager
def fresh_peer_registry() -> Iterator[None]:
    """The test gets its own peer registry (built on first use, so settings overridden by the test
    apply), and its worker threads are stopped afterwards.

    `capture.webrtc.registry` keeps one registry per process in `_registry` and has no public
    reset, so this is the one place the tests reach into it.
    """
    registry_module._registry = None  # noqa: SLF001  no public reset
    try:
        yield
    finally:
        registry = registry_module._registry  # noqa: SLF001  no public reset
        if registry is not None:
            registry.shutdown_executor()
        registry_module._registry = None  # noqa: SLF001  no public reset
