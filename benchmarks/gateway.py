"""What the gateway costs: the same GraphQL queries through the gateway and straight to the
subgraphs, on the real processes `score up` starts (demo data, embedded Postgres).

    uv run python -m benchmarks.gateway [--requests 300] [--concurrency 8]
        [--rate-limit-store database|memory] [--rate-limit-lease N]

Prints, for a single-service query, the gateway's median latency and throughput beside
calling the enrolment subgraph directly, and for a cross-service query (enterprises with
their indicator values) the gateway beside the sum of its two direct subgraph calls. Beside
them, the floor: the single-service query through benchmarks/floor_proxy.py, a pass-through
with nothing but uvicorn and aiohttp, which shows how much of the gateway's latency any
Python HTTP hop costs on the machine.

The gateway limits the caller's rate as production does: buckets shared by the replicas
in its database (``--rate-limit-store memory`` for one process's own), at 1,000 requests
per second, which the benchmark stays under; ``--rate-limit-lease 1`` makes every request
a database round trip (the worst case).
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.load import Call, direct_headers, graphql
from benchmarks.processes import Platform, running_app, running_platform

# benchmarks/floor_proxy.py in front of the enrolment subgraph: the hop and nothing else.
FLOOR = "single-service: minimal proxy (floor)"

ENTERPRISES = """
query Enterprises($first: Int!) {
  enterprises(first: $first) { items { id name country sector enrolments { stage } } }
}"""

WITH_VALUES = """
query EnterprisesWithValues($first: Int!) {
  enterprises(first: $first) {
    items {
      id name country enrolments { stage }
      indicatorValues(status: "validated") { indicatorCode value valueBool }
    }
  }
}"""

ENTITIES = """
query Values($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Enterprise { indicatorValues(status: "validated") { indicatorCode value valueBool } }
  }
}"""


# The calls compared are measured in turns, not one after the other: on a shared machine the
# load drifts, and each call must meet the same drift for their ratio to mean anything.
BLOCKS = 10


async def latencies(calls: dict[str, Call], requests: int) -> dict[str, list[float]]:
    """Each call's latencies, one request of each in turn (the order rotating)."""
    samples: dict[str, list[float]] = {name: [] for name in calls}
    names = list(calls)
    async with httpx.AsyncClient(timeout=30) as client:
        for name in names:
            for _ in range(10):  # warm connections, caches and plans
                await calls[name](client)
        for turn in range(requests):
            for name in names[turn % len(names) :] + names[: turn % len(names)]:
                started = time.perf_counter()
                await calls[name](client)
                samples[name].append(time.perf_counter() - started)
    return samples


async def throughput(calls: dict[str, Call], requests: int, concurrency: int) -> dict[str, float]:
    """Each call's requests per second at ``concurrency``, in blocks taken in turn."""
    elapsed = dict.fromkeys(calls, 0.0)
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        for _ in range(BLOCKS):
            for name, call in calls.items():
                remaining = requests // BLOCKS

                async def worker(call: Call = call) -> None:
                    nonlocal remaining
                    while remaining > 0:
                        remaining -= 1
                        await call(client)

                started = time.perf_counter()
                await asyncio.gather(*(worker() for _ in range(concurrency)))
                elapsed[name] += time.perf_counter() - started
    return {name: (requests // BLOCKS) * BLOCKS / seconds for name, seconds in elapsed.items()}


async def measure(
    platform: Platform, api_key: str, requests: int, concurrency: int, first: int, floor: str
) -> None:
    through_gateway = {"Authorization": f"Bearer {api_key}"}
    # Straight to the subgraphs, as the gateway calls them (a graph-audience token).
    direct = direct_headers(platform, graph=True)
    gateway_url = f"{platform.gateway}/graphql"
    enrolment_url = f"{platform.enrolment}/graphql"
    indicators_url = f"{platform.indicators}/graphql"

    async with httpx.AsyncClient(timeout=30) as client:
        listed = await graphql(client, enrolment_url, direct, ENTERPRISES, first=first)
    ids = [item["id"] for item in listed["data"]["enterprises"]["items"]]
    representations = [{"__typename": "Enterprise", "id": id_} for id_ in ids]

    async def single_gateway(client: httpx.AsyncClient) -> None:
        await graphql(client, gateway_url, through_gateway, ENTERPRISES, first=first)

    async def single_direct(client: httpx.AsyncClient) -> None:
        await graphql(client, enrolment_url, direct, ENTERPRISES, first=first)

    async def single_floor(client: httpx.AsyncClient) -> None:
        await graphql(client, f"{floor}/graphql", direct, ENTERPRISES, first=first)

    async def cross_gateway(client: httpx.AsyncClient) -> None:
        await graphql(client, gateway_url, through_gateway, WITH_VALUES, first=first)

    async def entities_direct(client: httpx.AsyncClient) -> None:
        await graphql(client, indicators_url, direct, ENTITIES, representations=representations)

    calls: dict[str, Call] = {
        "single-service: gateway": single_gateway,
        "single-service: enrolment direct": single_direct,
        "cross-service: gateway": cross_gateway,
        "cross-service: indicators _entities direct": entities_direct,
        FLOOR: single_floor,
    }
    medians = {
        name: statistics.median(samples)
        for name, samples in (await latencies(calls, requests)).items()
    }
    rates = await throughput(calls, requests, concurrency)
    rows = [(name, medians[name], rates[name]) for name in calls]
    # The cross-service query through the gateway does what these two direct calls do.
    rows.insert(3, ("cross-service: enrolment direct", *rows[1][1:]))

    print(f"\n{len(ids)} enterprises per query, {requests} requests, concurrency {concurrency}")
    print(f"{'':45} {'median ms':>10} {'req/s':>8}")
    for name, median, rate in rows:
        print(f"{name:45} {median * 1000:10.2f} {rate:8.1f}")
    single_gw, single_direct_row = rows[0], rows[1]
    cross_gw = rows[2]
    direct_sum = rows[3][1] + rows[4][1]
    direct_rate = 1 / (1 / rows[3][2] + 1 / rows[4][2])
    print(
        f"\nsingle-service: gateway / direct median latency "
        f"{single_gw[1] / single_direct_row[1]:.2f}x, "
        f"throughput {single_gw[2] / single_direct_row[2]:.2f}x"
    )
    floor_row = rows[5]
    print(
        f"single-service: minimal proxy (the floor) / direct median latency "
        f"{floor_row[1] / single_direct_row[1]:.2f}x, throughput "
        f"{floor_row[2] / single_direct_row[2]:.2f}x; gateway / minimal proxy median latency "
        f"{single_gw[1] / floor_row[1]:.2f}x"
    )
    print(
        f"cross-service: gateway / sum of direct calls median latency "
        f"{cross_gw[1] / direct_sum:.2f}x ({cross_gw[1] * 1000:.2f} ms vs "
        f"{direct_sum * 1000:.2f} ms), throughput {cross_gw[2] / direct_rate:.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--first", type=int, default=50, help="enterprises per query")
    parser.add_argument("--rate-limit-store", choices=("database", "memory"), default="database")
    parser.add_argument("--rate-limit-lease", type=int, default=None)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="score-bench-"))
    limits = {
        "SCORE_GATEWAY_RATE_LIMIT_STORE": args.rate_limit_store,
        # A limit the one benchmark caller stays under, checked as production checks it.
        "SCORE_GATEWAY_RATE_LIMIT_PER_SECOND": "1000",
        "SCORE_GATEWAY_RATE_LIMIT_BURST": "2000",
    }
    if args.rate_limit_lease is not None:
        limits["SCORE_GATEWAY_RATE_LIMIT_LEASE"] = str(args.rate_limit_lease)
    print(
        f"rate limits: {args.rate_limit_store} store, lease "
        f"{args.rate_limit_lease or 'default (100 tokens)'}"
    )
    with (
        running_platform(data_dir, SCORE_LOG_LEVEL="WARNING", **limits) as platform,
        running_app(platform, "benchmarks.floor_proxy:app", UPSTREAM=platform.enrolment) as floor,
    ):
        key = platform.api_key("ilo_global", name="benchmark")
        asyncio.run(measure(platform, key, args.requests, args.concurrency, args.first, floor.url))


if __name__ == "__main__":
    main()
