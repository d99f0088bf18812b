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

from shared.identity import Principal, issue_token
from shared.keys import SigningKey, development_key
from shared.settings import IDENTITY_KEY_NAME, Environment, PlatformSettings

PROCESSES = ("gateway", "enrolment", "indicators", "reporting")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Platform:
    urls: dict[str, str]
    env: dict[str, str]
    log: Path
    data_dir: Path
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

    def identity_headers(self, principal: Principal, *, graph: bool = False) -> dict[str, str]:
        """A service reached directly, with a token signed as the gateway signs it (the
        development key under the data folder; ``graph`` for a subgraph's /graphql)."""
        settings = PlatformSettings(environment=Environment.development, data_dir=self.data_dir)
        key = SigningKey.of(development_key(self.data_dir, IDENTITY_KEY_NAME))
        audience = settings.identity_graph_audience if graph else settings.identity_audience
        token = issue_token(principal, key, settings, audience=audience)
        return {"Authorization": f"Bearer {token}"}

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


def platform_env(data_dir: Path, ports: dict[str, int], **extra_env: str) -> dict[str, str]:
    """The environment of `score` commands for a platform under ``data_dir``, every process
    on its port of ``ports``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not (name.startswith("SCORE_") and name.endswith("_URL"))
    }
    env |= {
        "SCORE_DATA_DIR": str(data_dir),
        "SCORE_ENVIRONMENT": "development",
    }
    env |= {f"SCORE_{name.upper()}_PORT": str(port) for name, port in ports.items()}
    return env | extra_env


@contextmanager
def running_platform(data_dir: Path, **extra_env: str) -> Iterator[Platform]:
    """`score seed --demo` and `score up` under ``data_dir``; stopped (SIGINT) on exit."""
    # Every process on a free port, so nothing meets a platform already running.
    ports = {name: free_port() for name in PROCESSES}
    env = platform_env(data_dir, ports, **extra_env)
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    log = data_dir / "up.log"
    platform = Platform(urls=urls, env=env, log=log, data_dir=data_dir)
    seeded = platform.score("seed", "--demo")
    if seeded.returncode != 0:
        raise RuntimeError(f"score seed --demo failed: {seeded.stdout}{seeded.stderr}")
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "up"],
            env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            for name in PROCESSES:
                wait_until(partial(ready, urls[name]), process, log)
            yield platform
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                raise


def eventually(condition: Callable[[], bool], *, timeout: float = 30) -> bool:
    """Poll a condition that other processes make true (a consumer catching up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()
