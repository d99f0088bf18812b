"""`score up` relays each process's output named after it, whole lines, in order, and keeps
the last lines to show if the process fails to start: also a last line without its line
break, and lines that arrive in one burst or split across reads."""

import subprocess
import sys

import pytest

from services import cli
from services.registry import SERVICES

# Lines of a process that logs faster than the relay reads, then ends mid-line.
CHILD = r"""
import sys, time
for number in range(40):
    sys.stdout.write(f"line {number}\n")
    if number % 7 == 0:
        sys.stdout.flush()
        time.sleep(0.03)
sys.stdout.write("half a li")
sys.stdout.flush()
time.sleep(0.05)
sys.stdout.write("ne \xe9")
"""


def test_output_is_relayed_line_by_line_named_after_its_process(
    capsys: pytest.CaptureFixture[str],
) -> None:
    service = SERVICES[0]
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    started = cli.Started(service, 0, process)
    process.wait(timeout=60)
    started.relay.join(timeout=60)

    expected = [f"line {number}" for number in range(40)] + ["half a line \xe9"]
    relayed = capsys.readouterr().out.splitlines()
    assert relayed == [f"{service.name} | {line}" for line in expected]
    assert list(started.tail) == expected[-cli.LOG_TAIL_LINES :]
