"""Outages, on the platform as separate `score serve` processes (a deployment's shape): a
service killed during cross-service queries costs only its own fields, and a gateway
restarted while a service is down serves the rest, then picks the service up again."""

import json
import signal
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from benchmarks.processes import Processes, eventually, separate_processes
from shared.enums import Role
from shared.identity import Principal
from tests.e2e.api_keys import api_key_made_here
from tests.e2e.demo_template import demo_template

# A long poll far longer than a stop of any process may take.
LONG_POLL_SECONDS = 600
# Beyond any position enrolment's feed will reach in this module: a long poll after it waits.
FAR_POSITION = 2**62
# A TCP connection's state "established" in /proc/net/tcp.
ESTABLISHED = "01"

ACROSS = """{
  enterprises(first: 2) { items { name indicatorValues { value } scoreStatus { eitInPlace } } }
  programmeSummary { enterprisesTrained }
}"""


@pytest.fixture(scope="module")
def processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Processes]:
    with separate_processes(
        tmp_path_factory.mktemp("score-outages"),
        # About outages, not seeding: the demo data copied from the run's seeded template.
        template=demo_template(tmp_path_factory),
        # Subgraph SDLs polled every second: a changed or returning one is noticed soon.
        SCORE_GATEWAY_GRAPH_POLL_INTERVAL="1",
        # A long poll of enrolment's feed may wait ten minutes (its consumers still ask for
        # 20 s): far longer than any stop may take (test_a_stopped_service_...).
        SCORE_ENROLMENT_FEED_MAX_WAIT=str(LONG_POLL_SECONDS),
        # Every stop lets requests in flight finish for a second, not the default three:
        # the services' consumers always have long polls open on each other's feeds.
        SCORE_GRACEFUL_SHUTDOWN_SECONDS="1",
    ) as running:
        yield running


@pytest.fixture(scope="module")
def key(processes: Processes) -> str:
    return api_key_made_here(processes.env_for("gateway"), "ilo_global", name="e2e-outages")


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    # One client for the queries, asked in loops: making a client per query (httpx.post)
    # took about 20 ms of CPU from the services on the same cores. A connection per query,
    # as before: the processes it reaches are killed and started again.
    limits = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(timeout=30, limits=limits) as client:
        yield client


def across(http: httpx.Client, processes: Processes, key: str) -> dict[str, Any]:
    response = http.post(
        f"{processes.platform.gateway}/graphql", json={"query": ACROSS}, headers={"X-API-Key": key}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def complete(body: dict[str, Any]) -> bool:
    return "errors" not in body and body["data"]["programmeSummary"] is not None


def only_missing(body: dict[str, Any], service: str) -> bool:
    """Everything but ``service``'s fields answered; each missing field an error naming
    ``service`` at the field's path."""
    items = body["data"]["enterprises"]["items"]
    if not items or not all(item["name"] for item in items):
        return False
    errors = body.get("errors", [])
    return bool(errors) and all(
        error["extensions"] == {"code": "SERVICE_UNAVAILABLE", "service": service}
        and error["path"][0] in ("enterprises", "programmeSummary")
        for error in errors
    )


def test_a_service_killed_during_cross_service_queries_costs_only_its_fields(
    processes: Processes, key: str, http: httpx.Client
) -> None:
    assert eventually(lambda: complete(across(http, processes, key)), timeout=120)
    answers: list[dict[str, Any]] = []
    stop = threading.Event()

    def keep_asking() -> None:
        while not stop.is_set():
            answers.append(across(http, processes, key))

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        assert eventually(lambda: len(answers) >= 3, timeout=120)
        processes.kill("indicators")
        seen = len(answers)
        assert eventually(lambda: len(answers) >= seen + 3, timeout=120)
    finally:
        stop.set()
        asker.join(timeout=60)

    # Never a blank answer: before the kill everything, after it all but indicators' part.
    assert all(complete(body) or only_missing(body, "indicators") for body in answers)
    after = answers[-1]
    assert only_missing(after, "indicators")
    for item in after["data"]["enterprises"]["items"]:
        assert item["indicatorValues"] is None
        assert item["scoreStatus"] is not None
    assert after["data"]["programmeSummary"] is not None
    paths = [error["path"] for error in after["errors"]]
    assert paths == [["enterprises", "items", i, "indicatorValues"] for i in range(2)]

    processes.start("indicators")
    assert eventually(lambda: complete(across(http, processes, key)), timeout=120)


def test_a_gateway_restarted_while_a_service_is_down_serves_the_rest_then_the_whole(
    processes: Processes, key: str, http: httpx.Client
) -> None:
    processes.kill("reporting")
    processes.kill("gateway")
    processes.start("gateway")  # ready: enrolment and indicators live, reporting's SDL stored

    body = across(http, processes, key)
    readiness = httpx.get(f"{processes.platform.gateway}/readyz", timeout=30).json()

    assert only_missing(body, "reporting")
    assert body["data"]["programmeSummary"] is None
    assert ["programmeSummary"] in [error["path"] for error in body["errors"]]
    for item in body["data"]["enterprises"]["items"]:
        assert item["scoreStatus"] is None
        assert isinstance(item["indicatorValues"], list)
    assert readiness["status"] == "ready"
    assert readiness["services"]["reporting"]["status"] == "unavailable"
    reporting = readiness["graph"]["subgraphs"]["reporting"]
    assert (reporting["reachable"], reporting["schema"]) == (False, "artefact")

    processes.start("reporting")
    assert eventually(lambda: complete(across(http, processes, key)), timeout=120)


def loopback_port(address: str) -> int | None:
    """The port of a /proc/net/tcp address on 127.0.0.1 ("0100007F:1F90"), else None."""
    host, port = address.split(":")
    return int(port, 16) if host == "0100007F" else None


def read_by_server(server: int, client: int) -> bool:
    """Whether the server listening on port ``server`` has read everything the connection
    from port ``client`` sent (Linux /proc/net/tcp: that connection's receive queue, on the
    server's side, is empty). uvicorn starts a request's task as it reads the request."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, remote, state, queues = line.split()[1:5]
        if (loopback_port(local), loopback_port(remote)) == (server, client):
            return state == ESTABLISHED and int(queues.split(":")[1], 16) == 0
    return False


def logged_request(log: Path, request_id: str) -> dict[str, Any] | None:
    """The access log entry of the request ``request_id`` (JSON lines), once it has ended."""
    for line in log.read_text(errors="replace").splitlines():
        if request_id in line and line.startswith("{"):
            entry: dict[str, Any] = json.loads(line)
            if entry.get("request_id") == request_id and "status" in entry:
                return entry
    return None


def test_a_long_poll_whose_caller_left_ends_at_once(processes: Processes) -> None:
    """A consumer that goes away (stopped, restarted, given up) frees its long poll on the
    feed at once: the service neither polls on for nobody until the wait is over (ten minutes
    here) nor holds its own stop for it, cut off then as a 500 with a traceback."""
    platform = processes.platform
    headers = platform.identity_headers(Principal(subject="e2e", role=Role.ilo_global))
    service = urlsplit(platform.enrolment)
    request_id = uuid.uuid4().hex
    connection = socket.create_connection((service.hostname, service.port))
    client_port = connection.getsockname()[1]
    try:
        connection.sendall(
            f"GET /events?after={FAR_POSITION}&wait={LONG_POLL_SECONDS} HTTP/1.1\r\n"
            f"Host: {service.netloc}\r\nAuthorization: {headers['Authorization']}\r\n"
            f"X-Request-ID: {request_id}\r\n\r\n".encode()
        )
        # The service has read the request, and its long poll waits for an event.
        assert eventually(lambda: read_by_server(service.port or 0, client_port), timeout=60)
    finally:
        connection.close()  # the caller leaves
    log = processes.logs / "enrolment.log"
    # Ended (and logged) within moments, far sooner than the ten minutes it asked to wait.
    assert eventually(lambda: logged_request(log, request_id) is not None, timeout=120)
    entry = logged_request(log, request_id)
    assert entry is not None
    assert (entry["path"], entry["status"]) == ("/events", 200), entry


def test_a_stopped_service_does_not_wait_out_the_long_polls_of_its_feed(
    processes: Processes, key: str, http: httpx.Client
) -> None:
    """`score serve` (a container's process) stops on SIGTERM without waiting for the long
    polls in flight on its event feed: they answer their page at once, as a rolling deploy
    needs (a consumer asks again, of another replica, from the position it applied)."""
    platform = processes.platform
    headers = platform.identity_headers(Principal(subject="e2e", role=Role.ilo_global))
    service = urlsplit(platform.enrolment)
    # Over a socket of its own, so the test knows the connection the service reads it from.
    connection = socket.create_connection((service.hostname, service.port))
    connection.settimeout(LONG_POLL_SECONDS + 60)
    client_port = connection.getsockname()[1]
    connection.sendall(
        f"GET /events?after={FAR_POSITION}&wait={LONG_POLL_SECONDS} HTTP/1.1\r\n"
        f"Host: {service.netloc}\r\nAuthorization: {headers['Authorization']}\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    answered: list[bytes | OSError] = []

    def long_poll() -> None:
        # The service's answer, read to the end of the connection (Connection: close).
        received = b""
        try:
            while chunk := connection.recv(65536):
                received += chunk
        except OSError as exc:
            answered.append(exc)
            return
        answered.append(received)

    poller = threading.Thread(target=long_poll, daemon=True)
    poller.start()
    try:
        # The service has read the request (its task runs): the stop below has it in flight.
        assert eventually(lambda: read_by_server(service.port or 0, client_port), timeout=60)
        assert not answered, answered  # still waiting, as a long poll does
        # Without a bound on the graceful stop, this waits for the long poll (ten minutes)
        # and fails after two.
        # uvicorn, stopped cleanly, exits by the signal it was stopped with (143 in a shell).
        assert processes.terminate("enrolment", timeout=120) == -signal.SIGTERM
        poller.join(timeout=60)
        assert answered, "the long poll was left hanging"
        [answer] = answered
        # The feed's own page, with no event, answered as the stop began (the long poll had
        # waited: nothing came before the stop). It used to be cut off once the graceful
        # period was over, with uvicorn's bare 500 and a traceback in the service's log.
        assert isinstance(answer, bytes), answer
        assert answer.startswith(b"HTTP/1.1 200 "), answer
        assert b'"events":[]' in answer, answer
        log = (processes.logs / "enrolment.log").read_text(errors="replace")
        assert "graceful shutdown exceeded" not in log
        assert "Exception in ASGI application" not in log
    finally:
        connection.close()
        processes.start("enrolment")
    # Enrolment serves again, and the graph across services with it.
    assert eventually(lambda: complete(across(http, processes, key)), timeout=120)
