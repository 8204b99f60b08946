"""How many live captures one web process admits by default: the cores it may run on times the
captures one core carries (docs/capacity.md). Pure (no Django): the settings call it once.

Past that number the page is told "busy, retry" at once instead of every capture slowing down
(frames dropped, the decision late). The cores are the ones this process may use: its CPU
affinity (`taskset`, a container's `cpuset`) and a cgroup CPU quota (a container's `--cpus`, under
cgroup v2 or v1), whichever is smaller.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")  # cgroup v2: "<quota> <period>" or "max <period>"
CGROUP_V1_CPU = Path("/sys/fs/cgroup/cpu")  # cgroup v1: cpu.cfs_quota_us (-1: none), cpu.cfs_period_us


def usable_cores(cgroup_cpu_max: Path = CGROUP_CPU_MAX, cgroup_v1_cpu: Path = CGROUP_V1_CPU) -> float:
    """Cores this process may use: its affinity, capped by a cgroup CPU quota when one is set."""
    try:
        cores = float(len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        cores = float(os.cpu_count() or 1)
    quota = cgroup_quota(cgroup_cpu_max, cgroup_v1_cpu)
    return cores if quota is None else min(cores, quota)


def cgroup_quota(cgroup_cpu_max: Path, cgroup_v1_cpu: Path) -> float | None:
    """The CPU quota in cores (v2's cpu.max, else v1's CFS quota and period); None when there is none."""
    try:
        quota, period = cgroup_cpu_max.read_text().split()[:2]
    except (OSError, ValueError):
        try:
            quota = (cgroup_v1_cpu / "cpu.cfs_quota_us").read_text().strip()
            period = (cgroup_v1_cpu / "cpu.cfs_period_us").read_text().strip()
        except OSError:
            return None
    if quota in {"max", "-1"}:
        return None
    try:
        return int(quota) / int(period)
    except ValueError:
        return None


def default_capture_limit(captures_per_core: float, cores: float | None = None) -> int:
    """`captures_per_core` x the usable cores, rounded down, at least 1."""
    if captures_per_core <= 0:
        raise ValueError("captures_per_core must be positive")
    available = usable_cores() if cores is None else cores
    return max(1, math.floor(available * captures_per_core + 1e-9))
