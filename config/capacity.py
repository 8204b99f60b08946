"""How many live captures one web process admits by default: the cores it may run on times the
captures one core carries (docs/capacity.md). Pure (no Django): the settings call it once.

Past that number the page is told "busy, retry" at once instead of every capture slowing down
(frames dropped, the decision late). The cores are the ones this process may use: its CPU
affinity (`taskset`, a container's `cpuset`) and a cgroup CPU quota (a container's `--cpus`),
whichever is smaller.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")  # cgroup v2: "<quota> <period>" or "max <period>"


def usable_cores(cgroup_cpu_max: Path = CGROUP_CPU_MAX) -> float:
    """Cores this process may use: its affinity, capped by a cgroup v2 CPU quota when one is set."""
    try:
        cores = float(len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        cores = float(os.cpu_count() or 1)
    try:
        quota, period = cgroup_cpu_max.read_text().split()[:2]
    except (OSError, ValueError):
        return cores
    if quota == "max":
        return cores
    return min(cores, int(quota) / int(period))


def default_capture_limit(captures_per_core: float, cores: float | None = None) -> int:
    """`captures_per_core` x the usable cores, rounded down, at least 1."""
    if captures_per_core <= 0:
        raise ValueError("captures_per_core must be positive")
    available = usable_cores() if cores is None else cores
    return max(1, math.floor(available * captures_per_core + 1e-9))
