"""How long `score up` takes to a healthy gateway (its /readyz: every service ready, the graph
composed): first on a fresh data folder (initdb, migrations, reference data), then again on
the same, already-initialised folder.

    uv run python -m benchmarks.startup [--runs 2]

Each run prints the time to a healthy gateway, the CPU time `score up` and the processes it
started used from start to stop (the embedded Postgres aside), and when each step showed: the
embedded Postgres answering (the first database migrating or found at head), each service's
process imported, its application started (lifespan done) and ready.
"""

import argparse
import json
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

from benchmarks.processes import PROCESSES, Platform, prepare_platform, ready

STARTED = re.compile(r"Started server process \[(\d+)\]")


def _service_of(pid: str) -> str:
    """Which service a uvicorn process serves, from its command line (Linux), if it tells."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return f"process {pid}"
    found = re.search(r"services\.(\w+)\.app", command)
    return found.group(1) if found else f"process {pid}"


def _timestamped(stream: IO[str], started: float, lines: list[tuple[float, str]]) -> None:
    for line in stream:
        elapsed = time.monotonic() - started
        # Named now, while the process is alive to ask.
        if (match := STARTED.search(line)) and not line.startswith("{"):
            line = f"{_service_of(match.group(1))} imported, server process started"
        lines.append((elapsed, line.rstrip()))


def _milestones(lines: list[tuple[float, str]]) -> list[tuple[float, str]]:
    """The steps of `score up` its output tells: migrations, then each app's start-up."""
    found: list[tuple[float, str]] = []
    for elapsed, line in lines:
        if line.startswith("migrating ") or line.endswith(
            ("database at head", "server process started")
        ):
            found.append((elapsed, line))
        elif line.startswith("{"):
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("message") == "Application startup complete.":
                found.append((elapsed, f"{record.get('service')} application started"))
    return found


def run_once(platform: Platform, timeout: float = 180) -> tuple[float, list[tuple[float, str]]]:
    """`score up` until the gateway is healthy, then Ctrl-C; the seconds it took and when
    each step showed."""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "up"],
        env=platform.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[tuple[float, str]] = []
    assert process.stdout is not None
    reader = threading.Thread(
        target=_timestamped, args=(process.stdout, started, lines), daemon=True
    )
    reader.start()
    events: list[tuple[float, str]] = []
    waiting = set(PROCESSES)
    try:
        while waiting:
            if process.poll() is not None:
                raise RuntimeError("score up stopped:\n" + "\n".join(line for _, line in lines))
            if time.monotonic() - started > timeout:
                raise RuntimeError("the gateway never got healthy")
            # The services first: the gateway is ready only once they are.
            for name in sorted(waiting, key=lambda name: name == "gateway"):
                if ready(platform.urls[name]):
                    events.append((time.monotonic() - started, f"{name} /readyz 200"))
                    waiting.discard(name)
            time.sleep(0.05)
        healthy = time.monotonic() - started
        # Stopped only once `score up` says it is up: a Ctrl-C while it still polls its
        # services' readiness leaves them running without it.
        deadline = time.monotonic() + 60
        while not any("Entry point" in line for _, line in lines):
            if process.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    finally:
        # SIGTERM: from a backgrounded shell SIGINT is ignored (see benchmarks.processes).
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        reader.join(timeout=30)  # a service left running would hold the pipe open
    return healthy, sorted(_milestones(lines) + events)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=2, help="the first on a fresh folder")
    args = parser.parse_args()
    platform = prepare_platform(Path(tempfile.mkdtemp(prefix="score-startup-")))
    figures = []
    for number in range(1, args.runs + 1):
        folder = "fresh data folder" if number == 1 else "initialised data folder"
        load = os.getloadavg()[0]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        healthy, timeline = run_once(platform)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # CPU time barely depends on what else the machine runs, unlike the elapsed time.
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        figures.append(healthy)
        print(
            f"\nrun {number} ({folder}): healthy gateway after {healthy:.1f} s (load {load:.2f}); "
            f"CPU of score up and its processes, start to stop: {cpu:.1f} s",
            flush=True,
        )
        for elapsed, step in timeline:
            print(f"  {elapsed:6.1f} s  {step}")
    print("\nscore up to a healthy gateway: " + ", ".join(f"{s:.1f} s" for s in figures))


if __name__ == "__main__":
    main()
