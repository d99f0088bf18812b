"""The gateway as a real process over real HTTP, in front of upstreams that misbehave the way
networks do: nothing listening (502), listening but never answering (504), and answering
with hop-by-hop headers that must stop at the gateway."""

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx
import pytest

from benchmarks.processes import answers, eventually, free_port, wait_until
from services.gateway.keys.schemas import ApiKeyCreate
from services.gateway.keys.service import api_key_service
from shared.db import Database
from shared.enums import Role
from tests.enrolment.support import KEY_ENVIRONMENT
from tests.gateway.support import OPERATOR, TEST_PEPPER, gateway_settings

# A client that would rather fail than hang: every answer below comes well within it.
CLIENT_TIMEOUT = 20.0


class RawServer:
    """A TCP server on a thread that answers each connection with ``reply`` (or, with
    ``reply=None``, reads the request and never answers)."""

    def __init__(self, reply: bytes | None) -> None:
        self.reply = reply
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(50)
        self.port = int(self.sock.getsockname()[1])
        self.open: list[socket.socket] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                connection, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.open.append(connection)
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        connection.settimeout(5)
        try:
            connection.recv(65536)
            if self.reply is not None:
                connection.sendall(self.reply)
                connection.close()
        except OSError:
            pass

    def stop(self) -> None:
        self.stopped.set()
        self.sock.close()
        for connection in self.open:
            connection.close()


BODY = b'{"ok": true}'
HOP_BY_HOP_REPLY = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: application/json\r\n"
    b"Connection: close, X-Internal-Hop\r\n"
    b"X-Internal-Hop: only for the gateway\r\n"
    b"Keep-Alive: timeout=5\r\n"
    b"Proxy-Authenticate: Basic realm=internal\r\n"
    b"Trailer: X-Checksum\r\n"
    b"X-End-To-End: kept\r\n"
    b"Content-Length: " + str(len(BODY)).encode() + b"\r\n"
    b"\r\n" + BODY
)
# An answer that promises more body than it sends before hanging up.
BROKEN_OFF_REPLY = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: application/json\r\n"
    b"Content-Length: 4096\r\n"
    b"\r\n" + b'{"items": [{"id": '
)


@dataclass(frozen=True)
class LiveGateway:
    base: str
    key: str
    log: Path


async def _committed_key(url: str) -> str:
    database = Database(url, pool_size=1)
    try:
        async with database.transaction() as session:
            created = await api_key_service.create(
                session,
                ApiKeyCreate(role=Role.ilo_global, name="real-http test"),
                principal=OPERATOR,
                pepper=gateway_settings().api_key_pepper,
            )
    finally:
        await database.dispose()
    return created.secret


@pytest.fixture(scope="module")
async def live_key(committed_gateway_db_url: str) -> str:
    return await _committed_key(committed_gateway_db_url)


@pytest.fixture(scope="module")
def live_gateway(
    committed_gateway_db_url: str, live_key: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    silent = RawServer(None)
    hop_by_hop = RawServer(HOP_BY_HOP_REPLY)
    broken_off = RawServer(BROKEN_OFF_REPLY)
    nothing_listens = free_port()
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("SCORE_")}
    env |= {
        **KEY_ENVIRONMENT,
        "SCORE_GATEWAY_API_KEY_PEPPER": TEST_PEPPER,
        "SCORE_GATEWAY_DATABASE_URL": committed_gateway_db_url,
        "SCORE_GATEWAY_SERVICES": json.dumps(
            {
                "enrolment": f"http://127.0.0.1:{nothing_listens}",
                "indicators": f"http://127.0.0.1:{silent.port}",
                "reporting": f"http://127.0.0.1:{hop_by_hop.port}",
                "ledger": f"http://127.0.0.1:{broken_off.port}",
            }
        ),
        # The graph is the three services' (from the committed artefact); ledger is REST only.
        "SCORE_GATEWAY_SUBGRAPHS": json.dumps(
            {
                name: f"http://127.0.0.1:{port}/graphql"
                for name, port in (
                    ("enrolment", nothing_listens),
                    ("indicators", silent.port),
                    ("reporting", hop_by_hop.port),
                )
            }
        ),
        "SCORE_GATEWAY_UPSTREAM_READ_TIMEOUT": "1",
        "SCORE_GATEWAY_UPSTREAM_INTERACTIVE_TIMEOUT": "1",
        "SCORE_GATEWAY_UPSTREAM_BULK_TIMEOUT": "1",
        "SCORE_GATEWAY_READINESS_TIMEOUT": "1",
        # The silent upstream's SDL is waited for this long before the artefact stands in
        # (test_readyz_names_each_service_that_is_down_...): not the default ten seconds.
        "SCORE_GATEWAY_GRAPH_SCHEMA_TIMEOUT": "1",
        "SCORE_DATA_DIR": str(tmp_path_factory.mktemp("gateway-data")),
        "SCORE_LOG_FORMAT": "text",
    }
    log = tmp_path_factory.mktemp("gateway-log") / "gateway.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "services.gateway.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(partial(answers, f"{base}/healthz"), process, log, timeout=60)
        yield LiveGateway(base, live_key, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        silent.stop()
        hop_by_hop.stop()
        broken_off.stop()


def get(gateway: LiveGateway, path: str) -> httpx.Response:
    headers = {"X-API-Key": gateway.key}
    return httpx.get(f"{gateway.base}{path}", headers=headers, timeout=CLIENT_TIMEOUT)


def test_service_with_nothing_listening_answers_502(live_gateway: LiveGateway) -> None:
    response = get(live_gateway, "/enrolment/enterprises")
    assert response.status_code == 502, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/upstream-unreachable")
    assert problem["service"] == "enrolment"
    assert len(response.headers["x-request-id"]) == 32


def test_service_that_never_answers_gets_504_not_a_hang(live_gateway: LiveGateway) -> None:
    response = get(live_gateway, "/indicators/values")
    assert response.status_code == 504, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The indicators service did not answer in time"


def test_upload_to_a_service_that_never_answers_gets_504(live_gateway: LiveGateway) -> None:
    response = httpx.post(
        f"{live_gateway.base}/indicators/values/batches",
        json={"values": []},
        headers={"X-API-Key": live_gateway.key},
        timeout=CLIENT_TIMEOUT,
    )
    assert response.status_code == 504, response.text


def test_hop_by_hop_headers_of_a_service_answer_stop_at_the_gateway(
    live_gateway: LiveGateway,
) -> None:
    response = get(live_gateway, "/reporting/anything?x=1")
    assert response.status_code == 200, response.text
    assert response.content == BODY
    for name in ("x-internal-hop", "keep-alive", "proxy-authenticate", "trailer"):
        assert name not in response.headers, name
    assert response.headers["x-end-to-end"] == "kept"
    assert response.headers["content-type"] == "application/json"


def test_a_service_breaking_off_its_answer_gets_502_not_a_truncated_body(
    live_gateway: LiveGateway,
) -> None:
    response = get(live_gateway, "/ledger/entries")
    assert response.status_code == 502, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/upstream-unreachable")
    assert problem["service"] == "ledger"


def test_readyz_names_each_service_that_is_down_and_stays_ready(
    live_gateway: LiveGateway,
) -> None:
    # Each answer takes the silent service's whole second: the last one is the one read.
    answered: list[httpx.Response] = []

    def ready() -> bool:
        answered.append(httpx.get(f"{live_gateway.base}/readyz", timeout=CLIENT_TIMEOUT))
        return answered[-1].status_code == 200

    # No subgraph answers: the graph comes from the committed artefact, once composed.
    assert eventually(ready, timeout=60), answered[-1].text
    body = answered[-1].json()
    services = body["services"]
    assert services["enrolment"]["status"] == "unavailable"
    assert services["indicators"] == {"status": "unavailable", "reason": "no answer within 1 s"}
    assert services["reporting"] == {"status": "ready"}
    assert body["graph"]["status"] == "ready"
    assert {s["schema"] for s in body["graph"]["subgraphs"].values()} == {"artefact"}


def test_a_request_without_credentials_never_reaches_a_service(live_gateway: LiveGateway) -> None:
    response = httpx.get(f"{live_gateway.base}/reporting/anything", timeout=CLIENT_TIMEOUT)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
