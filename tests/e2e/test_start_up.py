"""`score up` on a slow machine: a process that keeps working is waited for however long it
takes (the others, ready, keep running), the slow one is named with its last log line; one
that makes no progress at all is reported with the tail of its log.

The slowness is real: a ``sitecustomize`` found only by these tests' processes holds one
service back before it starts, writing a line each second (or, stuck, nothing). The slow one is
held until the test has seen what it waits for, not for a fixed time: long enough on a loaded
machine, no longer on a quiet one."""

import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from benchmarks.processes import PROCESSES, free_port, platform_env, ready, stop_process_group
from tests.e2e.demo_template import demo_data_folder

SLOW_START = """
import os, time
_target = os.environ.get("SCORE_TEST_SLOW_APP", "").encode()
if _target and _target in open("/proc/self/cmdline", "rb").read():
    print("slow start: warming caches", flush=True)
    if os.environ.get("SCORE_TEST_HANG") == "1":
        time.sleep(3600)  # stuck: no output, no CPU time
    # Warm until the test makes this file (a ceiling, should the test never make it).
    _release = os.environ.get("SCORE_TEST_SLOW_UNTIL", "")
    _ceiling = time.monotonic() + 900
    while _release and not os.path.exists(_release) and time.monotonic() < _ceiling:
        time.sleep(1)
        print("slow start: still warming", flush=True)
"""
# The wait `score up` allows a process that shows no progress, in both tests. The stuck test
# shows other processes are not called stuck meanwhile, even on a loaded machine.
READY_TIMEOUT = 5
# The slow process is held at least this long: longer than a wait with no progress is
# allowed, so only its progress can carry it through.
HELD_SECONDS = 2 * READY_TIMEOUT


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # A copy of the run's seeded demo folder: what a slow start costs is the subject here,
    # not a first initdb and migration (tests/e2e/test_score_up.py starts from nothing).
    return demo_data_folder(tmp_path_factory, "start-up")


class Up:
    def __init__(self, data_dir: Path, log: Path, **extra: str) -> None:
        wrapper = data_dir / "wrapper"
        wrapper.mkdir(exist_ok=True)
        (wrapper / "sitecustomize.py").write_text(SLOW_START)
        self.ports = {name: free_port() for name in PROCESSES}
        env = platform_env(
            data_dir,
            self.ports,
            SCORE_LOG_FORMAT="text",
            PYTHONPATH=str(wrapper),
            # Stopped within a second, not the default 3 s its consumers' long polls hold.
            SCORE_GRACEFUL_SHUTDOWN_SECONDS="1",
            **extra,
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
        SCORE_TEST_SLOW_UNTIL=str(data_dir / "reporting-may-start"),
        SCORE_UP_READY_TIMEOUT=str(READY_TIMEOUT),
    )
    try:
        yield up
    finally:
        up.stop()


def held_long_enough(up: Up) -> bool:
    """`score up` has named reporting as the one it still waits for, and reporting has been
    warming (a line a second) for longer than a wait without progress may last."""
    output = up.output()
    warmed = output.count("reporting | slow start: still warming")
    return "still waiting for reporting" in output and warmed >= HELD_SECONDS


def test_a_slow_process_that_keeps_working_is_waited_for(
    slow_reporting: Up, data_dir: Path
) -> None:
    up = slow_reporting
    up.until(lambda: held_long_enough(up) or up.process.poll() is not None)
    assert up.process.poll() is None, up.output()
    (data_dir / "reporting-may-start").touch()
    up.until(lambda: "Entry point" in up.output() or up.process.poll() is not None)
    output = up.output()
    assert up.process.poll() is None, output
    # The slow one was named while the others waited for it, with its latest line.
    assert re.search(r"still waiting for reporting.*last line: slow start: still warming", output)
    # It took longer than a wait without progress may last, and was not given up on.
    ready_after = re.search(r"reporting ready after (\d+) s", output)
    assert ready_after is not None, output
    assert int(ready_after.group(1)) > READY_TIMEOUT, output
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
        SCORE_UP_READY_TIMEOUT=str(READY_TIMEOUT),
    )
    try:
        up.until(lambda: up.process.poll() is not None)
    finally:
        up.stop()
    output = up.output()
    assert up.process.returncode == 1, output
    assert f"indicators made no progress for {READY_TIMEOUT} s and is not ready" in output
    # Its log tail, to see where it stopped.
    tail = output.split("indicators made no progress", 1)[1]
    assert "slow start: warming caches" in tail
    # Nothing is left behind.
    for name in PROCESSES:
        assert not ready(up.url(name)), name
