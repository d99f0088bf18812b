"""What every layer costs: the same 50 enterprises served by a bare FastAPI + asyncpg
endpoint, by the enrolment service (REST and GraphQL) and through the gateway, side by side
in one run, on the real processes `score up` starts (demo data, embedded Postgres). Beside
them, the floor of any Python hop: the REST list and the GraphQL query through
benchmarks/floor_proxy.py (uvicorn and aiohttp passing the request on, nothing else) in front
of the enrolment service. A gateway cannot beat that floor, so where the floor itself falls
short of a target, the hop does (one more process on the same two cores), not the gateway.

    uv run python -m benchmarks.layers [--requests 300] [--concurrency 8] [--rounds 3]

The bare endpoint (benchmarks/bare.py) and the floor run as their own uvicorn processes,
the bare endpoint against the same database. The demo has fewer than 50 enterprises; the
rest are registered through the enrolment API before measuring. Every measurement is
repeated in ``--rounds`` interleaved rounds, so a busy neighbour on the machine weighs on
all of them alike. Prints median latency, throughput and the CPU time each process spends
per request (steadier than throughput when other work shares the machine), then each target
of issue #16 as a throughput ratio with PASS or MISS, and the gateway beside the floor. The
services log at their default level, as deployed (``--log-level``).
"""

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from benchmarks.load import (
    UNLIMITED_GATEWAY,
    Call,
    direct_headers,
    graphql,
    graphql_ok,
    graphql_request,
    latencies,
    throughput,
)
from benchmarks.processes import (
    Platform,
    Served,
    cpu_seconds,
    eventually,
    postgres_pids,
    running_app,
    running_platform,
    service_pids,
)

ROWS = 50

# Every field of the REST item, so both protocols serve the same rows.
ENTERPRISES = """
query Enterprises($first: Int!) {
  enterprises(first: $first) {
    items {
      id name country city sector subSector womenLed workforceTotal workforcePermanent
      workforceFemale workforceMale partnerId possibleDuplicateOfId buyerIds createdAt updatedAt
    }
    nextCursor
  }
}"""


@dataclass(frozen=True)
class Target:
    """A throughput ratio issue #16 asks for: ``layer`` at least ``minimum`` x ``baseline``."""

    label: str
    layer: str
    baseline: str
    minimum: float


REST_BARE = "REST bare FastAPI + asyncpg"
REST_SERVICE = "REST enrolment direct"
REST_GATEWAY = "REST through the gateway"
REST_FLOOR = "REST through the minimal proxy"
GRAPHQL_SERVICE = "GraphQL enrolment subgraph direct"
GRAPHQL_GATEWAY = "GraphQL through the gateway"
GRAPHQL_FLOOR = "GraphQL through the minimal proxy"

TARGETS = (
    Target("REST: service direct / bare", REST_SERVICE, REST_BARE, 0.85),
    Target("REST: gateway / bare", REST_GATEWAY, REST_BARE, 0.75),
    Target("GraphQL: subgraph direct / REST direct", GRAPHQL_SERVICE, REST_SERVICE, 0.8),
    Target("GraphQL: gateway / subgraph direct", GRAPHQL_GATEWAY, GRAPHQL_SERVICE, 0.9),
)


# The processes each layer runs through; their CPU time per request is measured too.
PROCESSES = {
    REST_BARE: ("bare", "postgres"),
    REST_SERVICE: ("enrolment", "postgres"),
    REST_GATEWAY: ("gateway", "enrolment", "postgres"),
    REST_FLOOR: ("floor", "enrolment", "postgres"),
    GRAPHQL_SERVICE: ("enrolment", "postgres"),
    GRAPHQL_GATEWAY: ("gateway", "enrolment", "postgres"),
    GRAPHQL_FLOOR: ("floor", "enrolment", "postgres"),
}


@dataclass
class Figures:
    latencies: list[float] = field(default_factory=list)
    rates: list[float] = field(default_factory=list)
    # CPU seconds per request, by process ("client": this benchmark; "postgres": all of the
    # server's processes), one figure per round.
    cpu: dict[str, list[float]] = field(default_factory=dict)

    @property
    def median_latency(self) -> float:
        return statistics.median(self.latencies)

    @property
    def rate(self) -> float:
        return statistics.median(self.rates)


def enterprise_profile(number: int) -> dict[str, Any]:
    return {
        "name": f"Benchmark Garments {number:03}",
        "country": "PK",
        "city": "Lahore",
        "sector": "textile",
        "sub_sector": "ready_made_garments",
        "ownership": "private_domestic",
        "women_led": number % 3 == 0,
        "workforce_total": 200 + number,
        "workforce_permanent": 150,
        "workforce_female": 90,
        "workforce_male": 110,
        "has_hr_officer": True,
        "has_compliance_officer": number % 2 == 0,
        "has_industrial_engineer": False,
        "ceo_name": f"CEO {number:03}",
        "contact_email": f"ceo{number:03}@example.org",
    }


def ensure_enterprises(platform: Platform, headers: dict[str, str], count: int) -> int:
    """Register enterprises through the enrolment API until at least ``count`` exist."""
    url = f"{platform.enrolment}/enterprises"
    with httpx.Client(headers=headers, timeout=30) as client:
        existing = len(client.get(url, params={"limit": 500}).raise_for_status().json()["items"])
        for number in range(existing, count):
            response = client.post(url, json=enterprise_profile(number))
            if response.status_code != 201:
                raise RuntimeError(f"registering an enterprise failed: {response.text}")
    return max(count - existing, 0)


def caught_up(platform: Platform, headers: dict[str, str]) -> bool:
    """The indicators replica and the reporting read models hold every event: their
    consumers are idle, so they take no CPU from the measurements."""
    with httpx.Client(headers=headers, timeout=30) as client:
        replica = client.get(f"{platform.indicators}/replica/status").raise_for_status()
        readmodels = client.get(f"{platform.reporting}/readmodels/status").raise_for_status()
    return bool(replica.json()["lag"] == 0 and readmodels.json()["caught_up"])


def _comparable(body: dict[str, Any]) -> dict[str, Any]:
    """A list response with its timestamps parsed: 'Z' and '+00:00' say the same."""
    items = [
        item
        | {
            key: item[key] and datetime.fromisoformat(item[key])
            for key in item
            if key.endswith("_at")
        }
        for item in body["items"]
    ]
    return body | {"items": items}


async def check_same_rows(calls: dict[str, tuple[str, dict[str, str]]]) -> list[str]:
    """Every REST layer answers the same rows, fields and values; returns their ids."""
    bodies: dict[str, dict[str, Any]] = {}
    async with httpx.AsyncClient(timeout=30) as client:
        for name, (url, headers) in calls.items():
            response = await client.get(url, params={"limit": ROWS}, headers=headers)
            bodies[name] = _comparable(response.raise_for_status().json())
    reference = bodies[REST_SERVICE]
    for name, body in bodies.items():
        if body != reference:
            raise RuntimeError(f"{name} does not serve the rows the service serves")
    if len(reference["items"]) != ROWS:
        raise RuntimeError(f"expected {ROWS} enterprises, got {len(reference['items'])}")
    return [item["id"] for item in reference["items"]]


def cpu_times(pids: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds used so far by each group of processes, and by this one ("client")."""
    used = {name: sum(cpu_seconds(pid) for pid in group) for name, group in pids.items()}
    return {"client": time.process_time(), **used}


@dataclass(frozen=True)
class Beside:
    """The benchmark's own servers beside the platform: the bare endpoint, and the minimal
    proxy (the floor) in front of the enrolment service."""

    bare: Served
    floor: Served


def layer_pids(platform: Platform, beside: Beside) -> dict[str, list[int]]:
    """The processes behind the layers, by the names PROCESSES uses (Linux; else the
    benchmark's own servers only)."""
    pids = {
        "bare": [beside.bare.pid],
        "floor": [beside.floor.pid],
        "postgres": postgres_pids(platform),
    }
    return pids | {service: [pid] for service, pid in service_pids(platform).items()}


@contextmanager
def running_layers(log_level: str) -> Iterator[tuple[Platform, Beside, int]]:
    """The platform (demo data, the gateway's rate limit lifted), the bare endpoint and the
    floor, with at least ROWS enterprises and the event consumers idle; and how many were
    registered."""
    data_dir = Path(tempfile.mkdtemp(prefix="score-bench-"))
    with (
        running_platform(data_dir, SCORE_LOG_LEVEL=log_level, **UNLIMITED_GATEWAY) as platform,
        running_app(platform, "benchmarks.bare:create_app", factory=True) as bare,
        running_app(platform, "benchmarks.floor_proxy:app", UPSTREAM=platform.enrolment) as floor,
    ):
        created = ensure_enterprises(platform, direct_headers(platform), ROWS)
        if not eventually(partial(caught_up, platform, direct_headers(platform)), timeout=60):
            raise RuntimeError("the event consumers did not catch up")
        yield platform, Beside(bare, floor), created


async def layer_calls(platform: Platform, beside: Beside) -> dict[str, Call]:
    """One request of each layer, once checked that every layer serves the same rows."""
    direct = direct_headers(platform)
    gateway_key = {"X-API-Key": platform.api_key("ilo_global", name="benchmark")}
    rest = {
        REST_BARE: (f"{beside.bare.url}/enterprises", {}),
        REST_SERVICE: (f"{platform.enrolment}/enterprises", direct),
        REST_GATEWAY: (f"{platform.gateway}/enrolment/enterprises", gateway_key),
        # The service's own token, passed on as is: the hop and nothing else.
        REST_FLOOR: (f"{beside.floor.url}/enterprises", direct),
    }
    ids = await check_same_rows(rest)
    subgraph = (f"{platform.enrolment}/graphql", direct_headers(platform, graph=True))
    through_gateway = (f"{platform.gateway}/graphql", gateway_key)
    through_floor = (f"{beside.floor.url}/graphql", subgraph[1])
    for url, headers in (subgraph, through_gateway, through_floor):
        async with httpx.AsyncClient(timeout=30) as client:
            body = await graphql(client, url, headers, ENTERPRISES, first=ROWS)
        if [item["id"] for item in body["data"]["enterprises"]["items"]] != ids:
            raise RuntimeError(f"{url} does not serve the rows REST serves")

    async def get(url: str, headers: dict[str, str], client: httpx.AsyncClient) -> None:
        response = await client.get(url, params={"limit": ROWS}, headers=headers)
        response.raise_for_status()

    calls: dict[str, Call] = {name: partial(get, *target) for name, target in rest.items()}
    # The request encoded once, and the answer checked about as cheaply as REST's status: the
    # client's CPU shares the machine's two cores with the servers.
    calls[GRAPHQL_SERVICE] = partial(
        graphql_ok, url=subgraph[0], request=graphql_request(subgraph[1], ENTERPRISES, first=ROWS)
    )
    calls[GRAPHQL_GATEWAY] = partial(
        graphql_ok,
        url=through_gateway[0],
        request=graphql_request(through_gateway[1], ENTERPRISES, first=ROWS),
    )
    calls[GRAPHQL_FLOOR] = partial(
        graphql_ok,
        url=through_floor[0],
        request=graphql_request(through_floor[1], ENTERPRISES, first=ROWS),
    )
    return calls


async def measure(
    platform: Platform, beside: Beside, requests: int, concurrency: int, rounds: int
) -> dict[str, Figures]:
    calls = await layer_calls(platform, beside)
    figures = {name: Figures() for name in calls}
    for round_number in range(1, rounds + 1):
        print(f"round {round_number}/{rounds} (load {os.getloadavg()[0]:.2f})", flush=True)
        for name, call in calls.items():
            figure = figures[name]
            figure.latencies += await latencies(call, requests)
            pids = layer_pids(platform, beside)
            involved = {process: pids[process] for process in PROCESSES[name] if pids.get(process)}
            before = cpu_times(involved)
            figure.rates.append(await throughput(call, requests, concurrency))
            after = cpu_times(involved)
            for process, spent in after.items():
                per_request = (spent - before[process]) / requests
                figure.cpu.setdefault(process, []).append(per_request)
    return figures


def report(figures: dict[str, Figures]) -> None:
    columns = ("bare", "enrolment", "gateway", "floor", "postgres", "client")
    print(f"\n{'':34} {'median':>7} {'':>6} {'req/s':>15}   CPU ms per request (median)")
    print(f"{'':34} {'ms':>7} {'req/s':>6} {'per round':>15}   {'  '.join(columns)}")
    for name, figure in figures.items():
        spread = " ".join(f"{rate:.0f}" for rate in figure.rates)
        cpu = "  ".join(
            f"{statistics.median(figure.cpu[column]) * 1000:{len(column)}.2f}"
            if column in figure.cpu
            else " " * len(column)
            for column in columns
        )
        print(
            f"{name:34} {figure.median_latency * 1000:7.2f} {figure.rate:6.1f} {spread:>15}   {cpu}"
        )
    print(
        f"\n{'target (throughput ratio)':40} {'figure':>7} {'wanted':>8} {'latency':>8} {'CPU':>6}"
    )
    for target in TARGETS:
        layer, baseline = figures[target.layer], figures[target.baseline]
        ratio = layer.rate / baseline.rate
        # The same kind of ratio (above 1: better than the baseline) of median latency and of
        # the server side's CPU per request, which a busy machine disturbs far less.
        latency_ratio = baseline.median_latency / layer.median_latency
        cpu_ratio = server_cpu(baseline) / server_cpu(layer)
        verdict = "PASS" if ratio >= target.minimum else "MISS"
        print(
            f"{target.label:40} {ratio:6.2f}x {'>= ' + f'{target.minimum:.2f}x':>8} "
            f"{latency_ratio:7.2f}x {cpu_ratio:5.2f}x  {verdict}"
        )
    print("\nthe floor of a Python hop: the minimal proxy in front of the enrolment service")
    for protocol, floor_layer, gateway_layer, direct_layer, direct_label in (
        ("REST", REST_FLOOR, REST_GATEWAY, REST_BARE, "bare"),
        ("GraphQL", GRAPHQL_FLOOR, GRAPHQL_GATEWAY, GRAPHQL_SERVICE, "subgraph direct"),
    ):
        floor, gateway, direct = figures[floor_layer], figures[gateway_layer], figures[direct_layer]
        print(
            f"  {protocol}: minimal proxy / {direct_label} {floor.rate / direct.rate:.2f}x "
            f"(latency {direct.median_latency / floor.median_latency:.2f}x, "
            f"CPU {server_cpu(direct) / server_cpu(floor):.2f}x); gateway / minimal proxy "
            f"{gateway.rate / floor.rate:.2f}x; the hop's own CPU per request: gateway "
            f"{hop_cpu(gateway, 'gateway') * 1000:.2f} ms, minimal proxy "
            f"{hop_cpu(floor, 'floor') * 1000:.2f} ms"
        )


def hop_cpu(figure: Figures, process: str) -> float:
    """Median CPU seconds per request of the hop's own process (0 where not measured)."""
    return statistics.median(figure.cpu[process]) if process in figure.cpu else 0.0


def server_cpu(figure: Figures) -> float:
    """Median CPU seconds per request of every process serving it (not the client)."""
    return sum(
        statistics.median(spent) for process, spent in figure.cpu.items() if process != "client"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=300, help="per measurement")
    parser.add_argument("--concurrency", type=int, default=8, help="calls in flight")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved repetitions")
    parser.add_argument("--log-level", default="INFO", help="the services' SCORE_LOG_LEVEL")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with running_layers(args.log_level) as (platform, beside, created):
        figures = asyncio.run(
            measure(platform, beside, args.requests, args.concurrency, args.rounds)
        )
    print(
        f"\n{ROWS} enterprises per response ({created} registered beyond the demo's); "
        f"{args.requests} requests per measurement, concurrency {args.concurrency}, "
        f"rounds: {args.rounds}; load average {load_before:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after"
    )
    report(figures)


if __name__ == "__main__":
    main()
