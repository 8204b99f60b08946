"""The figures of a run: outcomes, decision latency, frames, CPU per capture-second, RSS, as a JSON
summary and a table."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

from bench.load.monitor import ProcMonitor, Sample
from bench.load.tablet import SessionResult


def percentile(values: Sequence[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def summarize(results: list[SessionResult], wall_s: float, monitor: ProcMonitor | None) -> dict[str, Any]:
    latencies = [r.latency_s for r in results if r.latency_s is not None]
    analysed = [r.frames_analysed for r in results if r.frames_analysed is not None]
    received = [r.frames_received for r in results if r.frames_received is not None]
    capture_s = sum(r.capture_seconds for r in results)
    reasons: dict[str, int] = {}
    for result in results:
        if result.outcome == "failed":
            reasons[result.reason] = reasons.get(result.reason, 0) + 1
    summary: dict[str, Any] = {
        "sessions": len(results),
        "decided": sum(r.outcome == "decided" for r in results),
        "liveness_failed": sum(r.outcome == "liveness_failed" for r in results),
        "retried": sum(r.attempts > 1 for r in results),
        "failed": sum(r.outcome == "failed" for r in results),
        "failure_reasons": reasons,
        "decisions": _count(r.reason for r in results if r.outcome != "failed"),
        "busy_refusals": sum(r.busy_refusals for r in results),
        "busy_refusals_clean": all(r.busy_clean for r in results),
        "left_running": sum(r.state in {"liveness_running", "matching", "liveness_passed"} for r in results),
        "wall_s": round(wall_s, 1),
        "latency_p50_s": _round(percentile(latencies, 0.5)),
        "latency_p95_s": _round(percentile(latencies, 0.95)),
        "latency_max_s": _round(max(latencies) if latencies else None),
        "frames_analysed_per_session": _round(sum(analysed) / len(analysed) if analysed else None),
        "frames_dropped_by_budget_per_session": _round(
            (sum(received) - sum(analysed)) / len(analysed) if analysed and len(received) == len(analysed) else None
        ),
        "frames_analysed_per_s": _round(sum(analysed) / wall_s if wall_s else None),
        "mean_concurrent_captures": _round(capture_s / wall_s if wall_s else None),
        "client_frames_sent": sum(r.frames_sent for r in results),
    }
    if monitor is not None:
        summary["server"] = _server_summary(monitor.samples)
        summary["capture_s"] = round(capture_s, 1)
        for role in ("web", "worker"):
            cpu = monitor.cpu_seconds_total(role)
            summary[f"{role}_cpu_s"] = round(cpu, 1)
            # The share of a core one concurrent capture costs (the target: web <= 0.2).
            summary[f"{role}_cpu_per_capture"] = _round(cpu / capture_s if capture_s else None)
    return summary


def _server_summary(samples: list[Sample]) -> dict[str, Any]:
    by_pid: dict[int, list[Sample]] = {}
    for sample in samples:
        by_pid.setdefault(sample.pid, []).append(sample)
    summary = {}
    for pid, rows in by_pid.items():
        cpu = [row.cpu_percent for row in rows[1:]] or [0.0]
        summary[str(pid)] = {
            "role": rows[0].role,
            "cpu_mean_percent": round(sum(cpu) / len(cpu), 1),
            "cpu_max_percent": max(cpu),
            "rss_first_mib": round(rows[0].rss_mib),
            "rss_last_mib": round(rows[-1].rss_mib),
            "rss_max_mib": round(max(row.rss_mib for row in rows)),
            "threads_last": rows[-1].threads,
        }
    return summary


def _count(items: Iterator[str] | Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def print_table(rows: list[dict[str, Any]]) -> None:
    columns = [
        ("layout", "layout"),
        ("tablets", "tablets"),
        ("sessions", "n"),
        ("decided", "decided"),
        ("liveness_failed", "live_fail"),
        ("retried", "retried"),
        ("failed", "failed"),
        ("busy_refusals", "busy"),
        ("latency_p50_s", "p50_s"),
        ("latency_p95_s", "p95_s"),
        ("latency_max_s", "max_s"),
        ("frames_analysed_per_session", "fr/sess"),
        ("frames_dropped_by_budget_per_session", "drop/sess"),
        ("frames_analysed_per_s", "fr/s"),
        ("mean_concurrent_captures", "conc"),
        ("web_cpu_percent", "web_cpu%"),
        ("web_cpu_per_capture", "web/capt"),
        ("worker_cpu_per_capture", "wrk/capt"),
        ("worker_cpu_percent", "wrk_cpu%"),
        ("web_rss_mib", "web_rss"),
        ("client_cpu_percent", "tab_cpu%"),
        ("uptime_load1", "load1"),
    ]
    print(" ".join(f"{title:>9}" for _, title in columns))
    for row in rows:
        print(" ".join(f"{_cell(row.get(key)):>9}" for key, _ in columns))
    for row in rows:
        if row.get("failure_reasons"):
            print(f"  {row['layout']} tablets={row['tablets']} failures: {row['failure_reasons']}")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}" if value < 100 else f"{value:.0f}"
    return str(value)


def flat_row(layout: str, tablets: int, summary: dict[str, Any], load1: float) -> dict[str, Any]:
    row = {"layout": layout, "tablets": tablets, "uptime_load1": load1, **summary}
    server = summary.get("server", {})
    for role in ("web", "worker"):
        entries = [entry for entry in server.values() if entry["role"] == role]
        row[f"{role}_cpu_percent"] = round(sum(entry["cpu_mean_percent"] for entry in entries), 1) if entries else None
        row[f"{role}_rss_mib"] = sum(entry["rss_last_mib"] for entry in entries) if entries else None
    return row
