"""What the gateway costs: the same GraphQL queries through the gateway and straight to the
subgraphs, on the real processes `score up` starts (demo data, embedded Postgres).

    uv run python -m benchmarks.gateway [--requests 300] [--concurrency 8]

Prints, for a single-service query, the gateway's median latency and throughput beside
calling the enrolment subgraph directly, and for a cross-service query (enterprises with
their indicator values) the gateway beside the sum of its two direct subgraph calls.
"""

import argparse
import asyncio
import statistics
import tempfile
from pathlib import Path

import httpx

from benchmarks.load import (
    UNLIMITED_GATEWAY,
    direct_headers,
    graphql,
    latencies,
    throughput,
)
from benchmarks.processes import Platform, running_platform

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


async def measure(
    platform: Platform, api_key: str, requests: int, concurrency: int, first: int
) -> None:
    through_gateway = {"Authorization": f"Bearer {api_key}"}
    direct = direct_headers()
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

    async def cross_gateway(client: httpx.AsyncClient) -> None:
        await graphql(client, gateway_url, through_gateway, WITH_VALUES, first=first)

    async def entities_direct(client: httpx.AsyncClient) -> None:
        await graphql(client, indicators_url, direct, ENTITIES, representations=representations)

    rows: list[tuple[str, float, float]] = []
    for name, call in (
        ("single-service: gateway", single_gateway),
        ("single-service: enrolment direct", single_direct),
        ("cross-service: gateway", cross_gateway),
        ("cross-service: enrolment direct", single_direct),
        ("cross-service: indicators _entities direct", entities_direct),
    ):
        median = statistics.median(await latencies(call, requests))
        rate = await throughput(call, requests, concurrency)
        rows.append((name, median, rate))

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
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="score-bench-"))
    # One caller sending as fast as it can: lift its rate limit, quieten the logs.
    with running_platform(data_dir, SCORE_LOG_LEVEL="WARNING", **UNLIMITED_GATEWAY) as platform:
        key = platform.api_key("ilo_global", name="benchmark")
        asyncio.run(measure(platform, key, args.requests, args.concurrency, args.first))


if __name__ == "__main__":
    main()
