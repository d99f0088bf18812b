"""The README's first command, for real: `score seed --demo` then `score up` as processes,
on a fresh embedded Postgres, then the demo data read back over HTTP."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
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


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("score-data")
    port = free_port()
    env = {
        **os.environ,
        "SCORE_DATA_DIR": str(data_dir),
        "SCORE_ENROLMENT_PORT": str(port),
        "SCORE_ENVIRONMENT": "development",
    }
    env.pop("SCORE_ENROLMENT_DATABASE_URL", None)
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
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                assert process.poll() is None, log.read_text()
                try:
                    if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.5)
            else:
                pytest.fail("score up did not become ready:\n" + log.read_text())
            yield base
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                raise


def ilo_headers() -> dict[str, str]:
    token = issue_token(Principal(subject="e2e", role=Role.ilo_global), PlatformSettings())
    return {"Authorization": f"Bearer {token}"}


def test_score_up_serves_the_demo_data(platform: str) -> None:
    enterprises = httpx.get(f"{platform}/enterprises?limit=500", headers=ilo_headers()).json()
    countries = {e["country"] for e in enterprises["items"]}
    assert {"PK", "GH", "MU"} <= countries
    organisations = httpx.get(f"{platform}/organisations", headers=ilo_headers()).json()
    names = {o["short_name"] for o in organisations["items"]}
    assert {"EFP", "MDPI", "NPCC"} <= names


def test_score_up_refuses_requests_without_a_token(platform: str) -> None:
    response = httpx.get(f"{platform}/enterprises")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
