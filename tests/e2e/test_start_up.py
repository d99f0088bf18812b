"""`score up` on a slow machine: a process that keeps working is waited for however long it
takes (the others, ready, keep running), the slow one is named with its last log line; one
that makes no progress at all is reported with the tail of its log.

The slowness is real: a ``sitecustomize`` found only by these tests' processes holds one
service back before it starts, writing a line each second (or, stuck, nothing)."""

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from benchmarks.processes import PROCESSES, free_port, platform_env, ready, stop_process_group

SLOW_START = """
import os, time
_target = os.environ.get("SCORE_TEST_SLOW_APP", "").encode()
if _target and _target in open("/proc/self/cmdline", "rb").read():
    print("slow start: warming caches", flush=True)
    if os.environ.get("SCORE_TEST_HANG") == "1":
        time.sleep(3600)  # stuck: no output, no CPU time
    _end = time.monotonic() + float(os.environ.get("SCORE_TEST_SLOW_SECONDS", "0"))
    while time.monotonic() < _end:
        time.sleep(1)
        print("slow start: still warming", flush=True)
"""
# Longer than a wait with no progress is allowed, so only progress can carry it through.
SLOW_SECONDS = 24
READY_TIMEOUT = 8


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("start-up")


class Up:
    def __init__(self, data_dir: Path, log: Path, **extra: str) -> None:
        wrapper = data_dir / "wrapper"
        wrapper.mkdir(exist_ok=True)
        (wrapper / "sitecustomize.py").write_text(SLOW_START)
        self.ports = {name: free_port() for name in PROCESSES}
        env = platform_env(
            data_dir, self.ports, SCORE_LOG_FORMAT="text", PYTHONPATH=str(wrapper), **extra
        )
        self.log = log
        with log.open("w") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "services.cli", "up"],
                env=env, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def until(self, condition: Callable[[], bool]) -> None:
        """Wait for what `score up` says or does; a generous ceiling only against a hang."""
        deadline = time.monotonic() + 900
        while not condition():
            assert time.monotonic() < deadline, self.output()
            time.sleep(0.5)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def stop(self) -> None:
        # SIGTERM: a shell running the tests in the background starts them with SIGINT
        # ignored, and a `score up` that never heard it left its services running.
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        stop_process_group(self.process)


@pytest.fixture
def slow_reporting(data_dir: Path) -> Iterator[Up]:
    up = Up(
        data_dir,
        data_dir / "slow.log",
        SCORE_TEST_SLOW_APP="services.serving:reporting",
        SCORE_TEST_SLOW_SECONDS=str(SLOW_SECONDS),
        SCORE_UP_READY_TIMEOUT=str(READY_TIMEOUT),
    )
    try:
        yield up
    finally:
        up.stop()


def test_a_slow_process_that_keeps_working_is_waited_for(slow_reporting: Up) -> None:
    up = slow_reporting
    up.until(lambda: "Entry point" in up.output() or up.process.poll() is not None)
    output = up.output()
    assert up.process.poll() is None, output
    # The slow one was named while the others waited for it, with its latest line.
    assert "still waiting for reporting" in output
    assert "slow start: still warming" in output
    # It took longer than a wait without progress may last, and was not given up on.
    assert "reporting ready after" in output
    for name in PROCESSES:
        assert ready(up.url(name)), name
    enterprises = httpx.get(f"{up.url('gateway')}/healthz", timeout=30)
    assert enterprises.status_code == 200


def test_a_process_that_makes_no_progress_is_named_with_its_log_tail(data_dir: Path) -> None:
    up = Up(
        data_dir,
        data_dir / "stuck.log",
        SCORE_TEST_SLOW_APP="services.serving:indicators",
        SCORE_TEST_HANG="1",
        SCORE_UP_READY_TIMEOUT="5",
    )
    try:
        up.until(lambda: up.process.poll() is not None)
    finally:
        up.stop()
    output = up.output()
    assert up.process.returncode == 1, output
    assert "indicators made no progress for 5 s and is not ready" in output
    # Its log tail, to see where it stopped.
    tail = output.split("indicators made no progress", 1)[1]
    assert "slow start: warming caches" in tail
    # Nothing is left behind.
    for name in PROCESSES:
        assert not ready(up.url(name)), name
