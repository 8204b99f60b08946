"""The base settings' channel-layer host (`redis_channel_host`) outlives a Redis restart: a command
on a pooled connection that Redis closed is sent again on a new connection instead of failing the
WebSocket that joins its group.

A private redis-server on a free loopback port (the shared one is never restarted)."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis
from channels_redis.core import RedisChannelLayer

from config.settings.base import redis_channel_host


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivateRedis:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed (scripts/ensure-services installs it)")
    server = PrivateRedis(_free_port())
    server.start()
    yield server
    server.stop()


def test_a_group_join_after_a_redis_restart_succeeds(private_redis: PrivateRedis) -> None:
    layer = RedisChannelLayer(hosts=[redis_channel_host(private_redis.url)], prefix="reconnect-test")

    async def join_restart_join() -> int:
        await layer.group_add("outlet", "first")  # a pooled connection, open
        await asyncio.to_thread(private_redis.stop)
        await asyncio.to_thread(private_redis.start)
        await layer.group_add("outlet", "second")  # on the connection Redis closed
        size = await layer.connection(0).zcard(layer._group_key("outlet"))  # noqa: SLF001
        await layer.flush()
        return int(size)

    assert asyncio.run(join_restart_join()) == 1  # the restart emptied Redis; the second join is there
