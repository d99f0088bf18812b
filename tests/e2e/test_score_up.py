"""The README's first command, for real: `score seed --demo` then `score up` as processes,
on a fresh embedded Postgres, then the demo data read back over HTTP."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx
import pytest

from shared.enums import Role
from shared.identity import Principal, issue_token
from shared.settings import PlatformSettings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Platform:
    enrolment: str
    indicators: str


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    data_dir = tmp_path_factory.mktemp("score-data")
    port, indicators_port = free_port(), free_port()
    env = {
        **os.environ,
        "SCORE_DATA_DIR": str(data_dir),
        "SCORE_ENVIRONMENT": "development",
    }
    for name in list(env):
        if name.endswith(("_DATABASE_URL", "_ENROLMENT_URL", "_INDICATORS_URL", "_REPORTING_URL")):
            env.pop(name)
    # Every process on a free port, so the test never meets a platform already running.
    env |= {
        "SCORE_ENROLMENT_PORT": str(port),
        "SCORE_INDICATORS_PORT": str(indicators_port),
        "SCORE_REPORTING_PORT": str(free_port()),
        "SCORE_GATEWAY_PORT": str(free_port()),
    }
    seeded = subprocess.run(
        [sys.executable, "-m", "services.cli", "seed", "--demo"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    log = Path(data_dir) / "up.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "up"],
            env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
        platform = Platform(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{indicators_port}")
        try:
            for base in (platform.enrolment, platform.indicators):
                wait_until(partial(ready, base), process, log)
            yield platform
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                raise


def ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def wait_until(condition: Callable[[], bool], process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll until ``condition`` holds; fail with the platform's log if it never does."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        if condition():
            return
        time.sleep(0.3)
    pytest.fail("the platform never got there:\n" + log.read_text())


def ilo_headers() -> dict[str, str]:
    token = issue_token(Principal(subject="e2e", role=Role.ilo_global), PlatformSettings())
    return {"Authorization": f"Bearer {token}"}


def test_score_up_serves_the_demo_data(platform: Platform) -> None:
    enterprises = httpx.get(
        f"{platform.enrolment}/enterprises?limit=500", headers=ilo_headers()
    ).json()
    countries = {e["country"] for e in enterprises["items"]}
    assert {"PK", "GH", "MU"} <= countries
    organisations = httpx.get(f"{platform.enrolment}/organisations", headers=ilo_headers()).json()
    names = {o["short_name"] for o in organisations["items"]}
    assert {"EFP", "MDPI", "NPCC"} <= names


def test_score_up_refuses_requests_without_a_token(platform: Platform) -> None:
    for url in (f"{platform.enrolment}/enterprises", f"{platform.indicators}/replica/status"):
        response = httpx.get(url)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"


def test_indicators_replicates_enrolment_over_real_http(platform: Platform) -> None:
    """The indicators process consumes the enrolment process's feed until it has caught up."""

    def caught_up() -> bool:
        response = httpx.get(f"{platform.indicators}/replica/status", headers=ilo_headers())
        if response.status_code != 200:
            return False
        status = response.json()
        return bool(status["position"] > 0 and status["lag"] == 0)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not caught_up():
        time.sleep(0.3)
    assert caught_up()


def test_score_up_loads_the_standard_indicator_set(platform: Platform) -> None:
    response = httpx.get(f"{platform.indicators}/indicators?limit=500", headers=ilo_headers())
    assert response.status_code == 200, response.text
    kinds = [indicator["kind"] for indicator in response.json()["items"]]
    assert sum(kind == "yes_no" for kind in kinds) >= 8
    assert sum(kind != "yes_no" for kind in kinds) >= 12


def test_demo_indicator_values_are_served(platform: Platform) -> None:
    response = httpx.get(
        f"{platform.indicators}/values",
        params={"indicator_code": "five_s_audit_score", "status": "validated", "limit": 100},
        headers=ilo_headers(),
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["items"]) == 6  # three enterprises, baseline and endline
