"""The platform as real processes, for benchmarks and end-to-end tests alike: `score seed
--demo` then `score up` on a fresh embedded Postgres, every process on a free port, and API
keys made with `score keys create` the way an operator makes them."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

PROCESSES = ("gateway", "enrolment", "indicators", "reporting")
DEVELOPMENT_SECRET = "development-only-identity-secret-change-me"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Platform:
    urls: dict[str, str]
    env: dict[str, str]
    log: Path
    # `score up`'s process id while it runs; its children are the services.
    process_id: int | None = None
    _keys: dict[tuple[Any, ...], str] = field(default_factory=dict)

    @property
    def gateway(self) -> str:
        return self.urls["gateway"]

    @property
    def enrolment(self) -> str:
        return self.urls["enrolment"]

    @property
    def indicators(self) -> str:
        return self.urls["indicators"]

    @property
    def reporting(self) -> str:
        return self.urls["reporting"]

    def score(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "services.cli", *arguments],
            env=self.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    def api_key(
        self,
        role: str,
        *,
        org: UUID | str | None = None,
        project: UUID | str | None = None,
        enterprise: UUID | str | None = None,
        scopes: tuple[str, ...] = (),
        name: str = "e2e",
    ) -> str:
        """A key made by `score keys create`, as an operator hands one to a partner."""
        cache_key = (role, str(org), str(project), str(enterprise), scopes, name)
        if cache_key not in self._keys:
            arguments = ["keys", "create", "--role", role, "--name", name]
            for scope in scopes:
                arguments += ["--scope", scope]
            for option, value in (("--org", org), ("--project", project)):
                if value is not None:
                    arguments += [option, str(value)]
            if enterprise is not None:
                arguments += ["--enterprise", str(enterprise)]
            created = self.score(*arguments)
            if created.returncode != 0:
                raise RuntimeError(f"score keys create failed: {created.stdout}{created.stderr}")
            self._keys[cache_key] = created.stdout.strip().splitlines()[-1]
        return self._keys[cache_key]


def ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def wait_until(
    condition: Callable[[], bool],
    process: subprocess.Popen[bytes],
    log: Path,
    *,
    timeout: float = 180,
) -> None:
    """Poll until ``condition`` holds; fail with the platform's log if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("score up stopped:\n" + log.read_text())
        if condition():
            return
        time.sleep(0.3)
    raise RuntimeError("the platform never got ready:\n" + log.read_text())


def prepare_platform(data_dir: Path, **extra_env: str) -> Platform:
    """Where each process of a platform under ``data_dir`` will listen (free ports) and the
    environment `score` runs with; nothing started yet."""
    ports = {name: free_port() for name in PROCESSES}
    env = {
        name: value
        for name, value in os.environ.items()
        if not (name.startswith("SCORE_") and name.endswith("_URL"))
    }
    env |= {
        "SCORE_DATA_DIR": str(data_dir),
        "SCORE_ENVIRONMENT": "development",
        "SCORE_IDENTITY_SECRET": DEVELOPMENT_SECRET,
    }
    # Every process on a free port, so nothing meets a platform already running.
    env |= {f"SCORE_{name.upper()}_PORT": str(port) for name, port in ports.items()}
    env |= extra_env
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    return Platform(urls=urls, env=env, log=data_dir / "up.log")


@contextmanager
def running_platform(data_dir: Path, **extra_env: str) -> Iterator[Platform]:
    """`score seed --demo` and `score up` under ``data_dir``; stopped (SIGINT) on exit."""
    platform = prepare_platform(data_dir, **extra_env)
    seeded = platform.score("seed", "--demo")
    if seeded.returncode != 0:
        raise RuntimeError(f"score seed --demo failed: {seeded.stdout}{seeded.stderr}")
    log = platform.log
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "up"],
            env=platform.env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
        platform.process_id = process.pid
        try:
            for name in PROCESSES:
                wait_until(partial(ready, platform.urls[name]), process, log)
            yield platform
        finally:
            platform.process_id = None
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                raise


def _stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat from field 3 on (the command name may hold spaces)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2 :].split()


def _children(parent: int) -> dict[int, str]:
    """The processes ``parent`` started, with their command lines (Linux /proc)."""
    children: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if int(_stat_fields(int(entry.name))[1]) == parent:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
                children[int(entry.name)] = command.decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
    return children


def service_pids(platform: Platform) -> dict[str, int]:
    """The process serving each service of a running platform, read from /proc (Linux);
    empty where there is no /proc."""
    if platform.process_id is None or not Path("/proc").is_dir():
        return {}
    return {
        name: pid
        for pid, command in _children(platform.process_id).items()
        for name in PROCESSES
        if f"services.{name}.app" in command
    }


def postgres_pids(platform: Platform) -> list[int]:
    """The embedded Postgres server's processes (the postmaster and its backends)."""
    pid_file = Path(platform.env["SCORE_DATA_DIR"]) / "pgdata" / "postmaster.pid"
    try:
        postmaster = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return []
    return [postmaster, *_children(postmaster)]


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) a process has used so far (Linux /proc); 0 once gone."""
    try:
        fields = _stat_fields(pid)
    except OSError:
        return 0.0
    # utime and stime: fields 14 and 15 of stat, in clock ticks.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def eventually(condition: Callable[[], bool], *, timeout: float = 30) -> bool:
    """Poll a condition that other processes make true (a consumer catching up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()
