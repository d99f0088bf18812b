"""The gateway as a real process in front of services that fail the way real ones do: a
service that closes a kept-alive connection under the gateway (after a 500, or as its
keep-alive ends), one that hangs, and the gateway's own database going away."""

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from benchmarks.processes import free_port
from tests.enrolment.support import KEY_ENVIRONMENT
from tests.gateway.support import TEST_PEPPER
from tests.gateway.test_real_http import RawServer, _committed_key

CLIENT_TIMEOUT = 30.0
OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'


class ClosingServer(RawServer):
    """Answers the first request of each connection and keeps the connection alive; the
    next request on that connection is read and the connection closed without an answer,
    as a service does that hangs up after a 500 or as its keep-alive runs out."""

    def __init__(self) -> None:
        self.answered = 0
        self.dropped = 0
        super().__init__(OK)

    def _answer(self, connection: socket.socket) -> None:
        connection.settimeout(10)
        try:
            self._read_request(connection)
            # Counted before the answer leaves: a test reads the count as soon as its answer
            # arrives, which can be before this thread runs again (as ``dropped`` is counted
            # before the close the client sees).
            self.answered += 1
            try:
                connection.sendall(OK)
            except OSError:
                self.answered -= 1
                raise
            self._read_request(connection)
            self.dropped += 1
        except OSError:
            pass
        finally:
            connection.close()

    @staticmethod
    def _read_request(connection: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            if not chunk:
                raise OSError("closed")
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                remaining = int(value) - len(rest)
                while remaining > 0:
                    remaining -= len(connection.recv(65536))


class HoldingServer(RawServer):
    """Reads each request and holds it unanswered, as a service's long poll does, noting
    when it holds one for ``path`` and when the other end of that connection hangs up (the
    gateway's own requests, such as its graph's, are held too, and not noted)."""

    def __init__(self, path: bytes) -> None:
        self.request_line = b"GET " + path
        self.holding = threading.Event()
        self.hung_up = threading.Event()
        super().__init__(None)

    def _answer(self, connection: socket.socket) -> None:
        connection.settimeout(900)
        head = b""
        try:
            while b"\r\n\r\n" not in head:
                chunk = connection.recv(65536)
                if not chunk:
                    return
                head += chunk
            if not head.startswith(self.request_line):
                connection.recv(65536)  # held until the gateway gives up on it
                return
            head, _, body = head.partition(b"\r\n\r\n")
            declared = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            while declared is not None and len(body) < int(declared.group(1)):
                chunk = connection.recv(65536)
                if not chunk:
                    return  # hung up before its body was sent
                body += chunk
            self.holding.set()
            if connection.recv(65536) == b"":
                self.hung_up.set()
        except OSError:
            pass


@dataclass(frozen=True)
class Edge:
    base: str
    key: str
    closing: ClosingServer
    holding: HoldingServer
    log: Path


@pytest.fixture(scope="module")
async def live_key(committed_gateway_db_url: str) -> str:
    return await _committed_key(committed_gateway_db_url)


@pytest.fixture(scope="module")
def edge(
    committed_gateway_db_url: str, live_key: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Edge]:
    closing = ClosingServer()
    silent = RawServer(None)
    holding = HoldingServer(b"/feed?")
    port = free_port()
    env = gateway_env(
        tmp_path_factory.mktemp("edge-data"),
        DATABASE_URL=committed_gateway_db_url,
        SERVICES=services_at(enrolment=closing, indicators=silent, reporting=holding),
        # Kept long, so the gateway does reuse the connection the service then drops.
        UPSTREAM_KEEPALIVE_EXPIRY="120",
        UPSTREAM_INTERACTIVE_TIMEOUT="1",
    )
    log = tmp_path_factory.mktemp("edge-log") / "gateway.log"
    process = start_gateway(port, env, log)
    try:
        yield Edge(f"http://127.0.0.1:{port}", live_key, closing, holding, log)
    finally:
        stop(process)
        closing.stop()
        silent.stop()
        holding.stop()


def services_at(**servers: RawServer) -> str:
    """SCORE_GATEWAY_SERVICES naming the server that stands in for each service."""
    return json.dumps({name: f"http://127.0.0.1:{server.port}" for name, server in servers.items()})


def gateway_env(data_dir: Path, **gateway: str) -> dict[str, str]:
    """The environment of a gateway process in the test environment; ``gateway`` settings
    without their SCORE_GATEWAY_ prefix."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("SCORE_")}
    return env | {
        **KEY_ENVIRONMENT,
        "SCORE_GATEWAY_API_KEY_PEPPER": TEST_PEPPER,
        "SCORE_GATEWAY_READINESS_TIMEOUT": "1",
        "SCORE_DATA_DIR": str(data_dir),
        "SCORE_LOG_FORMAT": "text",
        **{f"SCORE_GATEWAY_{name}": value for name, value in gateway.items()},
    }


def start_gateway(
    port: int, env: dict[str, str], log: Path, *uvicorn_options: str
) -> subprocess.Popen[bytes]:
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "services.gateway.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port), *uvicorn_options],
            env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    while True:  # no deadline: a slow machine is slow, a dead process says so
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def call(
    edge: Edge,
    method: str,
    path: str,
    *,
    json: object | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return httpx.request(
        method,
        f"{edge.base}{path}",
        json=json,
        headers={"X-API-Key": edge.key, **(headers or {})},
        timeout=CLIENT_TIMEOUT,
    )


def test_a_read_on_a_connection_the_service_closed_is_sent_again(edge: Edge) -> None:
    dropped = edge.closing.dropped
    statuses = [call(edge, "GET", "/enrolment/enterprises").status_code for _ in range(6)]
    assert statuses == [200] * 6
    # The service did hang up under the gateway, and nobody saw it.
    assert edge.closing.dropped > dropped


def test_a_keyed_write_on_a_closed_connection_is_sent_again(edge: Edge) -> None:
    dropped = edge.closing.dropped
    for index in range(4):
        response = call(
            edge,
            "POST",
            "/enrolment/projects",
            json={"name": f"p{index}"},
            headers={"Idempotency-Key": f"edge-{index}-{time.time_ns()}"},
        )
        assert response.status_code == 200, response.text
    assert edge.closing.dropped > dropped


def test_an_unkeyed_write_that_may_have_arrived_is_not_sent_twice(edge: Edge) -> None:
    answered = edge.closing.answered
    statuses = [
        call(edge, "POST", "/enrolment/projects", json={"name": "x"}).status_code for _ in range(4)
    ]
    # Every other attempt lands on a connection the service drops after reading it: those
    # answer 502 rather than risk a second project, and the service answered the rest.
    assert 502 in statuses
    assert statuses.count(200) == edge.closing.answered - answered


def test_a_hung_service_answers_504_within_the_interactive_timeout(edge: Edge) -> None:
    response = call(edge, "GET", "/indicators/values")
    assert response.status_code == 504
    assert response.json()["type"].endswith("/upstream-timeout")


@pytest.mark.parametrize("body", [b"", b"{}"], ids=["no body", "a small body"])
def test_a_caller_who_hangs_up_on_a_long_poll_frees_the_service_from_it(
    edge: Edge, body: bytes
) -> None:
    """A partner's system that gives up on a long poll (or an export) through the gateway:
    the gateway hangs up on the service at once too (which ends the service's wait), rather
    than holding the request open until the service answers or five minutes (the bulk
    timeout) run out, and logs the request as the caller's doing (499), not as an error."""
    port = int(edge.base.rsplit(":", 1)[1])
    request_id = uuid.uuid4().hex
    edge.holding.holding.clear()
    edge.holding.hung_up.clear()
    declared = f"Content-Length: {len(body)}\r\n" if body else ""
    with socket.create_connection(("127.0.0.1", port)) as caller:
        caller.sendall(
            f"GET /reporting/feed?wait=25 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"X-API-Key: {edge.key}\r\nX-Request-ID: {request_id}\r\n{declared}\r\n".encode()
            + body
        )
        assert edge.holding.holding.wait(timeout=120), "the service never got the request"
    # The caller has hung up.
    assert edge.holding.hung_up.wait(timeout=120), "the gateway kept the service waiting"

    def logged() -> list[str]:
        return [line for line in edge.log.read_text().splitlines() if request_id in line]

    deadline = time.monotonic() + 120
    while not any("GET /reporting/feed 499" in line for line in logged()):
        assert time.monotonic() < deadline, logged()
        time.sleep(0.1)
    assert not any("error" in line.lower() for line in logged()), logged()


def test_a_gateway_stopped_at_a_deploy_answers_its_waiting_long_requests_503(
    committed_gateway_db_url: str, live_key: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """SIGTERM to a gateway with a partner's long poll and an export waiting for their
    services: the long poll is answered at once, the export once the graceful period is
    nearly over, both 503 with Retry-After (ask again, of the gateway that replaces it);
    neither is cut off at the end of that period as a bare 500 with a traceback logged."""
    feed = HoldingServer(b"/feed?")
    exports = HoldingServer(b"/exports/")
    port, process, log = gateway_to_stop(
        committed_gateway_db_url,
        tmp_path_factory,
        services_at(enrolment=feed, indicators=exports, reporting=feed),
    )
    answers: dict[str, httpx.Response | Exception] = {}

    def ask(path: str) -> None:
        try:
            answers[path] = call_at(port, live_key, path)
        except Exception as exc:  # the test reports it
            answers[path] = exc

    askers = [
        threading.Thread(target=ask, args=(path,), daemon=True)
        for path in ("/reporting/feed?wait=25", "/indicators/exports/values.xlsx")
    ]
    try:
        for asker in askers:
            asker.start()
        assert feed.holding.wait(timeout=120), "the service never got the long poll"
        assert exports.holding.wait(timeout=120), "the service never got the export"
        process.terminate()
        for asker in askers:
            asker.join(timeout=120)
        process.wait(timeout=120)
    finally:
        stop(process)
        feed.stop()
        exports.stop()
    for path, answer in answers.items():
        assert isinstance(answer, httpx.Response), (path, answer)
        assert answer.status_code == 503, (path, answer.text)
        assert answer.headers["Retry-After"] == "1"
        assert answer.json()["type"].endswith("/gateway-restarting")
    assert len(answers) == 2, answers
    # The services were let go of: the long poll stops waiting for nobody.
    assert feed.hung_up.wait(timeout=120)
    assert_nothing_cut_off(log)


def gateway_to_stop(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, services: str
) -> tuple[int, subprocess.Popen[bytes], Path]:
    """A gateway process of its own (a test stops it), in front of ``services``, with the
    graceful period `score up` and `score serve` give every process; its port and log."""
    port = free_port()
    env = gateway_env(
        tmp_path_factory.mktemp("stop-data"), DATABASE_URL=database_url, SERVICES=services
    )
    log = tmp_path_factory.mktemp("stop-log") / "gateway.log"
    return port, start_gateway(port, env, log, "--timeout-graceful-shutdown", "3"), log


def assert_nothing_cut_off(log: Path) -> None:
    """No request was cut off at the end of the graceful period (uvicorn's 500)."""
    logged = log.read_text()
    assert "Exception in ASGI application" not in logged, logged
    assert "graceful shutdown exceeded" not in logged, logged


def call_at(port: int, key: str, path: str) -> httpx.Response:
    return httpx.get(
        f"http://127.0.0.1:{port}{path}", headers={"X-API-Key": key}, timeout=CLIENT_TIMEOUT
    )


def test_a_long_request_that_comes_to_wait_after_the_stop_gets_only_what_is_left(
    committed_gateway_db_url: str, live_key: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The graceful period runs from the stop, for every request: an export whose (small)
    body arrives only after the SIGTERM reaches its wait late, and is answered 503 as the
    period nearly ends, like those waiting at the stop. It used to get a period of its own,
    counted from then, which uvicorn cut off as a bare 500 with a traceback."""
    exports = HoldingServer(b"/exports/")
    port, process, log = gateway_to_stop(
        committed_gateway_db_url,
        tmp_path_factory,
        services_at(enrolment=exports, indicators=exports, reporting=exports),
    )
    answer = b""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT) as caller:
            caller.sendall(
                f"GET /reporting/exports/impact.csv HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"X-API-Key: {live_key}\r\nContent-Type: application/json\r\n"
                "Content-Length: 2\r\nExpect: 100-continue\r\n\r\n".encode()
            )
            # The gateway asks for the body: the request is past its authentication and in
            # flight as the stop begins.
            continued = b""
            while b"\r\n\r\n" not in continued:
                chunk = caller.recv(65536)
                assert chunk, continued
                continued += chunk
            assert continued.startswith(b"HTTP/1.1 100"), continued
            process.terminate()
            # Half the graceful period on: the body, and the wait for the service, come late.
            time.sleep(1.5)
            caller.sendall(b"{}")
            while chunk := caller.recv(65536):
                answer += chunk
        process.wait(timeout=120)
    finally:
        stop(process)
        exports.stop()
    assert answer.startswith(b"HTTP/1.1 503"), answer
    assert b"retry-after: 1\r\n" in answer.lower(), answer
    assert b"/gateway-restarting" in answer, answer
    assert_nothing_cut_off(log)


def test_timeouts_follow_the_kind_of_route() -> None:
    from services.gateway.settings import GatewaySettings
    from tests.gateway.support import gateway_settings

    settings: GatewaySettings = gateway_settings()
    interactive = settings.upstream_timeout("GET", "/enrolment/enterprises")
    assert interactive < 30
    assert settings.upstream_timeout("POST", "/enrolment/enterprises") == (
        settings.upstream_read_timeout
    )
    for bulk in ("/indicators/imports", "/reporting/exports/impact.xlsx", "/enrolment/events"):
        assert settings.upstream_timeout("GET", bulk) == settings.upstream_bulk_timeout
    assert settings.upstream_bulk_timeout > settings.upstream_read_timeout > interactive


def test_the_api_key_check_with_the_database_down_is_a_503_with_retry_after(
    live_key: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    port = free_port()
    env = gateway_env(
        tmp_path_factory.mktemp("down-data"),
        # Nothing listens there: the database is down.
        DATABASE_URL=f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/x",
    )
    log = tmp_path_factory.mktemp("down-log") / "gateway.log"
    process = start_gateway(port, env, log)
    try:
        response = httpx.get(
            f"http://127.0.0.1:{port}/enrolment/enterprises",
            headers={"X-API-Key": live_key},
            timeout=CLIENT_TIMEOUT,
        )
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=CLIENT_TIMEOUT)
    finally:
        stop(process)
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/database-unavailable")
    assert int(response.headers["Retry-After"]) > 0
    assert ready.status_code == 503
    assert ready.json()["database"]["status"] == "unavailable"
