"""Oversized request bodies against a real daphne: are they refused before they are read?

    .venv/bin/python bench/big_body.py [--attackers 4] [--seconds 10]

Starts daphne on config.asgi (the local settings, a throwaway SQLite file), measures the web
process's resident memory and the latency of GET /api/health/ at rest, then lets `--attackers`
clients send 1 GiB bodies for `--seconds`, one every `--pause` seconds each (half announce it in
Content-Length, half send it chunked without a length) while the health request keeps running. Prints what each attacker
managed to send before the server refused it, the process's memory peak over rest, and the health
latency under attack as a ratio to the latency at rest (the targets: a 1 GiB body refused before it
is read, memory within 50 MB of rest, other requests within 2x). Not a test.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GIB = 1024**3
PIECE = 1024 * 1024


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def health_latency(port: int) -> float:
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(b"GET /api/health/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        while connection.recv(65536):
            pass
    return time.perf_counter() - started


def attack(port: int, chunked: bool) -> tuple[int, str]:
    """Send one 1 GiB body; returns the bytes the server took and its status line (or how it ended)."""
    head = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {GIB}"
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(f"POST /api/auth/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n\r\n".encode())
        piece = (f"{PIECE:x}\r\n".encode() + b"x" * PIECE + b"\r\n") if chunked else b"x" * PIECE
        try:
            while sent < GIB:
                connection.sendall(piece)
                sent += PIECE
        except OSError:
            pass
        try:
            answer = connection.recv(200).split(b"\r\n", 1)[0].decode(errors="replace") or "closed"
        except OSError as error:
            answer = f"closed ({type(error).__name__})"
    return sent, answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attackers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    # After a refusal an attacker waits this long before the next body: the finding is a big body,
    # not a flood of connections (which the per-client rates and the proxy bound instead).
    parser.add_argument("--pause", type=float, default=0.5)
    args = parser.parse_args()
    port = free_port()
    database = Path(tempfile.mkdtemp()) / "bench.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{database}",
    }
    daphne = str(Path(sys.executable).parent / "daphne")
    server = subprocess.Popen(
        [daphne, "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    load = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    print(f"machine load (1, 5, 15 min) at the start: {load} on {os.cpu_count()} cores")
    try:
        run(server.pid, port, args.attackers, args.seconds, args.pause)
        print("machine load at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    finally:
        server.terminate()
        server.wait(timeout=20)


def wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            health_latency(port)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("daphne did not answer within 120 s") from None
            time.sleep(0.3)


def run(pid: int, port: int, attackers: int, seconds: float, pause: float) -> None:
    wait_until_up(port)
    for _ in range(10):  # warm up
        health_latency(port)
    rest = [health_latency(port) for _ in range(40)]
    idle_rss = rss_bytes(pid)

    results: list[tuple[bool, int, str]] = []
    stop = threading.Event()
    peak = [idle_rss]

    def attacker(index: int) -> None:
        chunked = index % 2 == 1
        while not stop.is_set():
            sent, answer = attack(port, chunked)
            results.append((chunked, sent, answer))
            stop.wait(pause)

    def sampler() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], rss_bytes(pid))
            time.sleep(0.02)

    threads = [threading.Thread(target=attacker, args=(i,)) for i in range(attackers)]
    threads.append(threading.Thread(target=sampler))
    for thread in threads:
        thread.start()
    under_attack: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        under_attack.append(health_latency(port))
    stop.set()
    for thread in threads:
        thread.join()
    report(rest, under_attack, idle_rss, peak[0], results)


def report(
    rest: list[float], under_attack: list[float], idle_rss: int, peak_rss: int, results: list[tuple[bool, int, str]]
) -> None:
    def p(values: list[float], q: float) -> float:
        return sorted(values)[min(len(values) - 1, int(q * len(values)))] * 1000

    print(f"1 GiB bodies sent: {len(results)} ({sum(c for c, _, _ in results)} chunked)")
    for chunked in (False, True):
        mine = [(sent, answer) for c, sent, answer in results if c == chunked]
        if not mine:
            continue
        kind = "chunked, no length" if chunked else "Content-Length: 1 GiB"
        answers = sorted({answer for _, answer in mine})
        print(
            f"  {kind}: the client pushed at most {max(s for s, _ in mine) / PIECE:.0f} MiB of 1024 "
            f"(median {statistics.median(s for s, _ in mine) / PIECE:.0f}); answers: {answers}"
        )
    print(
        f"web process RSS: {idle_rss / PIECE:.1f} MiB at rest, peak {peak_rss / PIECE:.1f} MiB under attack "
        f"(+{(peak_rss - idle_rss) / PIECE:.1f} MiB; target < 50 MB)"
    )
    print(
        f"GET /api/health/: at rest p50 {p(rest, 0.5):.1f} ms p95 {p(rest, 0.95):.1f} ms; under attack "
        f"p50 {p(under_attack, 0.5):.1f} ms p95 {p(under_attack, 0.95):.1f} ms ({len(under_attack)} requests); "
        f"ratio p50 {p(under_attack, 0.5) / p(rest, 0.5):.2f}x p95 {p(under_attack, 0.95) / p(rest, 0.95):.2f}x "
        f"(target < 2x)"
    )


if __name__ == "__main__":
    main()
