"""The command line: the layouts to start (or the servers to use), the sweep of tablet counts, the
warm-up, the leak check and the idle diagnostics around the measured runs."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import bench.load
from bench.load.camera import PAGE_MAX_BITRATE, TABLET_FPS, make_document_card
from bench.load.monitor import ProcMonitor, diagnostics, load_average
from bench.load.report import flat_row, print_table, summarize
from bench.load.server import serve, tracemalloc_depth
from bench.load.stack import (
    ALLOCATORS,
    LOAD_DATABASE,
    LOAD_REDIS,
    PROJECT_ROOT,
    prepare_database,
    require_preloadable,
    stack_env,
    start_stack,
    web_process_env,
)
from bench.load.tablet import Load, RunPlan, SessionResult, run_tablets

DEMO_USER, DEMO_PASSWORD = "clerk", "shiming-demo"


def testdata_root() -> Path:
    return Path(os.environ.get("SHIMING_TESTDATA", str(PROJECT_ROOT.parent / "shared" / "testdata"))).resolve()


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=bench.load.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", action="append", default=[], help="target server (repeat: tablets round-robin)")
    parser.add_argument("--server-pids", default="", help="pids of servers you started (CPU/RSS from /proc)")
    parser.add_argument("--layouts", default="", help="start the servers: WEBxWORKERS list, e.g. 1x1,2x1,1x2")
    parser.add_argument("--tablets", default="2", help="concurrent tablets; a list sweeps: 1,2,4")
    parser.add_argument("--sessions", type=int, default=10, help="sessions per tablet count")
    parser.add_argument("--rate", type=float, default=0.0, help="new sessions per second (0: no pacing)")
    parser.add_argument("--fps", type=float, default=TABLET_FPS, help="frames a second each tablet sends")
    parser.add_argument("--seed", type=int, default=0, help="the customers' reaction delays")
    parser.add_argument("--max-bitrate", type=int, default=PAGE_MAX_BITRATE, help="tablet encoder ceiling, bit/s")
    parser.add_argument("--codec", default="", choices=["", "VP8", "H264"], help="the only codec tablets offer")
    parser.add_argument("--max-seconds", type=float, default=900, help="bound of each run")
    parser.add_argument("--max-captures", type=int, default=3, help="SHIMING_MAX_CAPTURE_SESSIONS of started servers")
    parser.add_argument(
        "--allocator",
        default="production",
        choices=ALLOCATORS,
        help="the started web servers' malloc: docker/web.env's, as in production, or glibc's",
    )
    parser.add_argument("--warmup", type=int, default=1, help="sessions run first and not counted")
    parser.add_argument("--busy-retries", type=int, default=3)
    parser.add_argument("--username", default=DEMO_USER)
    parser.add_argument("--password", default=DEMO_PASSWORD)
    parser.add_argument("--database-url", default=f"postgres://postgres@127.0.0.1:5432/{LOAD_DATABASE}")
    parser.add_argument("--redis-url", default=LOAD_REDIS)
    parser.add_argument("--leak-check", type=int, default=0, help="RSS after this many sessions vs after the run")
    parser.add_argument("--settle-seconds", type=float, default=30, help="idle time before the after-run RSS")
    parser.add_argument("--json", type=Path, default=None, help="write every figure here")
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    if argv[:1] == ["serve"]:
        serve(int(argv[argv.index("--port") + 1]))
        return 0
    args = parse_args(argv)
    tracemalloc_depth()  # a bad value stops here, before any server starts
    web_extra = web_process_env(args.allocator) if args.layouts else {}
    require_preloadable(web_extra)  # so does a missing allocator
    # Stopped with a signal (kill, a time limit): end as on Ctrl-C, through the `finally` that stops the
    # servers and workers this run started. Left running, a stopped run's workers took the next
    # run's tasks (docs/capacity.md, the caveat of the first 1,000-session run).
    signal.signal(signal.SIGTERM, _interrupt)
    if not args.layouts and not args.url:
        raise SystemExit("give --url (servers you run) or --layouts (servers this script starts)")
    for url in args.url:
        if urlsplit(url).hostname not in {"127.0.0.1", "localhost", "::1"}:
            raise SystemExit(f"loopback only: {url}")
    from bench.actors.customer import ENCODED_FOOTAGE, footage

    frames = footage(testdata_root(), ENCODED_FOOTAGE)
    with tempfile.TemporaryDirectory(prefix="shiming-load-") as scratch:
        card = make_document_card(Path(scratch))
        load = Load(
            card,
            args.username,
            args.password,
            args.fps,
            args.max_bitrate,
            args.seed,
            busy_retries=args.busy_retries,
            codec=args.codec,
        )
        offered = args.codec or "any (VP8 first; H.264 first for a light step)"
        print(
            f"customer {ENCODED_FOOTAGE.clip} ({len(frames)} frames) at {args.fps:g} fps,"
            f" <= {args.max_bitrate // 1000} kbit/s"
        )
        print(f"video codec offered: {offered}")
        print(f"machine: {os.cpu_count()} cores")
        report = run_layouts(args, load, Path(scratch), web_extra) if args.layouts else run_external(args, load)
    print_table(report["rows"])
    for extra in ("leak_check", "idle", "web_thread_cpu_s"):
        if extra in report:
            print(f"{extra}: {json.dumps(report[extra])}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
        print(f"figures written to {args.json}")
    return 0


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def tablet_counts(args: argparse.Namespace) -> list[int]:
    return [int(value) for value in args.tablets.split(",") if value]


def run_external(args: argparse.Namespace, load: Load) -> dict[str, Any]:
    pids = {int(pid): "web" for pid in args.server_pids.split(",") if pid}
    return sweep(args, load, args.url, pids, None, "external")


def run_layouts(args: argparse.Namespace, load: Load, scratch: Path, web_extra: dict[str, str]) -> dict[str, Any]:
    report: dict[str, Any] = {"rows": [], "layouts": {}}
    for layout in args.layouts.split(","):
        web, workers = (int(part) for part in layout.lower().split("x"))
        logs = Path(tempfile.mkdtemp(prefix=f"shiming-load-{layout}-"))
        diag = scratch / f"diag-{layout}"
        diag.mkdir()
        env = stack_env(args.database_url, args.redis_url, args.max_captures, diag)
        prepare_database(args.database_url, args.redis_url, env)
        print(f"layout {layout}: starting {web} Daphne and {workers} Celery worker(s); logs in {logs}")
        stack = start_stack(web, workers, env, logs, web_extra)
        try:
            part = sweep(args, load, stack.urls, stack.pids(), diag, layout)
        finally:
            stack.stop()
        report["rows"] += part.pop("rows")
        report["layouts"][layout] = part
        for key in ("leak_check", "idle", "web_thread_cpu_s"):
            if key in part:
                report[key] = part[key]
    return report


def sweep(
    args: argparse.Namespace, load: Load, urls: list[str], pids: dict[int, str], diag: Path | None, layout: str
) -> dict[str, Any]:
    report: dict[str, Any] = {"rows": [], "runs": []}
    web_pids = [pid for pid, role in pids.items() if role == "web"]
    if args.warmup:
        # One warm-up tablet per server: every process loads its models before the measured runs.
        warm = RunPlan(urls, len(urls), args.warmup * len(urls), 0, args.max_seconds)
        warm_results, _ = asyncio.run(run_tablets(warm, load))
        print(f"warm-up: {[(r.outcome, r.reason) for r in warm_results]}", flush=True)
        time.sleep(3)
    report["idle_before"] = [diagnostics(pid, diag) for pid in web_pids]
    for tablets in tablet_counts(args):
        monitor = ProcMonitor(pids).start() if pids else None
        plan = RunPlan(urls, tablets, args.sessions, args.rate, args.max_seconds)
        rss_marks: dict[str, float] = {}

        load1 = load_average()
        print(f"{layout}: {tablets} tablet(s), {args.sessions} sessions; uptime load1 {load1}", flush=True)
        client_cpu = time.process_time()
        results, wall = asyncio.run(run_tablets(plan, load, on_result=_rss_marker(args.leak_check, monitor, rss_marks)))
        client_cpu = time.process_time() - client_cpu
        if monitor is not None:
            monitor.stop()
        summary = summarize(results, wall, monitor)
        summary["client_cpu_percent"] = round(100 * client_cpu / wall, 1)  # the tablets share the cores
        row = flat_row(layout, tablets, summary, load1)
        report["rows"].append(row)
        report["runs"].append(
            {"tablets": tablets, "summary": summary, "sessions": [asdict(r) for r in results], "rss": rss_marks}
        )
        if args.leak_check and monitor is not None:
            rss_marks["just_after_run_mib"] = monitor.rss_total("web")
            time.sleep(args.settle_seconds)  # idle: let the last captures' buffers go back
            rss_marks["after_run_mib"] = monitor.rss_total("web")
            first = rss_marks.get(f"after_{args.leak_check}_sessions_mib")
            if first:
                rss_marks["after_run_vs_first_percent"] = round(100 * (rss_marks["after_run_mib"] / first - 1), 1)
            report["leak_check"] = {"layout": layout, "tablets": tablets, **rss_marks}
            if monitor.samples:
                report["runs"][-1]["samples"] = [asdict(s) for s in monitor.samples]
    report["idle_after"] = settle(web_pids, diag, report["idle_before"])
    report["idle"] = {"before": report["idle_before"], "after": report["idle_after"]}
    pairs = zip(report["idle_before"], report["idle_after"], strict=True)
    report["web_thread_cpu_s"] = [_thread_cpu_delta(before, after) for before, after in pairs]
    return report


def _thread_cpu_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, float]:
    """CPU seconds by thread group of one web process between two diagnostics (the measured runs)."""
    first, last = before.get("thread_cpu_seconds") or {}, after.get("thread_cpu_seconds") or {}
    return {group: round(last[group] - first.get(group, 0.0), 1) for group in last}


def _rss_marker(after: int, monitor: ProcMonitor | None, marks: dict[str, float]) -> Any:
    count = [0]

    def on_result(result: SessionResult) -> None:
        count[0] += 1
        if monitor is None or not after:
            return
        if count[0] == after:
            marks[f"after_{after}_sessions_mib"] = monitor.rss_total("web")
        if count[0] % after == 0:  # the trend: a leak climbs from block to block, a cache does not
            marks[f"at_{count[0]}_sessions_mib"] = monitor.rss_total("web")

    return on_result


def settle(
    pids: list[int], diag: Path | None, before: list[dict[str, Any]], seconds: float = 20
) -> list[dict[str, Any]]:
    """Diagnostics once the servers are idle again (waits up to `seconds` for the counts to fall)."""
    deadline = time.monotonic() + seconds
    while True:
        after = [diagnostics(pid, diag) for pid in pids]
        idle = all(
            entry.get("peer_connections_open", 0) == 0
            and entry.get("capture_slots_reserved", 0) == 0
            and entry.get("asyncio_tasks", 0) <= base.get("asyncio_tasks", 0)
            for entry, base in zip(after, before, strict=True)
        )
        if idle or time.monotonic() > deadline:
            return after
        time.sleep(2)
