"""The servers seen from outside: CPU and RSS of their process trees from /proc, their UDP sockets,
and the diagnostic a server started by `serve` writes on SIGUSR1."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Sample:
    t: float
    pid: int
    role: str
    cpu_percent: float
    rss_mib: float
    threads: int


class ProcMonitor:
    """CPU and RSS of the server processes (with their children), read from /proc via psutil."""

    def __init__(self, pids: dict[int, str], interval: float = 1.0) -> None:
        import psutil

        self.interval = interval
        self.processes = {pid: (role, psutil.Process(pid)) for pid, role in pids.items()}
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="proc-monitor")
        self._began = time.monotonic()
        self._cpu: dict[int, float] = {}
        self._cpu_at_start: dict[int, float] = {}
        self.cpu_seconds: dict[int, float] = {}

    def start(self) -> ProcMonitor:
        self._cpu = {pid: self._cpu_seconds(pid) for pid in self.processes}
        self._cpu_at_start = dict(self._cpu)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.cpu_seconds = {pid: self._cpu_seconds(pid) - start for pid, start in self._cpu_at_start.items()}

    def cpu_seconds_total(self, role: str) -> float:
        """CPU seconds (user + system, with children) the processes of `role` used from start to stop."""
        return sum(seconds for pid, seconds in self.cpu_seconds.items() if self.processes[pid][0] == role)

    def _tree(self, pid: int) -> list[Any]:
        import psutil

        process = self.processes[pid][1]
        try:
            return [process, *process.children(recursive=True)]
        except psutil.Error:
            return []

    def _cpu_seconds(self, pid: int) -> float:
        total = 0.0
        for process in self._tree(pid):
            with contextlib.suppress(Exception):
                times = process.cpu_times()
                total += times.user + times.system + times.children_user + times.children_system
        return total

    def rss_mib(self, pid: int) -> float:
        total = 0
        for process in self._tree(pid):
            with contextlib.suppress(Exception):
                total += process.memory_info().rss
        return total / 2**20

    def threads(self, pid: int) -> int:
        with contextlib.suppress(Exception):
            return int(self.processes[pid][1].num_threads())
        return 0

    def _run(self) -> None:
        last = time.monotonic()
        while not self._stop.wait(self.interval):
            now = time.monotonic()
            for pid, (role, _) in self.processes.items():
                cpu = self._cpu_seconds(pid)
                percent = 100.0 * (cpu - self._cpu.get(pid, cpu)) / max(now - last, 1e-6)
                self._cpu[pid] = cpu
                rss, threads = self.rss_mib(pid), self.threads(pid)
                self.samples.append(Sample(round(now - self._began, 1), pid, role, round(percent, 1), rss, threads))
            last = now

    def rss_total(self, role: str) -> float:
        return sum(self.rss_mib(pid) for pid, (r, _) in self.processes.items() if r == role)


def udp_sockets(pid: int) -> int:
    """Open UDP sockets of a process: each live peer connection holds its ICE sockets."""
    import psutil

    with contextlib.suppress(psutil.Error):
        return len(psutil.Process(pid).net_connections(kind="udp"))
    return -1


def diagnostics(pid: int, folder: Path | None, timeout: float = 20.0) -> dict[str, Any]:
    """What a server started by `serve` reports on SIGUSR1; /proc figures for any other server."""
    report: dict[str, Any] = {"pid": pid, "udp_sockets": udp_sockets(pid)}
    with contextlib.suppress(Exception):
        import psutil

        report["proc_threads"] = psutil.Process(pid).num_threads()
    if folder is None:
        return report
    target = folder / f"{pid}.json"
    target.unlink(missing_ok=True)
    os.kill(pid, signal.SIGUSR1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if target.exists():
            with contextlib.suppress(ValueError):
                report.update(json.loads(target.read_text()))
                return report
        time.sleep(0.1)
    report["diagnostic"] = "no answer"
    return report


def load_average() -> float:
    return round(os.getloadavg()[0], 2)
