"""Outages, on the platform as separate `score serve` processes (a deployment's shape): a
service killed during cross-service queries costs only its own fields, and a gateway
restarted while a service is down serves the rest, then picks the service up again."""

import signal
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from benchmarks.processes import Processes, eventually, separate_processes
from shared.enums import Role
from shared.identity import Principal
from tests.e2e.demo_template import demo_template

# A long poll far longer than a stop of any process may take.
LONG_POLL_SECONDS = 600
# Beyond any position enrolment's feed will reach in this module: a long poll after it waits.
FAR_POSITION = 2**62

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
    ) as running:
        yield running


@pytest.fixture(scope="module")
def key(processes: Processes) -> str:
    return processes.platform.api_key("ilo_global", name="e2e-outages")


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


def test_a_stopped_service_does_not_wait_out_the_long_polls_of_its_feed(
    processes: Processes, key: str, http: httpx.Client
) -> None:
    """`score serve` (a container's process) stops on SIGTERM without waiting for the long
    polls in flight on its event feed: a consumer asks again from the position it applied."""
    platform = processes.platform
    headers = platform.identity_headers(Principal(subject="e2e", role=Role.ilo_global))
    answered: list[httpx.Response | Exception] = []

    def long_poll() -> None:
        try:
            answered.append(
                httpx.get(
                    f"{platform.enrolment}/events",
                    params={"after": FAR_POSITION, "wait": LONG_POLL_SECONDS},
                    headers=headers,
                    timeout=LONG_POLL_SECONDS + 60,
                )
            )
        except httpx.HTTPError as exc:
            answered.append(exc)

    poller = threading.Thread(target=long_poll, daemon=True)
    poller.start()
    try:
        # Time for the request to reach the service (if it has not, the stop below is quick
        # anyway and proves nothing: this never makes the test fail, only pass for nothing).
        poller.join(timeout=3)
        assert not answered, answered  # still waiting, as a long poll does
        # Without a bound on the graceful stop, this waits for the long poll (ten minutes)
        # and fails after two.
        # uvicorn, stopped cleanly, exits by the signal it was stopped with (143 in a shell).
        assert processes.terminate("enrolment", timeout=120) == -signal.SIGTERM
        poller.join(timeout=60)
        assert answered, "the long poll was left hanging"
    finally:
        processes.start("enrolment")
    # Enrolment serves again, and the graph across services with it.
    assert eventually(lambda: complete(across(http, processes, key)), timeout=120)
