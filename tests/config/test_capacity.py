"""The default capture limit of a web process: its usable cores times the captures per core."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from config.capacity import default_capture_limit, usable_cores
from tests.processes import SUITE_ONLY_VARIABLES, run_python


def test_the_limit_is_the_cores_times_the_captures_per_core_rounded_down() -> None:
    assert default_capture_limit(2.5, cores=2) == 5
    assert default_capture_limit(2.5, cores=3) == 7
    assert default_capture_limit(2.5, cores=0.5) == 1  # a fraction of a core still takes one capture
    with pytest.raises(ValueError, match="positive"):
        default_capture_limit(0, cores=2)


def test_the_usable_cores_are_the_affinity_capped_by_a_cgroup_quota(tmp_path: Path) -> None:
    affinity = len(os.sched_getaffinity(0))
    quota = tmp_path / "cpu.max"
    quota.write_text("150000 100000\n")  # docker --cpus 1.5
    unlimited = tmp_path / "unlimited"
    unlimited.write_text("max 100000\n")

    absent = tmp_path / "absent"
    assert usable_cores(absent, absent) == affinity
    assert usable_cores(unlimited, absent) == affinity
    assert usable_cores(quota, absent) == min(affinity, 1.5)


def test_a_cgroup_v1_quota_caps_the_cores_too(tmp_path: Path) -> None:
    """Hosts on cgroup v1 (no cpu.max) give a container's `--cpus` as a CFS quota and period."""
    affinity = len(os.sched_getaffinity(0))
    quota, unlimited = tmp_path / "v1", tmp_path / "v1-unlimited"
    for folder, value in ((quota, "50000"), (unlimited, "-1")):  # docker --cpus 0.5; no quota
        folder.mkdir()
        (folder / "cpu.cfs_quota_us").write_text(f"{value}\n")
        (folder / "cpu.cfs_period_us").write_text("100000\n")
    no_v2 = tmp_path / "cpu.max"

    assert usable_cores(no_v2, quota) == 0.5
    assert usable_cores(no_v2, unlimited) == affinity
    assert usable_cores(no_v2, tmp_path / "absent") == affinity


def _limit_in_a_process(env: dict[str, str], cpu: int | None = None) -> int:
    """The setting in a fresh process, run on the one core `cpu` if given (as taskset or a cpuset would)."""
    pinned = f"import os; os.sched_setaffinity(0, {{{cpu}}}); " if cpu is not None else ""
    code = f"{pinned}import django; django.setup(); from django.conf import settings; "
    code += "print(settings.SHIMING_MAX_CAPTURE_SESSIONS)"
    without = (*SUITE_ONLY_VARIABLES, "SHIMING_")
    result = run_python(code, {"DJANGO_SETTINGS_MODULE": "config.settings.test", **env}, without=without, timeout=120)
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_the_setting_follows_the_cores_unless_it_is_set() -> None:
    assert _limit_in_a_process({"SHIMING_CAPTURES_PER_CORE": "3"}, cpu=0) == 3
    assert _limit_in_a_process({"SHIMING_CAPTURES_PER_CORE": "3"}) == 3 * len(os.sched_getaffinity(0))
    assert _limit_in_a_process({"SHIMING_MAX_CAPTURE_SESSIONS": "2"}, cpu=0) == 2
