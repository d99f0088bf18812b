"""The embedded Postgres stops with the last process holding it, also when the server was
restarted under that process (as tests/e2e/test_database_outage.py does to the e2e
platform's): otherwise it outlives `score up` and holds its data folder."""

import subprocess
import sys
from pathlib import Path

from benchmarks.processes import eventually
from tests.e2e.test_database_outage import start_database, stop_database

# A process holding the server, as `score up` does, until its stdin says stop.
HOLDER = """
import sys
from pathlib import Path
from shared.embedded_pg import start_embedded_server
start_embedded_server(Path(sys.argv[1]))
print("up", flush=True)
sys.stdin.readline()
"""


def postmaster_pid(pgdata: Path) -> int:
    return int((pgdata / "postmaster.pid").read_text().split()[0])


def test_a_server_restarted_under_its_holder_stops_when_the_holder_exits(tmp_path: Path) -> None:
    pgdata = tmp_path / "pgdata"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(pgdata)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None
    assert holder.stdout.readline() == "up\n"
    first = postmaster_pid(pgdata)
    stop_database(pgdata)
    start_database(pgdata)
    assert postmaster_pid(pgdata) != first  # another server process than the holder found
    # The first server's process may linger a moment after its pid file goes; while it does,
    # pgserver takes the server it found for running and stops whatever runs there now.
    assert eventually(lambda: not Path(f"/proc/{first}").exists(), timeout=120)

    holder.communicate("stop\n", timeout=120)
    left_running = (pgdata / "postmaster.pid").exists()  # removed once the server has stopped
    if left_running:
        stop_database(pgdata)

    assert holder.returncode == 0
    assert not left_running
